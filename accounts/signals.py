"""Audit every login, logout and failed login (DESIGN §2 audit requirement)."""

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from workflow.audit import AuditEventKind, record_event


@receiver(user_logged_in)
def audit_login(sender, request, user, **kwargs):
    record_event(AuditEventKind.LOGIN, user=user, obj=user, message="登录成功")


@receiver(user_logged_out)
def audit_logout(sender, request, user, **kwargs):
    if user is not None:
        record_event(AuditEventKind.LOGOUT, user=user, obj=user, message="退出登录")


@receiver(user_login_failed)
def audit_login_failed(sender, credentials, request=None, **kwargs):
    record_event(
        AuditEventKind.LOGIN_FAILED,
        user=None,
        username=credentials.get("username", ""),
        success=False,
        message="登录失败",
    )
