"""Pages of the treasury payment import 国库支付数据导入 (DESIGN §2.4, §2.7). Thin: the work is in
monitoring/treasury.py and runs in a Celery task; these pages upload, list and show progress.

Finance (财政业务科室, 绩效管理科) imports; the auditor reads the list and each import's page; every
other role is refused the list (403, audited) and gets 404 on an import (``visible_to``).
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views import View

from projects.file_views import ERRORS_SHOWN, body_too_large, xlsx_response
from projects.models import FiscalYear
from projects.uploads import max_upload_mb, too_large_message
from projects.views import forbidden, paginate, refuse
from workflow.errors import TransitionForbidden

from . import permissions, treasury
from .models import TreasuryImport


def _year_of(request, strict=False):
    """The year asked for (``?year=2026``), else the current one. ``strict`` (an upload): the year
    asked for or None, never another year guessed in its place."""
    years = FiscalYear.objects.visible_to(request.user)
    try:
        asked = int(request.POST.get("year") or request.GET.get("year") or 0)
    except ValueError:
        asked = 0
    chosen = years.filter(year=asked).first() if asked else None
    return chosen if strict else chosen or years.current()


class TreasuryImportView(View):
    """GET: the upload card (for those who may import), the rules of the file and the recent
    imports; POST: store the file and queue its import, then go to the import's page."""

    template_name = "monitoring/treasury_import.html"
    action = "导入国库支付数据"

    def dispatch(self, request, *args, **kwargs):
        allowed, reason = permissions.can_view_treasury(request.user)
        if not allowed:
            return refuse(request, reason, self.action)
        return super().dispatch(request, *args, **kwargs)

    def get(self, request):
        return self.render(request)

    def post(self, request):
        allowed, reason = permissions.can_import_treasury(request.user)
        if not allowed:
            return refuse(request, reason, self.action)
        if body_too_large(request):
            return self.render(request, problem=too_large_message(), status=400)
        try:
            treasury_import = treasury.start_import(
                request.user, _year_of(request, strict=True), request.FILES.get("file")
            )
        except TransitionForbidden as error:
            return forbidden(error.message)
        except ValidationError as error:
            return self.render(request, problem="；".join(error.messages), status=400)
        messages.success(request, f"已上传“{treasury_import.original_name}”，正在后台导入，本页显示进度。")
        return redirect(treasury_import)

    def render(self, request, status=200, **context):
        fiscal_year = _year_of(request)
        imports = TreasuryImport.objects.visible_to(request.user).select_related("fiscal_year", "uploaded_by")
        action_url = reverse("monitoring:treasury_import")
        context.update(
            can_import=permissions.can_import_treasury(request.user)[0],
            fiscal_year=fiscal_year,
            years=FiscalYear.objects.visible_to(request.user).order_by("-year"),
            action_url=f"{action_url}?year={fiscal_year.year}" if fiscal_year else action_url,
            max_mb=max_upload_mb(),
            max_rows=treasury.MAX_ROWS,
            columns=treasury.COLUMNS,
            page_obj=paginate(request, imports),
            active="treasury",
        )
        return render(request, self.template_name, context, status=status)


class TreasuryTemplateView(View):
    """GET: the import template (.xlsx), for whoever may open the import pages."""

    def get(self, request):
        allowed, reason = permissions.can_view_treasury(request.user)
        if not allowed:
            return refuse(request, reason, "下载国库支付数据导入模板")
        return xlsx_response(treasury.build_template(), treasury.TEMPLATE_FILENAME, "treasury-template.xlsx")


def _progress_context(request, treasury_import: TreasuryImport) -> dict:
    errors = treasury_import.errors or []
    return {
        "imp": treasury_import,
        "errors": errors[:ERRORS_SHOWN],
        "errors_hidden": max(len(errors) - ERRORS_SHOWN, 0),
        "can_import": permissions.can_import_treasury(request.user)[0],
    }


class TreasuryImportDetailView(View):
    """An import's page: its file and, by the progress partial, its progress or its outcome."""

    def get(self, request, pk):
        treasury_import = get_object_or_404(
            TreasuryImport.objects.visible_to(request.user).select_related("fiscal_year", "uploaded_by"), pk=pk
        )
        return render(request, "monitoring/treasury_import_detail.html", _progress_context(request, treasury_import))


class TreasuryProgressView(View):
    """The partial the import's page polls every second while the import is queued or running;
    once finished it answers the outcome without the trigger, so the polling stops."""

    def get(self, request, pk):
        treasury_import = get_object_or_404(
            TreasuryImport.objects.visible_to(request.user).select_related("fiscal_year"), pk=pk
        )
        return render(request, "monitoring/_treasury_progress.html", _progress_context(request, treasury_import))
