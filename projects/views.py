"""HTML pages of the project library, pre-assessments, fiscal years and the working-day calendar.

Thin views (STYLE habit 10): every queryset starts from ``visible_to(request.user)`` (outside the
scope → 404), the permission functions answer who may act (wrong role → 403 page with the
reason), and every write goes through ``projects.services`` or ``perform_transition``.
"""

import copy

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views import View

from accounts.choices import Role
from workflow.audit import AuditEventKind, record_event
from workflow.errors import WorkflowError
from workflow.transition_views import TransitionView, actions_context, review_history

from . import permissions, services
from .calendar import add_working_days
from .choices import Conclusion, Dimension, PreAssessmentMode
from .filters import PreAssessmentFilterSet, ProjectFilterSet
from .forms import (
    CalendarDayForm,
    CalendarYearForm,
    CommissionForm,
    FiscalYearForm,
    NewFiscalYearForm,
    PreAssessmentForm,
    ProjectForm,
    WorkingDaysForm,
    bootstrap,
)
from .models import CalendarDay, CalendarYear, FiscalYear, PreAssessment, Project
from .uploads import attachments_for

PAGE_SIZE = 25
CONCLUSION_PARAM = {
    "name": "conclusion",
    "label": "评估结论",
    "choices": Conclusion.choices,
    "actions": {"conclude"},
}


def forbidden(reason: str):
    """Answer with the shared 403 page saying why; the caller has already audited the refusal."""
    error = PermissionDenied(reason)
    error.audited = True  # accounts.views.permission_denied would record it again otherwise
    raise error


def refuse(request, reason: str, action: str, obj=None):
    """Wrong role: record the refusal in the audit trail and answer 403 with the reason."""
    record_event(
        AuditEventKind.PERMISSION_DENIED, user=request.user, obj=obj, success=False, message=f"{action}: {reason}"
    )
    forbidden(reason)


def paginate(request, queryset):
    return Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))


# Filters the API takes that the page does not show (the fiscal-year select covers ``year``).
HIDDEN_FILTERS = ("year",)
YES_NO_ALL = [("", "全部"), ("true", "是"), ("false", "否")]


def _filter_form(filterset):
    """The filterset's form dressed for the page: Chinese “全部” choices, Bootstrap classes."""
    filterset.qs  # noqa: B018  (filter with every field before the page hides some)
    form = filterset.form
    for name in HIDDEN_FILTERS:
        form.fields.pop(name, None)
    # The API takes mode/conclusion as free values; on the page they are choices.
    for name, choices in (("mode", PreAssessmentMode.choices), ("conclusion", Conclusion.choices)):
        if name in form.fields:
            form.fields[name].widget = forms.Select(choices=[("", "全部"), *choices])
    for field in form.fields.values():
        if isinstance(field, forms.NullBooleanField):
            field.widget = forms.Select(choices=YES_NO_ALL)
        elif isinstance(field, forms.ModelChoiceField):
            field.empty_label = "全部"
        elif isinstance(field, forms.ChoiceField):
            field.widget = forms.Select(choices=[("", "全部"), *[c for c in field.choices if c[0] != ""]])
    _narrow_unit_choices(form)
    return bootstrap(form)


UNIT_OPTIONS_LIMIT = 60


def _narrow_unit_choices(form):
    """A city has hundreds of units: offer those of the chosen department, not all of them.

    Only the drop-down shrinks; the filter still accepts any unit in the user's scope.
    """
    field = form.fields.get("unit")
    if field is None:
        return
    cleaned = getattr(form, "cleaned_data", {})
    department, chosen = cleaned.get("department"), cleaned.get("unit")
    units = field.queryset
    if department is not None:
        units = units.filter(path__startswith=department.path)
    elif units.count() > UNIT_OPTIONS_LIMIT:
        units = units.filter(pk=chosen.pk) if chosen else units.none()
        field.help_text = "请先选择主管部门"
    field.widget.choices = [("", "全部"), *((u.pk, u.name) for u in units)]


def _attachments_context(request, obj, model_name: str) -> dict:
    """Context of the shared partial templates/includes/attachments.html."""
    return {
        "attachments": attachments_for(obj),
        "can_upload": permissions.can_upload_attachment(request.user, obj)[0],
        "model_name": model_name,
    }


# --- Project library ---------------------------------------------------------------------------


class ProjectListView(View):
    """项目库: filters, search, 25 per page; a fixed number of queries whatever the rows."""

    def get(self, request):
        queryset = Project.objects.visible_to(request.user).with_list_related()
        filterset = ProjectFilterSet(request.GET or None, queryset=queryset, request=request)
        page = paginate(request, filterset.qs)
        return render(
            request,
            "projects/project_list.html",
            {
                "filter_form": _filter_form(filterset),
                "page_obj": page,
                "projects": page.object_list,
                "can_create": permissions.can_create_project(request.user)[0],
            },
        )


