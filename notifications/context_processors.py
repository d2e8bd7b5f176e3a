from django.utils.functional import SimpleLazyObject

from .models import Notice


def unread_notices(request):
    """``unread_notice_count`` for the navbar badge: one query, and only if a template uses it."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"unread_notice_count": 0}
    return {"unread_notice_count": SimpleLazyObject(lambda: Notice.objects.visible_to(user).unread().count())}
