from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.utils import timezone

from .models import Notice


@shared_task
def send_notice_emails(notice_ids: list[int]) -> int:
    """Email each notice whose recipient has an address; a notice is emailed once."""
    sent = 0
    for notice in Notice.objects.filter(pk__in=notice_ids, emailed_at__isnull=True).select_related("recipient"):
        if notice.recipient.email:
            send_mail(
                f"【绩效通】{notice.title}",
                f"{notice.body}\n\n{notice.url}".strip(),
                settings.DEFAULT_FROM_EMAIL,
                [notice.recipient.email],
            )
            sent += 1
        Notice.objects.filter(pk=notice.pk).update(emailed_at=timezone.now())
    return sent
