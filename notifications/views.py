"""我的通知: a user's own notices, unread first; mark one or all as read (HTMX partials)."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import BooleanField, ExpressionWrapper, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from .models import Notice

PAGE_SIZE = 20


def _is_partial(request) -> bool:
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.boosted


def _list_context(request) -> dict:
    only_unread = request.GET.get("show") == "unread"
    notices = Notice.objects.visible_to(request.user)
    if only_unread:
        notices = notices.unread()
    notices = notices.alias(is_unread=ExpressionWrapper(Q(read_at__isnull=True), output_field=BooleanField())).order_by(
        "-is_unread", "-created_at", "-id"
    )
    # get_page: a missing, non-numeric or too large page number shows a valid page, never a 404/500.
    return {"page_obj": Paginator(notices, PAGE_SIZE).get_page(request.GET.get("page")), "only_unread": only_unread}


def _back(request):
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        return redirect(target)
    return redirect("notifications:notice_list")


@require_GET
def notice_list(request):
    template = "notifications/_notice_list.html" if _is_partial(request) else "notifications/notice_list.html"
    return render(request, template, _list_context(request))


@require_POST
def mark_read(request, pk: int):
    notice = get_object_or_404(Notice.objects.visible_to(request.user), pk=pk)
    if notice.read_at is None:
        notice.read_at = timezone.now()
        Notice.objects.filter(pk=notice.pk, read_at__isnull=True).update(read_at=notice.read_at)
    if _is_partial(request):
        return render(request, "notifications/_notice_row.html", {"notice": notice, "oob_badge": True})
    return _back(request)


@require_POST
def mark_all_read(request):
    count = Notice.objects.visible_to(request.user).unread().update(read_at=timezone.now())
    if _is_partial(request):
        return render(request, "notifications/_notice_list.html", {**_list_context(request), "oob_badge": True})
    messages.success(request, f"已将{count}条通知标为已读。" if count else "没有未读通知。")
    return _back(request)
