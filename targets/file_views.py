"""Pages that move files for targets: the flat template, the import (flat template or standard
form), the export of a filtered sheet list, the printed standard form (Excel, PDF), and the
indicator library's Excel. Thin: the work is in targets/excel.py, standard_form.py and pdf.py;
the HTTP helpers are the project library's (projects/file_views.py)."""

from django.contrib import messages
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views import View

from accounts.choices import Role
from projects.file_views import ERRORS_SHOWN, body_too_large, content_disposition, xlsx_response
from projects.models import Project
from projects.uploads import max_upload_mb, too_large_message
from projects.views import forbidden, refuse
from workflow.audit import AuditEventKind, record_event
from workflow.errors import TransitionForbidden

from . import excel, library, pdf
from .choices import SheetStatus
from .filters import IndicatorTemplateFilterSet, TargetSheetFilterSet
from .models import IndicatorTemplate, TargetSheet
from .standard_form import TITLE, form_filename, form_sheets, standard_form_workbook


def _int_param(request, name: str) -> int | None:
    """An optional integer query parameter; ValueError on anything else."""
    value = request.GET.get(name, "").strip()
    return int(value) if value else None


class SheetTemplateView(View):
    """GET the flat template: ``?project=<id>`` for one project, or ``?department=<id>&year=<yyyy>``
    for all of a department's projects (default: every project in scope of the current year)."""

    def get(self, request):
        try:
            project_id, department, year = (_int_param(request, n) for n in ("project", "department", "year"))
        except ValueError:
            return HttpResponseBadRequest("参数无效。".encode())
        if project_id is not None:
            project = get_object_or_404(Project.objects.visible_to(request.user), pk=project_id)
            projects = excel.projects_for_template(request.user, project=project.pk)
            label, fallback = project.code, f"targets-template-{project.pk}.xlsx"
        else:
            projects = excel.projects_for_template(request.user, department=department, year=year)
            label, fallback = str(year or timezone.localdate().year), "targets-template.xlsx"
        content, skipped = excel.build_sheet_template(request.user, projects)
        if project_id is not None and skipped:
            messages.error(request, f"项目“{project.code}”的绩效目标不能通过导入修改：{skipped[0][1]}")
            return redirect("targets:sheet_list")
        return xlsx_response(content, excel.template_filename(label), fallback)


class ImportView(View):
    """GET: an import page; POST: import the uploaded .xlsx all or nothing, with the row-by-row
    error table. Subclasses say who may import, what runs and what the page says."""

    template_name = "targets/import.html"
    action = ""

    def permission(self, user) -> tuple[bool, str]:
        raise NotImplementedError

    def run(self, user, upload):
        raise NotImplementedError

    def succeeded(self, request, result):
        raise NotImplementedError

    def page_context(self) -> dict:
        raise NotImplementedError

    def dispatch(self, request, *args, **kwargs):
        allowed, reason = self.permission(request.user)
        if not allowed:
            return refuse(request, reason, self.action)
        return super().dispatch(request, *args, **kwargs)

    def get(self, request):
        return self.render(request)

    def post(self, request):
        if body_too_large(request):
            return self.render(request, problem=too_large_message(), status=400)
        upload = request.FILES.get("file")
        if upload is None:
            return self.render(request, problem="请选择要导入的 Excel 文件。", status=400)
        try:
            result = self.run(request.user, upload)
        except TransitionForbidden as error:
            return forbidden(error.message)
        if result.ok:
            self.succeeded(request, result)
            return redirect(request.path)
        return self.render(request, result=result, filename=upload.name, status=400)

    def render(self, request, status=200, **context):
        result = context.get("result")
        if result is not None:
            context["errors"] = result.errors[:ERRORS_SHOWN]
            context["errors_hidden"] = max(len(result.errors) - ERRORS_SHOWN, 0)
        context.update(self.page_context(), action_url=request.path, max_mb=max_upload_mb())
        return render(request, self.template_name, context, status=status)


