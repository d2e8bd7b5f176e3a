"""Pages that move files: the project library's Excel template, import and export, and
attachment upload/download. Thin: the work is in projects/excel.py and projects/uploads.py."""

from urllib.parse import quote

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import View

from workflow.errors import NotInScope, TransitionForbidden

from . import excel, permissions, uploads
from .filters import ProjectFilterSet
from .models import Project
from .views import forbidden, refuse

# Multipart framing around the file; a body larger than this cannot hold an allowed file.
MULTIPART_SLACK = 64 * 1024
ERRORS_SHOWN = 500


def content_disposition(filename: str, fallback: str) -> str:
    """RFC 6266/5987: an ASCII name for old clients, the Chinese one in filename*."""
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename)}"


def xlsx_response(content: bytes, filename: str, fallback: str) -> HttpResponse:
    response = HttpResponse(content, content_type=excel.XLSX_MIME)
    response["Content-Disposition"] = content_disposition(filename, fallback)
    response["X-Content-Type-Options"] = "nosniff"
    return response


def body_too_large(request) -> bool:
    """Refuse an oversize upload from its Content-Length, before Django reads the body."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return False
    return length > settings.UPLOAD_MAX_BYTES + MULTIPART_SLACK


class ProjectTemplateView(View):
    """GET: the import template (.xlsx) with the units this user may file for."""

    def get(self, request):
        return xlsx_response(excel.build_template(request.user), excel.TEMPLATE_FILENAME, "project-template.xlsx")


class ProjectImportView(View):
    """GET: the import page; POST: import a filled template, all or nothing, with a row-by-row
    error table. Only those who may create projects (unit staff) get here."""

    template_name = "projects/import.html"

    def dispatch(self, request, *args, **kwargs):
        allowed, reason = permissions.can_create_project(request.user)
        if not allowed:
            return refuse(request, reason, "导入项目")
        return super().dispatch(request, *args, **kwargs)

    def get(self, request):
        return self.render(request)

    def post(self, request):
        if body_too_large(request):
            return self.render(request, problem=uploads.too_large_message(), status=400)
        upload = request.FILES.get("file")
        if upload is None:
            return self.render(request, problem="请选择要导入的 Excel 文件。", status=400)
        try:
            result = excel.import_projects(request.user, upload)
        except TransitionForbidden as error:
            return forbidden(error.message)
        if result.ok:
            messages.success(request, f"成功导入 {result.created} 个项目")
            return redirect("projects:project_import")
        return self.render(request, result=result, filename=upload.name, status=400)

    def render(self, request, status=200, **context):
        result = context.get("result")
        if result is not None:
            context["errors"] = result.errors[:ERRORS_SHOWN]
            context["errors_hidden"] = max(len(result.errors) - ERRORS_SHOWN, 0)
        context.update(columns=excel.COLUMNS, max_mb=uploads.max_upload_mb(), max_rows=excel.IMPORT_MAX_ROWS)
        return render(request, self.template_name, context, status=status)


class ProjectExportView(View):
    """GET: the project list as .xlsx — the list page's querystring, the user's scope."""

    def get(self, request):
        filterset = ProjectFilterSet(request.GET, queryset=Project.objects.visible_to(request.user), request=request)
        if not filterset.is_valid():
            messages.error(request, "筛选条件无效，请重新筛选后再导出。")
            return redirect("projects:project_list")
        filters = {k: v for k, v in request.GET.items() if v}
        content = excel.export_projects(filterset.qs, user=request.user, filters=filters)
        today = timezone.localdate()
        return xlsx_response(content, excel.export_filename(today), f"projects-{today:%Y%m%d}.xlsx")


class AttachmentUploadView(View):
    """POST a file onto a project or pre-assessment in the user's scope.

    A plain form post redirects back with a message; an HTMX post gets the attachments partial.
    """

    def post(self, request, model, pk):
        entry = uploads.attachable(model)
        if entry is None:
            raise Http404
        obj = get_object_or_404(entry.model.objects.visible_to(request.user), pk=pk)
        problem = None
        if body_too_large(request):
            problem = uploads.too_large_message()
        elif "file" not in request.FILES:
            problem = "请选择要上传的文件。"
        else:
            try:
                attachment = uploads.attach_file(
                    obj, request.user, request.FILES["file"], request.POST.get("description", "")
                )
            except TransitionForbidden as error:
                return forbidden(error.message)
            except NotInScope:
                raise Http404 from None
            except ValidationError as error:
                problem = "；".join(error.messages)
        success = None if problem else f"已上传附件“{attachment.original_name}”。"
        if request.htmx:
            context = {
                "obj": obj,
                "attachments": uploads.attachments_for(obj),
                "can_upload": True,
                "model_name": model,
                "upload_error": problem,
                "upload_success": success,
                "next_url": request.POST.get("next", ""),
            }
            # 200 even on a refusal: htmx swaps only 2xx responses, and the partial shows the message.
            return render(request, "includes/attachments.html", context)
        if problem:
            messages.error(request, f"附件未上传：{problem}")
        else:
            messages.success(request, success)
        return redirect(self.back_url(request, obj))

    @staticmethod
    def back_url(request, obj) -> str:
        target = request.POST.get("next") or ""
        if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
            return target
        return obj.get_absolute_url()


class AttachmentDownloadView(View):
    """GET an attachment: only if its record is in the user's scope (else 404), as a download
    under its original name, never rendered inline."""

    def get(self, request, pk):
        try:
            attachment, handle = uploads.open_for_download(pk, request.user)
        except NotInScope:
            raise Http404("未找到该附件。") from None
        response = FileResponse(
            handle, as_attachment=True, filename=attachment.original_name, content_type=attachment.mime_type
        )
        response["X-Content-Type-Options"] = "nosniff"
        response["Content-Security-Policy"] = "default-src 'none'; sandbox"
        return response