class ProjectDetailView(View):
    def get(self, request, pk):
        project = get_object_or_404(Project.objects.visible_to(request.user).with_list_related(), pk=pk)
        pa = getattr(project, "preassessment", None)
        gate_ok, gate_reason = project.preassessment_gate()
        user = request.user
        context = {
            "project": project,
            "pa": pa,
            "gate_reason": "" if gate_ok else gate_reason,
            "history": review_history(project, pa),
            "can_edit": permissions.can_edit_project(user, project)[0],
            "can_mark_key": permissions.can_mark_key(user, project)[0],
            "can_start_pa": pa is None and permissions.can_start_preassessment(user, project)[0],
            **actions_context(project, user, "projects:project_transition", blocked="" if gate_ok else gate_reason),
            **_attachments_context(request, project, "project"),
        }
        return render(request, "projects/project_detail.html", context)


class ProjectFormView(View):
    """Create (no pk) or edit a project through services.create_project / update_project."""

    template_name = "projects/project_form.html"

    def dispatch(self, request, pk=None):
        self.project = None
        if pk is not None:
            self.project = get_object_or_404(Project.objects.visible_to(request.user).with_list_related(), pk=pk)
            allowed, reason = permissions.can_edit_project(request.user, self.project)
        else:
            allowed, reason = permissions.can_create_project(request.user)
        if not allowed:
            return refuse(request, reason, "修改项目" if self.project else "新建项目", self.project)
        return super().dispatch(request, pk)

    def make_form(self, data=None):
        # The form validates a copy: the service snapshots the unchanged project for the audit.
        instance = copy.copy(self.project) if self.project else None
        return ProjectForm(data, instance=instance, user=self.request.user)

    def get(self, request, pk=None):
        return self.render_form(self.make_form())

    def post(self, request, pk=None):
        form = self.make_form(request.POST)
        if form.is_valid():
            try:
                if self.project is None:
                    project = services.create_project(request.user, form.service_data())
                else:
                    project = services.update_project(self.project, request.user, form.service_data())
            except ValidationError as error:
                form.add_service_errors(error, aliases={"budget_amount": "budget_wan"})
            except WorkflowError as error:
                form.add_error(None, error.message)
            else:
                messages.success(request, f"已保存项目：{project}")
                return redirect(project)
        return self.render_form(form)

    def render_form(self, form):
        return render(self.request, self.template_name, {"form": form, "project": self.project})


class ProjectTransitionView(TransitionView):
    model = Project
    url_name = "projects:project_transition"

    def blocked_reason(self, obj):
        ok, reason = obj.preassessment_gate()
        return "" if ok else reason


class SetKeyProjectView(View):
    """设为重点 / 取消重点 (performance office)."""

    def post(self, request, pk):
        project = get_object_or_404(Project.objects.visible_to(request.user), pk=pk)
        is_key = request.POST.get("is_key") == "1"
        try:
            services.set_key_project(project, request.user, is_key)
        except WorkflowError as error:
            return refuse(request, error.message, "设定重点项目", project)
        messages.success(request, "已设为重点项目。" if is_key else "已取消重点项目。")
        return redirect(project)


# --- Pre-assessment ----------------------------------------------------------------------------


def _preassessments(user):
    return PreAssessment.objects.visible_to(user).select_related(
        "project__fiscal_year", "project__department", "project__unit", "agency__organization"
    )


class PreAssessmentListView(View):
    def get(self, request):
        queryset = _preassessments(request.user).prefetch_related("scores")
        filterset = PreAssessmentFilterSet(request.GET or None, queryset=queryset, request=request)
        page = paginate(request, filterset.qs)
        return render(
            request,
            "projects/preassessment_list.html",
            {"filter_form": _filter_form(filterset), "page_obj": page, "preassessments": page.object_list},
        )


class StartPreAssessmentView(View):
    def post(self, request, pk):
        project = get_object_or_404(Project.objects.visible_to(request.user).with_list_related(), pk=pk)
        try:
            pa = services.start_preassessment(project, request.user)
        except WorkflowError as error:
            messages.error(request, error.message)
            return redirect(project)
        messages.success(request, "已发起事前绩效评估，请填写五个评估维度。")
        if permissions.can_fill_preassessment(request.user, pa)[0]:
            return redirect("projects:preassessment_edit", pk=pa.pk)
        return redirect(pa)


class PreAssessmentMixin:
    def get_preassessment(self, pk) -> PreAssessment:
        return get_object_or_404(_preassessments(self.request.user).prefetch_related("scores", "experts"), pk=pk)


