"""The audit trail: one ``record_event`` used by services, signals and views.

Client address and acting user travel in a context variable set by AuditContextMiddleware, so
services keep taking ids and a user, not a request.
"""

import contextlib
import contextvars
import json
from dataclasses import dataclass

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models

from .choices import AuditEventKind

__all__ = ["AuditEventKind", "audit_context", "record_event", "snapshot"]


@dataclass
class _Context:
    ip: str = ""
    user: object = None


_current: contextvars.ContextVar[_Context | None] = contextvars.ContextVar("audit_context", default=None)


@contextlib.contextmanager
def audit_context(ip: str = "", user=None):
    token = _current.set(_Context(ip=ip, user=user))
    try:
        yield
    finally:
        _current.reset(token)


def current_ip() -> str:
    context = _current.get()
    return context.ip if context else ""


def snapshot(obj: models.Model | None, fields: list[str] | None = None) -> dict:
    """A JSON-safe dict of the object's concrete fields, for the before/after of an event."""
    if obj is None:
        return {}
    data = {}
    for field in obj._meta.concrete_fields:
        if fields is not None and field.name not in fields:
            continue
        value = getattr(obj, field.attname)
        data[field.name] = value.name if isinstance(field, models.FileField) else value
    return json.loads(json.dumps(data, cls=DjangoJSONEncoder))


def record_event(
    kind: str,
    *,
    user=None,
    obj: models.Model | None = None,
    success: bool = True,
    before: dict | None = None,
    after: dict | None = None,
    message: str = "",
    username: str = "",
    object_type: str = "",
    object_id: str = "",
    object_repr: str = "",
):
    """Write one audit event. Never raises on a missing user; the IP comes from the request context."""
    from .models import AuditEvent

    if user is None:
        context = _current.get()
        context_user = context.user if context else None
        if context_user is not None and getattr(context_user, "is_authenticated", False):
            user = context_user
    if user is not None and not getattr(user, "is_authenticated", False):
        user = None
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk or "")
        object_repr = object_repr or str(obj)[:200]
    return AuditEvent.objects.create(
        kind=kind,
        user_id=user.pk if user else None,
        username=(user.get_username() if user else username)[:150],
        role=(user.role if user else "")[:32],
        ip=current_ip() or None,
        object_type=object_type,
        object_id=object_id,
        object_repr=object_repr,
        success=success,
        before=before or {},
        after=after or {},
        message=message[:500],
    )
