"""The Excel export of monitoring reports: the list page's or the round overview's filters, the
user's scope, one row per report with its lights and the counts of its indicators by light."""

import io
from collections import defaultdict

import openpyxl
from django.contrib import messages
from django.db.models import Count
from django.shortcuts import redirect
from django.utils import timezone
from django.views import View

from projects.excel import header_row, safe_cell
from projects.file_views import xlsx_response
from projects.models import WAN
from workflow.audit import AuditEventKind, record_event

from .choices import Light
from .filters import MonitoringReportFilterSet
from .models import MonitoringReport, MonitoringRow

COLUMNS = (
    ("监控批次", 18), ("项目编码", 16), ("项目名称", 36), ("主管部门", 22), ("实施单位", 24), ("预算（万元）", 14),
    ("截至期末支付（万元）", 16), ("支付数来源", 12), ("预算执行率（%）", 12), ("时间进度（%）", 12),
    ("执行进度比", 12), ("预算执行预警", 12), ("指标红灯", 9), ("指标黄灯", 9), ("指标蓝灯", 9), ("指标绿灯", 9),
    ("综合预警", 10), ("总体判断", 10), ("状态", 14),
)  # fmt: skip


def _light(value: str) -> str:
    return Light(value).label if value in Light.values else "未计算"


def export_reports(queryset, *, user, filters: dict) -> bytes:
    """The reports as .xlsx. Two queries whatever the rows: the reports, and their rows' lights."""
    reports = list(queryset.with_list_related().order_by("round__period_end", "project__code"))
    counts = defaultdict(dict)
    by_light = MonitoringRow.objects.filter(report__in=[r.pk for r in reports]).values_list("report", "light")
    for report_id, light, n in by_light.annotate(n=Count("pk")).values_list("report", "light", "n"):
        counts[report_id][light] = n
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("绩效监控表")
    header_row(ws, COLUMNS)
    for r in reports:
        lit = counts[r.pk]
        ws.append(
            [
                safe_cell(ws, str(r.round)),
                safe_cell(ws, r.project.code),
                safe_cell(ws, r.project.name),
                safe_cell(ws, r.project.department.name),
                safe_cell(ws, r.project.unit.name),
                safe_cell(ws, r.budget_amount / WAN, "0.00####"),
                safe_cell(ws, r.paid_to_date / WAN, "0.00####") if r.paid_to_date is not None else "",
                r.get_paid_source_display(),
                r.execution_rate,
                r.time_progress,
                r.budget_ratio,
                _light(r.budget_light),
                *(lit.get(light, 0) for light in (Light.RED, Light.YELLOW, Light.BLUE, Light.GREEN)),
                _light(r.light),
                r.get_judgement_display(),
                r.get_status_display(),
            ]
        )
    buffer = io.BytesIO()
    wb.save(buffer)
    record_event(
        AuditEventKind.EXPORT,
        user=user,
        object_type="monitoring.monitoringreport",
        after={"filters": filters, "count": len(reports)},
        message=f"导出绩效监控表 {len(reports)} 张",
    )
    return buffer.getvalue()


class ReportExportView(View):
    """GET: the filtered reports as .xlsx (the overview passes its round as ``round``)."""

    def get(self, request):
        queryset = MonitoringReport.objects.visible_to(request.user)
        filterset = MonitoringReportFilterSet(request.GET, queryset=queryset, request=request)
        if not filterset.is_valid():
            messages.error(request, "筛选条件无效，请重新筛选后再导出。")
            return redirect("monitoring:report_list")
        filters = {k: v for k, v in request.GET.items() if v}
        content = export_reports(filterset.qs, user=request.user, filters=filters)
        today = timezone.localdate()
        return xlsx_response(content, f"绩效监控表导出_{today:%Y%m%d}.xlsx", f"monitoring-{today:%Y%m%d}.xlsx")
