import datetime

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.utils import timezone

from .models import Notice


# SMTP errors are OSErrors: retry later; notices already emailed are marked, so none goes twice.
@shared_task(autoretry_for=(OSError,), retry_backoff=60, max_retries=5)
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


@shared_task
def send_deadline_reminders(today: str | datetime.date | None = None) -> dict[str, int]:
    """The daily beat task (DESIGN §2.7): remind what is due in 7/3/1 days or overdue.

    ``today`` (a date or "YYYY-MM-DD") is for tests and catch-up runs; by default it is today in
    Asia/Shanghai. Running it twice on a day creates nothing twice.
    """
    from .reminders import send_reminders

    if today is None:
        day = timezone.localdate()
    elif isinstance(today, datetime.date):
        day = today
    else:
        day = datetime.date.fromisoformat(today)
    return send_reminders(day)
