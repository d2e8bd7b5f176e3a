"""The one notification hub (STYLE habit 9): every event the system tells people about is listed
in ``Message``, and ``notify`` fans it out — a notice in the app, and an email sent by a task."""

from collections.abc import Iterable

from django.db import IntegrityError, transaction

from .choices import Message
from .models import Notice

__all__ = ["Message", "notify"]


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
    users = {u.pk: u for u in recipients if u is not None and u.is_active}
    if dedupe_key and users:  # one query for who already has it, not one per recipient
        already = Notice.objects.filter(recipient__in=list(users), dedupe_key=dedupe_key)
        for pk in already.values_list("recipient", flat=True):
            users.pop(pk, None)
    created = []
    for user in users.values():
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
