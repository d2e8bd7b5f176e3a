import pgtrigger
from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models

from .choices import AuditEventKind


class AppendOnlyError(Exception):
    pass


class AppendOnlyModel(models.Model):
    """Rows that are written once and never changed or deleted through the app.

    On PostgreSQL a trigger (declared on each subclass) makes the database refuse it too.
    """

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError(f"{self._meta.verbose_name}不可修改")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError(f"{self._meta.verbose_name}不可删除")


class AuditEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError("审计日志不可修改")

    def delete(self):
        raise AppendOnlyError("审计日志不可删除")

    def visible_to(self, user):
        """Only the auditor and the performance office read the audit log."""
        from accounts.choices import Role

        if user.is_authenticated and (user.is_superuser or user.has_role(Role.AUDITOR, Role.PERFORMANCE_OFFICE)):
            return self.all()
        return self.none()


class AuditEvent(AppendOnlyModel):
    """审计日志: one thing someone did or tried (create, edit, transition, import, export, download,
    login, refused access). Kept at least AUDIT_RETENTION_DAYS; never edited or deleted."""

    at = models.DateTimeField("时间", auto_now_add=True, db_index=True)
    kind = models.CharField("事件", max_length=24, choices=AuditEventKind.choices, db_index=True)
    # No database constraint: the trail must outlive anything it mentions.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="用户",
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    username = models.CharField("用户名", max_length=150, blank=True, db_index=True)
    role = models.CharField("角色", max_length=32, blank=True)
    ip = models.GenericIPAddressField("IP 地址", null=True, blank=True)
    object_type = models.CharField("对象类型", max_length=100, blank=True, db_index=True)
    object_id = models.CharField("对象 ID", max_length=64, blank=True)
    object_repr = models.CharField("对象", max_length=200, blank=True)
    success = models.BooleanField("结果", default=True)
    before = models.JSONField("变更前", default=dict, blank=True, encoder=DjangoJSONEncoder)
    after = models.JSONField("变更后", default=dict, blank=True, encoder=DjangoJSONEncoder)
    message = models.CharField("说明", max_length=500, blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        verbose_name = "审计事件"
        verbose_name_plural = "审计日志"
        ordering = ["-at", "-id"]
        triggers = [
            pgtrigger.Protect(name="audit_event_append_only", operation=pgtrigger.Update | pgtrigger.Delete),
        ]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.username} {self.get_kind_display()}"


class ReviewRecordQuerySet(models.QuerySet):
    def for_object(self, obj):
        return self.filter(
            content_type=ContentType.objects.get_for_model(obj, for_concrete_model=False), object_id=obj.pk
        ).select_related("actor")


class ReviewRecord(AppendOnlyModel):
    """审核记录: one step of a review chain — who, when, at which step, what decision, what opinion."""

    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT)
    object_id = models.PositiveBigIntegerField()
    subject = GenericForeignKey("content_type", "object_id")
    chain = models.CharField("流程", max_length=40)
    action = models.CharField("动作", max_length=40)
    decision = models.CharField("处理结果", max_length=40)
    from_state = models.CharField("原状态", max_length=40)
    to_state = models.CharField("新状态", max_length=40)
    step = models.CharField("环节", max_length=60)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="处理人", on_delete=models.PROTECT, related_name="review_records"
    )
    actor_role = models.CharField("处理人角色", max_length=32)
    opinion = models.TextField("意见", blank=True)
    at = models.DateTimeField("时间", auto_now_add=True)

    objects = ReviewRecordQuerySet.as_manager()

    class Meta:
        verbose_name = "审核记录"
        verbose_name_plural = "审核记录"
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["content_type", "object_id"])]
        triggers = [
            pgtrigger.Protect(name="review_record_append_only", operation=pgtrigger.Update | pgtrigger.Delete),
        ]

    def __str__(self):
        return f"{self.step}·{self.decision}"
