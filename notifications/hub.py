"""The one notification hub (STYLE habit 9): every event the system tells people about is listed
in ``Message``, and ``notify`` fans it out — a notice in the app, and an email sent by a task."""

from collections.abc import Iterable

from django.db import IntegrityError, models, transaction

from .models import Notice


class Message(models.TextChoices):
    SUBMITTED_FOR_REVIEW = "submitted_for_review", "待您审核"
    RETURNED = "returned", "已被退回"
    APPROVED = "approved", "已审核通过"
    CONCLUDED = "concluded", "已出具结论"
    ASSIGNED = "assigned", "新的委托任务"
    DUE_SOON = "due_soon", "即将到期"
    OVERDUE = "overdue", "已逾期"


def notify(
    message: Message,
    recipients: Iterable,
    *,
    title: str,
    body: str = "",
    url: str = "",
    dedupe_key: str = "",
    email: bool = True,
) -> list[Notice]:
    """Create one in-app notice per recipient and queue its email after the transaction commits.

    With a ``dedupe_key`` a recipient who already has that notice gets nothing new — that is
    what makes the daily reminder task safe to run twice.
    """
    created = []
    for user in {u.pk: u for u in recipients if u is not None and u.is_active}.values():
        if dedupe_key and Notice.objects.filter(recipient=user, dedupe_key=dedupe_key).exists():
            continue
        try:
            with transaction.atomic():
                notice = Notice.objects.create(
                    recipient=user, message=message, title=title[:200], body=body, url=url, dedupe_key=dedupe_key
                )
        except IntegrityError:  # a concurrent run created it first
            continue
        created.append(notice)
    if email and created:
        from .tasks import send_notice_emails

        ids = [n.pk for n in created]
        transaction.on_commit(lambda: send_notice_emails.delay(ids))
    return created