class SheetImportView(ImportView):
    """Import a filled flat template or standard form. Unit staff only (谁申请资金，谁设定目标)."""

    action = "导入绩效目标"

    def permission(self, user):
        if user.has_role(Role.UNIT_STAFF):
            return True, ""
        return False, "绩效目标由项目单位填报，您不能导入绩效目标。"

    def run(self, user, upload):
        return excel.import_target_workbook(user, upload)

    def succeeded(self, request, result):
        created = f"（新建 {result.sheets_created} 张）" if result.sheets_created else ""
        messages.success(request, f"成功导入 {result.sheets_updated} 张绩效目标表{created}、{result.rows} 行指标")
        for warning in result.warnings[:20]:
            messages.warning(request, warning)

    def page_context(self):
        return {
            "mode": "sheets",
            "heading": "Excel 导入绩效目标",
            "template_url": reverse("targets:sheet_template"),
            "template_label": "下载导入模板",
            "back_url": reverse("targets:sheet_list"),
            "back_label": "返回绩效目标表",
            "max_rows": excel.IMPORT_MAX_ROWS,
            "form_title": TITLE,
        }


def _filtered_sheets(request):
    """The sheet list's own filters (and its version switch) over the user's scope."""
    filterset = TargetSheetFilterSet(
        request.GET, queryset=TargetSheet.objects.visible_to(request.user), request=request
    )
    if not filterset.is_valid():
        return None
    queryset = filterset.qs
    if request.GET.get("versions") != "all":
        queryset = queryset.exclude(status=SheetStatus.SUPERSEDED)
    return queryset


class SheetExportView(View):
    """GET: the sheet list (its querystring, the user's scope) with the indicators, as .xlsx."""

    def get(self, request):
        queryset = _filtered_sheets(request)
        if queryset is None:
            messages.error(request, "筛选条件无效，请重新筛选后再导出。")
            return redirect("targets:sheet_list")
        filters = {k: v for k, v in request.GET.items() if v}
        content = excel.export_sheets(queryset, user=request.user, filters=filters)
        today = timezone.localdate()
        return xlsx_response(content, excel.export_filename(today), f"targets-{today:%Y%m%d}.xlsx")


class SheetFormView(View):
    """GET one sheet printed as the standard form 项目支出绩效目标申报表: ``xlsx`` or ``pdf``.
    Any sheet the user may see (others: 404); a sheet not yet approved is marked as such."""

    kind = "xlsx"

    def get(self, request, pk):
        sheet = get_object_or_404(form_sheets(TargetSheet.objects.visible_to(request.user)), pk=pk)
        stem, fallback = form_filename(sheet)
        if self.kind == "pdf":
            response = HttpResponse(pdf.render_form_pdf(sheet), content_type="application/pdf")
            response["Content-Disposition"] = content_disposition(f"{stem}.pdf", f"{fallback}.pdf")
            response["X-Content-Type-Options"] = "nosniff"
        elif self.kind == "xlsx":
            response = xlsx_response(standard_form_workbook([sheet]), f"{stem}.xlsx", f"{fallback}.xlsx")
        else:
            raise Http404
        record_event(
            AuditEventKind.EXPORT,
            user=request.user,
            obj=sheet,
            after={"format": self.kind, "version": sheet.version, "status": sheet.status},
            message=f"打印{TITLE}（{self.kind.upper()}）",
        )
        return response


# --- indicator library ------------------------------------------------------------------------


class LibraryExportView(View):
    """GET: the library (the library page's filters, what the user may see) as .xlsx — also the
    file the office edits and imports back."""

    def get(self, request):
        queryset = IndicatorTemplate.objects.visible_to(request.user)
        filterset = IndicatorTemplateFilterSet(request.GET, queryset=queryset, request=request)
        if not filterset.is_valid():
            messages.error(request, "筛选条件无效，请重新筛选后再导出。")
            return redirect("targets:library")
        filters = {k: v for k, v in request.GET.items() if v}
        content = excel.export_library(filterset.qs, user=request.user, filters=filters)
        today = timezone.localdate()
        return xlsx_response(content, excel.library_filename(today), f"indicator-library-{today:%Y%m%d}.xlsx")


class LibraryImportView(ImportView):
    """Import the library from .xlsx (new codes created, known codes updated); the performance
    office only."""

    action = "导入指标库"

    def permission(self, user):
        return library.can_manage_library(user)

    def run(self, user, upload):
        return excel.import_library(user, upload)

    def succeeded(self, request, result):
        messages.success(request, f"指标库导入成功：新增 {result.created} 条，更新 {result.updated} 条")

    def page_context(self):
        return {
            "mode": "library",
            "heading": "Excel 导入指标库",
            "template_url": reverse("targets:library_export"),
            "template_label": "导出指标库（作为模板）",
            "back_url": reverse("targets:library"),
            "back_label": "返回指标库",
        }