class PreAssessmentDetailView(PreAssessmentMixin, View):
    def get(self, request, pk):
        pa = self.get_preassessment(pk)
        user = request.user
        context = {
            "pa": pa,
            "project": pa.project,
            "scores": sorted(pa.scores.all(), key=lambda s: _DIMENSION_ORDER[s.dimension]),
            "history": review_history(pa),
            "can_fill": permissions.can_fill_preassessment(user, pa)[0],
            "can_commission": permissions.can_commission_preassessment(user, pa)[0],
            **actions_context(pa, user, "projects:preassessment_transition", params=[CONCLUSION_PARAM]),
            **_attachments_context(request, pa, "preassessment"),
        }
        return render(request, "projects/preassessment_detail.html", context)


_DIMENSION_ORDER = {value: index for index, value in enumerate(Dimension.values)}


class GuardedPreAssessmentView(PreAssessmentMixin, View):
    """A page that acts on one pre-assessment: in scope (else 404) and allowed by ``permission``
    (else 403 with its reason, audited as ``action``)."""

    permission = None  # a projects.permissions function (user, pa) -> (bool, reason)
    action = ""

    def dispatch(self, request, pk):
        self.pa = self.get_preassessment(pk)
        allowed, reason = self.permission(request.user, self.pa)
        if not allowed:
            return refuse(request, reason, self.action, self.pa)
        return super().dispatch(request, pk)


class PreAssessmentEditView(GuardedPreAssessmentView):
    """The five dimensions (score + opinion) and the summary → services.save_preassessment."""

    permission = staticmethod(permissions.can_fill_preassessment)
    action = "填写事前评估"

    def get(self, request, pk):
        return self.render_form(PreAssessmentForm(preassessment=self.pa))

    def post(self, request, pk):
        form = PreAssessmentForm(request.POST, preassessment=self.pa)
        if form.is_valid():
            try:
                services.save_preassessment(
                    self.pa, request.user, form.service_scores(), summary=form.cleaned_data["summary"]
                )
            except ValidationError as error:
                form.add_service_errors(error, aliases=form.aliases())
            except WorkflowError as error:
                form.add_error(None, error.message)
            else:
                missing = self.pa.missing_dimensions()
                if missing:
                    messages.warning(request, f"已保存。提交前还须填写：{'、'.join(missing)}。")
                else:
                    messages.success(request, "已保存，五个维度均已填写，可以提交。")
                return redirect(self.pa)
        return self.render_form(form)

    def render_form(self, form):
        return render(self.request, "projects/preassessment_form.html", {"form": form, "pa": self.pa})


class CommissionView(GuardedPreAssessmentView):
    """委托评估: finance hands the assessment to an agency or experts (or back to the department)."""

    permission = staticmethod(permissions.can_commission_preassessment)
    action = "委托评估"

    def get(self, request, pk):
        initial = {"mode": self.pa.mode, "agency": self.pa.agency_id, "experts": list(self.pa.experts.all())}
        return self.render_form(CommissionForm(initial=initial))

    def post(self, request, pk):
        form = CommissionForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.commission_preassessment(
                    self.pa, request.user, data["mode"], agency=data["agency"], experts=list(data["experts"])
                )
            except ValidationError as error:
                form.add_service_errors(error)
            except WorkflowError as error:
                form.add_error(None, error.message)
            else:
                messages.success(request, f"已设置评估方式：{self.pa.get_mode_display()}")
                return redirect(self.pa)
        return self.render_form(form)

    def render_form(self, form):
        return render(self.request, "projects/preassessment_commission.html", {"form": form, "pa": self.pa})


class PreAssessmentTransitionView(TransitionView):
    model = PreAssessment
    url_name = "projects:preassessment_transition"
    param_names = ("conclusion",)

    def get_params(self):
        # Only the conclusion step takes a conclusion.
        return super().get_params() if self.kwargs["action"] == "conclude" else {}

    def actions_params(self, obj):
        return [CONCLUSION_PARAM]


# --- Fiscal years ------------------------------------------------------------------------------


def _is_office(user) -> bool:
    return user.has_role(Role.PERFORMANCE_OFFICE)


class FiscalYearListView(View):
    def get(self, request, form=None):
        years = FiscalYear.objects.visible_to(request.user).order_by("-year")
        return render(
            request,
            "projects/fiscalyear_list.html",
            {"years": years, "can_edit": _is_office(request.user), "form": form or NewFiscalYearForm()},
        )

    def post(self, request):
        if not _is_office(request.user):
            return refuse(request, "只有财政绩效管理科可以新增预算年度。", "新增预算年度")
        form = NewFiscalYearForm(request.POST)
        if form.is_valid():
            try:
                year = services.create_fiscal_year(request.user, form.cleaned_data["year"])
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                messages.success(request, f"已新增{year}，规则取默认值，请核对。")
                return redirect(year)
        return self.get(request, form=form)


