from django.conf import settings
from django.db import models

from .choices import Message


class NoticeQuerySet(models.QuerySet):
    def visible_to(self, user):
        """A notice is only ever its recipient's."""
        return self.filter(recipient=user) if user.is_authenticated else self.none()

    def unread(self):
        return self.filter(read_at__isnull=True)


class Notice(models.Model):
    """站内通知: one message to one user, from the notification hub.

    ``dedupe_key`` makes reminders idempotent: the same reminder for the same user and object
    is created once however often the daily task runs.
    """

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="接收人", on_delete=models.CASCADE, related_name="notices"
    )
    message = models.CharField("消息类型", max_length=40, choices=Message.choices)
    title = models.CharField("标题", max_length=200)
    body = models.TextField("内容", blank=True)
    url = models.CharField("链接", max_length=300, blank=True)
    dedupe_key = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField("时间", auto_now_add=True, db_index=True)
    read_at = models.DateTimeField("已读时间", null=True, blank=True)
    emailed_at = models.DateTimeField("邮件发送时间", null=True, blank=True)

    objects = NoticeQuerySet.as_manager()

    class Meta:
        verbose_name = "通知"
        verbose_name_plural = "通知"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "dedupe_key"],
                condition=~models.Q(dedupe_key=""),
                name="notice_once_per_key",
            )
        ]
        # The navbar counts a user's unread notices on every page.
        indexes = [models.Index(fields=["recipient", "read_at"], name="notice_recipient_read")]

    def __str__(self):
        return self.title

    @property
    def is_read(self) -> bool:
        return self.read_at is not None

    @property
    def link(self) -> str:
        """The notice's page inside this site; anything else is not linked (no open redirect)."""
        return self.url if self.url.startswith("/") and not self.url.startswith("//") else ""
