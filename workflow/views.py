"""The audit-log browser (审计日志): read and export only — there is no view that edits or deletes."""

import csv
import json

from django.core.exceptions import PermissionDenied
from django.http import StreamingHttpResponse
from django.utils import timezone
from django.views.generic import ListView, View

from accounts.choices import Role

from .audit import AuditEventKind, record_event
from .filters import AuditEventFilterSet, object_type_choices
from .models import AuditEvent

CSV_HEADER = [
    "时间", "事件", "用户名", "角色", "IP 地址", "对象类型", "对象 ID", "对象", "结果", "说明", "变更前", "变更后",
]


def can_read_audit_log(user) -> tuple[bool, str]:
    if user.is_superuser or user.has_role(Role.AUDITOR, Role.PERFORMANCE_OFFICE):
        return True, ""
    return False, "审计日志仅限审计人员和财政绩效管理科查看。"


def local_time(value) -> str:
    """``2026-03-01 09:30:00+08:00``: the time in Asia/Shanghai with its offset spelled out."""
    return timezone.localtime(value).isoformat(sep=" ", timespec="seconds")


def _json(value) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True) if value else ""


def _cell(value) -> str:
    """Neutralise spreadsheet formulas: a logged username like ``=HYPERLINK(…)`` stays text."""
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


class AuditLogMixin:
    def dispatch(self, request, *args, **kwargs):
        allowed, reason = can_read_audit_log(request.user)
        if not allowed:
            raise PermissionDenied(reason)
        return super().dispatch(request, *args, **kwargs)

    def filtered(self):
        events = AuditEvent.objects.visible_to(self.request.user)
        self.filterset = AuditEventFilterSet(self.request.GET, queryset=events)
        # An invalid filter (a bad date…) shows its error and an empty page, never a 500.
        return self.filterset.qs if self.filterset.is_valid() else AuditEvent.objects.none()


class AuditListView(AuditLogMixin, ListView):
    template_name = "workflow/audit_list.html"
    context_object_name = "events"
    paginate_by = 50

    def get_queryset(self):
        return self.filtered()

    def get_context_data(self, **kwargs):
        for field in self.filterset.form.fields.values():
            is_select = hasattr(field.widget, "choices")
            field.widget.attrs["class"] = "form-select form-select-sm" if is_select else "form-control form-control-sm"
        context = super().get_context_data(filter=self.filterset, **kwargs)
        role_labels, type_labels = dict(Role.choices), dict(object_type_choices())
        for event in context["events"]:
            event.object_type_label = type_labels.get(event.object_type, event.object_type)
            event.at_local = local_time(event.at)
            event.role_label = role_labels.get(event.role, event.role)
            event.before_json = json.dumps(event.before, ensure_ascii=False, indent=2) if event.before else ""
            event.after_json = json.dumps(event.after, ensure_ascii=False, indent=2) if event.after else ""
        return context


class AuditExportView(AuditLogMixin, View):
    """The filtered log as CSV (UTF-8 with BOM so Excel reads the Chinese); the export is itself audited."""

    def get(self, request, *args, **kwargs):
        events = self.filtered()
        record_event(
            AuditEventKind.EXPORT,
            user=request.user,
            object_type=AuditEvent._meta.label_lower,
            message=f"导出审计日志 {request.GET.urlencode()}"[:500],
        )
        response = StreamingHttpResponse(self.rows(events), content_type="text/csv; charset=utf-8")
        filename = f"audit-log-{timezone.localdate():%Y%m%d}.csv"
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response

    @staticmethod
    def rows(events):
        class Echo:
            def write(self, value):
                return value

        writer = csv.writer(Echo())
        kinds, roles = dict(AuditEventKind.choices), dict(Role.choices)
        yield "\ufeff"
        yield writer.writerow(CSV_HEADER)
        for event in events.iterator(chunk_size=2000):
            yield writer.writerow(
                _cell(value)
                for value in [
                    local_time(event.at),
                    kinds.get(event.kind, event.kind),
                    event.username,
                    roles.get(event.role, event.role),
                    event.ip or "",
                    event.object_type,
                    event.object_id,
                    event.object_repr,
                    "成功" if event.success else "失败",
                    event.message,
                    _json(event.before),
                    _json(event.after),
                ]
            )