class FiscalYearEditView(View):
    def dispatch(self, request, pk):
        self.year = get_object_or_404(FiscalYear.objects.visible_to(request.user), pk=pk)
        if not _is_office(request.user):
            return refuse(request, "预算年度规则由财政绩效管理科维护，您只能查看。", "修改预算年度", self.year)
        return super().dispatch(request, pk)

    def get(self, request, pk):
        return self.render_form(FiscalYearForm(instance=copy.copy(self.year)))

    def post(self, request, pk):
        form = FiscalYearForm(request.POST, instance=copy.copy(self.year))
        if form.is_valid():
            try:
                services.update_fiscal_year(self.year, request.user, form.service_data())
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                messages.success(request, f"已保存{self.year}的规则。")
                return redirect("projects:fiscalyear_list")
        return self.render_form(form)

    def render_form(self, form):
        return render(self.request, "projects/fiscalyear_form.html", {"form": form, "year": self.year})


# --- Working-day calendar ----------------------------------------------------------------------

# Years of chinese-calendar the sync button asks for (the package skips those it has no data for).
CALENDAR_SYNC_FIRST_YEAR = 2018


class CalendarView(View):
    """工作日历: which years have their holidays entered, the exception days of a year, and a
    working-day calculator. The performance office edits; everyone else reads."""

    template_name = "projects/calendar.html"

    def get(self, request, **forms_):
        return self.render_page(**forms_)

    def render_page(self, status=200, **forms_):
        request = self.request
        today = timezone.localdate()
        try:
            shown_year = int(request.GET.get("year") or request.POST.get("year") or today.year)
        except ValueError:
            shown_year = today.year
        years = list(CalendarYear.objects.order_by("-year"))
        complete = {y.year for y in years if y.complete}
        calc_form = WorkingDaysForm(request.GET if "days" in request.GET else None)
        calc_result = None
        if calc_form.is_bound and calc_form.is_valid():
            calc_result = add_working_days(calc_form.cleaned_data["start"], calc_form.cleaned_data["days"])
        context = {
            "years": years,
            "missing_years": [y for y in range(today.year, today.year + 2) if y not in complete],
            "shown_year": shown_year,
            "days": CalendarDay.objects.filter(date__year=shown_year).order_by("date"),
            "can_edit": _is_office(request.user),
            "day_form": forms_.get("day_form") or CalendarDayForm(),
            "year_form": forms_.get("year_form") or CalendarYearForm(initial={"year": shown_year, "complete": "1"}),
            "calc_form": calc_form if calc_form.is_bound else WorkingDaysForm(),
            "calc_result": calc_result,
        }
        return render(request, self.template_name, context, status=status)


class CalendarEditView(CalendarView):
    """POSTs of the calendar page; refused (403) for anyone but the performance office."""

    http_method_names = ["post"]

    def dispatch(self, request, *args, **kwargs):
        if not _is_office(request.user):
            return refuse(request, "工作日历由财政绩效管理科维护，您只能查看。", "维护工作日历")
        return super().dispatch(request, *args, **kwargs)

    def done(self, message: str, year: int):
        messages.success(self.request, message)
        return redirect(f"{reverse('projects:calendar')}?year={year}")


class CalendarDayView(CalendarEditView):
    def post(self, request):
        form = CalendarDayForm(request.POST)
        if not form.is_valid():
            return self.render_page(day_form=form)
        data = form.cleaned_data
        day = services.set_calendar_day(request.user, data["date"], data["is_workday"], data["name"])
        if day is None:
            message = f"{data['date']:%Y-%m-%d} 按常规作息，不再作为例外。"
        else:
            message = f"已保存：{day}"
        return self.done(message, data["date"].year)


class CalendarYearView(CalendarEditView):
    def post(self, request):
        form = CalendarYearForm(request.POST)
        if not form.is_valid():
            return self.render_page(year_form=form)
        data = form.cleaned_data
        services.mark_calendar_year_complete(request.user, data["year"], data["complete"])
        state = "已标记为节假日录入完整" if data["complete"] else "已标记为尚未录入完整"
        return self.done(f"{data['year']}年{state}。", data["year"])


class CalendarSyncView(CalendarEditView):
    def post(self, request):
        last_year = timezone.localdate().year + 5
        years = services.sync_calendar_from_package(request.user, CALENDAR_SYNC_FIRST_YEAR, last_year)
        known = f"{years[0]}–{years[-1]}" if years else "无"
        return self.done(f"已从 chinese-calendar 同步，其数据覆盖的年份：{known}。", timezone.localdate().year)

