"""HTML pages of dual monitoring (DESIGN §2.4, §2.6): rounds and their overview for finance, the
monitoring reports with their lights, rectifications and funding actions.

Thin views (STYLE habit 10): every queryset starts from ``visible_to(request.user)`` (outside the
scope → 404), the permission functions answer who may act (wrong role → 403 page with the reason),
and every write goes through ``monitoring.services`` or ``perform_transition``. The report
editor's live lights are an htmx partial.
"""


from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views import View

from projects.calendar import WorkingCalendar
from projects.models import FiscalYear, Project
from projects.uploads import attachments_for
from projects.views import _filter_form, paginate, refuse
from targets.choices import SheetStatus
from targets.services import can_write_targets
from workflow.errors import TransitionForbidden, WorkflowError
from workflow.transition_views import TransitionView, actions_context, review_history

from . import overview, permissions, services
from .choices import DECIDED_REPORT_STATES, EDITABLE_REPORT_STATES, LIGHTS_NEEDING_REASON, Light, PaidSource
from .filters import FundingActionFilterSet, MonitoringReportFilterSet, RectificationFilterSet
from .forms import EDITOR_CHOICES, FundingActionForm, LiftForm, RectificationAnswerForm, ReportEditorForm, RoundOpenForm
from .lights import WarningRules
from .models import FundingAction, MonitoringReport, MonitoringRound, Rectification
from .reminders import report_due

REPORT_TRANSITION = "monitoring:report_transition"
RECTIFICATION_TRANSITION = "monitoring:rectification_transition"
# The rectification request finance writes with "通过并要求整改" (the opinion says what is wrong).
REQUIREMENTS_PARAM = {
    "name": "requirements",
    "label": "整改要求（选填；“通过并要求整改”时意见栏填写存在的问题）",
    "kind": "text",
    "actions": {"rectify"},
}


def _reports(user):
    return MonitoringReport.objects.visible_to(user).with_list_related()


def _report_filter_form(filterset, user, with_rounds=True):
    """The report filters for a page: the API's round id and year become a select of the rounds
    the user may see (first), or go when the page is the round itself."""
    form = _filter_form(filterset)
    form.fields.pop("round", None)
    form.fields.pop("year", None)
    if with_rounds:
        rounds = MonitoringRound.objects.visible_to(user).select_related("fiscal_year")
        choices = [("", "全部"), *((str(r.pk), str(r)) for r in rounds)]
        select = forms.Select(attrs={"class": "form-select"})
        round_field = forms.ChoiceField(label="监控批次", required=False, choices=choices, widget=select)
        form.fields = {"round": round_field, **form.fields}
    return form


# --- rounds ---------------------------------------------------------------------------------------


class RoundListView(View):
    """监控批次: every round with the counts of the reports the user may see (one query for all)."""

    def get(self, request):
        user = request.user
        rounds = list(MonitoringRound.objects.visible_to(user).select_related("fiscal_year"))
        counts = {
            row["round"]: row
            for row in MonitoringReport.objects.visible_to(user)
            .filter(round__in=[r.pk for r in rounds])
            .values("round")
            .annotate(
                total=Count("pk"),
                submitted=Count("pk", filter=~Q(status__in=EDITABLE_REPORT_STATES)),
                red=Count("pk", filter=Q(light=Light.RED)),
            )
        }
        for monitoring_round in rounds:
            monitoring_round.counts = counts.get(monitoring_round.pk, {"total": 0, "submitted": 0, "red": 0})
        return render(
            request,
            "monitoring/round_list.html",
            {"rounds": rounds, "can_manage": permissions.can_manage_rounds(user)[0], "active": "rounds"},
        )


class RoundOpenView(View):
    """开启监控批次 (performance office): the round and a report for every project with approved targets."""

    def dispatch(self, request, *args, **kwargs):
        allowed, reason = permissions.can_manage_rounds(request.user)
        if not allowed:
            return refuse(request, reason, "开启监控批次")
        return super().dispatch(request, *args, **kwargs)

    def get(self, request):
        return self.render_form(RoundOpenForm())

    def post(self, request):
        form = RoundOpenForm(request.POST)
        if form.is_valid():
            try:
                monitoring_round = services.open_round(request.user, **form.service_args())
            except ValidationError as error:
                form.add_service_errors(error, aliases={"kind": "period", "number": "period"})
            except WorkflowError as error:
                form.add_error(None, error.message)
            else:
                count = monitoring_round.reports.count()
                messages.success(
                    request, f"已开启{monitoring_round}，生成绩效监控表 {count} 张，已通知各项目单位填报。"
                )
                return redirect(monitoring_round)
        return self.render_form(form)

    def render_form(self, form):
        return render(self.request, "monitoring/round_form.html", {"form": form, "years": FiscalYear.objects.all()})


class RoundOverviewView(View):
    """The round for finance: counts by light and department, the execution-vs-time-progress chart,
    filters, and the filtered list (exported to Excel with the same filters). Everyone sees the
    reports of their own scope."""

    def get(self, request, pk):
        user = request.user
        monitoring_round = get_object_or_404(
            MonitoringRound.objects.visible_to(user).select_related("fiscal_year", "opened_by"), pk=pk
        )
        reports = _reports(user).filter(round=monitoring_round)
        filterset = MonitoringReportFilterSet(request.GET or None, queryset=reports, request=request)
        filtered = filterset.qs
        rules = WarningRules.of(monitoring_round.fiscal_year)
        progress = monitoring_round.time_progress
        lines = overview.department_lines(filtered, progress, rules)
        page = paginate(request, filtered)
        return render(
            request,
            "monitoring/round_overview.html",
            {
                "round": monitoring_round,
                "filter_form": _report_filter_form(filterset, user, with_rounds=False),
                "totals": overview.totals(filtered),
                "lines": lines,
                "chart": overview.chart_data(lines, progress),
                "rules": rules,
                "page_obj": page,
                "reports": page.object_list,
                "export_query": request.GET.urlencode(),
                "can_manage": permissions.can_manage_rounds(user)[0],
                "active": "rounds",
            },
        )


class RoundCloseView(View):
    http_method_names = ["post"]

    def post(self, request, pk):
        monitoring_round = get_object_or_404(MonitoringRound.objects.visible_to(request.user), pk=pk)
        try:
            services.close_round(monitoring_round, request.user)
        except TransitionForbidden as error:
            return refuse(request, error.message, "结束监控批次", monitoring_round)
        except WorkflowError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, f"已结束{monitoring_round}：不再接受报送，审核中的监控表仍可审核。")
        return redirect(monitoring_round)


# --- reports ----------------------------------------------------------------------------------------


class ReportListView(View):
    """绩效监控表: filters (the round first), 25 per page, a fixed number of queries whatever the rows."""

    def get(self, request):
        filterset = MonitoringReportFilterSet(request.GET or None, queryset=_reports(request.user), request=request)
        page = paginate(request, filterset.qs.order_by("-round__period_end", "project__code"))
        return render(
            request,
            "monitoring/report_list.html",
            {
                "filter_form": _report_filter_form(filterset, request.user),
                "page_obj": page,
                "reports": page.object_list,
                "export_query": request.GET.urlencode(),
                "active": "reports",
            },
        )


def _get_report(request, pk) -> MonitoringReport:
    queryset = _reports(request.user).select_related("target_sheet", "round__fiscal_year")
    return get_object_or_404(queryset, pk=pk)


def _blocked(report, problems=None) -> str:
    """Why the report cannot be submitted yet ("" when it can, or is no longer the unit's)."""
    if not report.is_editable:
        return ""
    problems = services.report_problems(report) if problems is None else problems
    return f"尚有 {len(problems)} 项须处理后才能报送（见“报送前检查”）。" if problems else ""


def _current_due(report) -> tuple | None:
    """(due date, calendar warning) of the step the report waits at; None once decided."""
    if report.status in DECIDED_REPORT_STATES:
        return None
    arrived = timezone.localdate(report.state_changed_at)
    return report_due(report, WorkingCalendar.for_deadlines([arrived], report.round.fiscal_year.monitoring_review_days))


def report_actions(report, user, **kwargs) -> dict:
    return actions_context(report, user, REPORT_TRANSITION, params=[REQUIREMENTS_PARAM], **kwargs)


class ReportDetailView(View):
    """绩效监控表: the budget block and every indicator with its light, the numbers, formula and rule
    that produced it; the problems that block submission; deadlines; history; actions; the
    rectification and funding actions that followed; the way to adjust the targets."""

    def get(self, request, pk):
        user = request.user
        report = _get_report(request, pk)
        rows = services.rows_of(report)
        explained = [(number, row, services.explain_row(row, report)) for number, row in enumerate(rows, start=1)]
        problems = services.report_problems(report, rows) if report.is_editable else []
        sheet = report.target_sheet
        context = {
            "report": report,
            "project": report.project,
            "rows": explained,
            "budget": services.explain_budget(report),
            "problems": problems,
            "due": _current_due(report),
            "history": review_history(report),
            "can_edit": permissions.can_fill_report(user, report)[0],
            "can_adjust": sheet.is_current and can_write_targets(user, report.project)[0],
            "adjustments": sheet.adjustments.exclude(status=SheetStatus.APPROVED).order_by("-version")[:1],
            "rectifications": Rectification.objects.visible_to(user).for_source(report),
            "funding_actions": FundingAction.objects.visible_to(user).filter(project=report.project),
            "can_fund": permissions.can_manage_funding(user)[0],
            "needs_reason": LIGHTS_NEEDING_REASON,
            "active": "reports",
            **report_actions(report, user, blocked=_blocked(report, problems)),
        }
        return render(request, "monitoring/report_detail.html", context)


class ReportTransitionView(TransitionView):
    model = MonitoringReport
    url_name = REPORT_TRANSITION
    param_names = ("requirements",)

    def actions_params(self, obj):
        return [REQUIREMENTS_PARAM]

    def blocked_reason(self, obj):
        return _blocked(obj)


class ReportGuardMixin:
    """A page that changes one report: in scope (else 404) and fillable by the user (else 403 with
    the reason, audited)."""

    def dispatch(self, request, pk, *args, **kwargs):
        self.report = _get_report(request, pk)
        allowed, reason = permissions.can_fill_report(request.user, self.report)
        if not allowed:
            return refuse(request, reason, "填报绩效监控表", self.report)
        return super().dispatch(request, pk, *args, **kwargs)


def editor_context(report, form, rows, errors=()) -> dict:
    """Context of the editor and of its live-check partial (monitoring/_report_check.html)."""
    problems = services.report_problems(report, rows)
    return {
        "report": report,
        "project": report.project,
        "form": form,
        "rows": [
            (number, row, form.row_values(row), services.explain_row(row, report))
            for number, row in enumerate(rows, start=1)
        ],
        "budget": services.explain_budget(report),
        "texts": {name: form.text(name) for name in services.REPORT_TEXT_FIELDS},
        "errors": list(errors),
        "problems": problems,
        "needs_reason": LIGHTS_NEEDING_REASON,
        "paid_from_treasury": report.paid_source == PaidSource.TREASURY,
        **EDITOR_CHOICES,
    }


class ReportEditView(ReportGuardMixin, View):
    """填报: paid-to-date (万元; read-only when treasury data exists), each indicator's progress,
    the reasons and measures of red/yellow/blue. Saving recomputes the lights; a draft saves even
    incomplete, and the page says what submission still needs."""

    def get(self, request, pk):
        rows = services.rows_of(self.report)
        form = ReportEditorForm(self.report, rows)
        return render(request, "monitoring/report_edit.html", editor_context(self.report, form, rows))

    def post(self, request, pk):
        rows = services.rows_of(self.report)
        form = ReportEditorForm(self.report, rows, request.POST)
        data = form.service_data()
        if not form.errors:
            try:
                report = services.save_report(self.report, request.user, data)
            except ValidationError as error:
                form.errors.extend(error.messages)
            except TransitionForbidden as error:
                return refuse(request, error.message, "填报绩效监控表", self.report)
            except WorkflowError as error:
                form.errors.append(error.message)
            else:
                problems = services.report_problems(report)
                if problems:
                    messages.warning(request, f"已保存。报送前还须处理 {len(problems)} 项（见“报送前检查”）。")
                else:
                    messages.success(request, "已保存，检查通过，可以报送主管部门。")
                return redirect(report)
        parse_errors = services.preview_report(self.report, rows, data)
        context = editor_context(self.report, form, rows, form.errors or parse_errors)
        return render(request, "monitoring/report_edit.html", context, status=400)


class ReportCheckView(ReportGuardMixin, View):
    """The editor's live check (htmx POST on change): every row's light and what blocks submission,
    computed from what is typed — nothing is saved."""

    http_method_names = ["post"]

    def post(self, request, pk):
        rows = services.rows_of(self.report)
        form = ReportEditorForm(self.report, rows, request.POST)
        errors = services.preview_report(self.report, rows, form.service_data())
        context = editor_context(self.report, form, rows, [*form.errors, *errors])
        return render(request, "monitoring/_report_check.html", context)


# --- rectifications --------------------------------------------------------------------------------


def _rectifications(user):
    return Rectification.objects.visible_to(user).select_related(
        "project__department", "project__unit", "project__fiscal_year", "issued_by", "content_type"
    )


def _visible_source(rectification, user):
    """The record the rectification came from, if the user may open it (a link, not a leak)."""
    source = rectification.source
    if source is None or not type(source).objects.visible_to(user).filter(pk=source.pk).exists():
        return None
    return source


class RectificationListView(View):
    def get(self, request):
        filterset = RectificationFilterSet(request.GET or None, queryset=_rectifications(request.user), request=request)
        page = paginate(request, filterset.qs)
        return render(
            request,
            "monitoring/rectification_list.html",
            {
                "filter_form": _filter_form(filterset),
                "page_obj": page,
                "rectifications": page.object_list,
                "today": timezone.localdate(),
                "active": "rectifications",
            },
        )


class RectificationDetailView(View):
    """整改: what finance found, by when, the department's measures, outcome and evidence, the
    review history and the actions (报送 / 确认 / 退回重新整改)."""

    def get(self, request, pk):
        user = request.user
        rectification = get_object_or_404(_rectifications(user), pk=pk)
        can_answer = permissions.can_answer_rectification(user, rectification)[0]
        context = {
            "rectification": rectification,
            "project": rectification.project,
            "source": _visible_source(rectification, user),
            "history": review_history(rectification),
            "can_answer": can_answer,
            "attachments": attachments_for(rectification),
            "can_upload": can_answer,
            "overdue": rectification.is_overdue(),
            "active": "rectifications",
            **actions_context(rectification, user, RECTIFICATION_TRANSITION),
        }
        return render(request, "monitoring/rectification_detail.html", context)


class RectificationAnswerView(View):
    """填写整改情况: measures and outcome (the evidence is uploaded on the rectification's page)."""

    def dispatch(self, request, pk):
        self.rectification = get_object_or_404(_rectifications(request.user), pk=pk)
        allowed, reason = permissions.can_answer_rectification(request.user, self.rectification)
        if not allowed:
            return refuse(request, reason, "填写整改情况", self.rectification)
        return super().dispatch(request, pk)

    def get(self, request, pk):
        initial = {"measures": self.rectification.measures, "outcome": self.rectification.outcome}
        return self.render_form(RectificationAnswerForm(initial=initial))

    def post(self, request, pk):
        form = RectificationAnswerForm(request.POST)
        if form.is_valid():
            try:
                services.answer_rectification(self.rectification, request.user, **form.cleaned_data)
            except WorkflowError as error:
                form.add_error(None, error.message)
            else:
                messages.success(request, "已保存整改情况。上传佐证材料后，请点击“报送整改情况”。")
                return redirect(self.rectification)
        return self.render_form(form)

    def render_form(self, form):
        return render(
            self.request,
            "monitoring/rectification_answer.html",
            {"form": form, "rectification": self.rectification, "active": "rectifications"},
        )


class RectificationTransitionView(TransitionView):
    model = Rectification
    url_name = RECTIFICATION_TRANSITION


# --- funding actions ---------------------------------------------------------------------------------


def _funding(user):
    return FundingAction.objects.visible_to(user).select_related(
        "project__department", "project__unit", "report__round", "recorded_by", "lifted_by"
    )


class FundingListView(View):
    """资金处置: every suspension, stop and recovery in scope, active ones first."""

    def get(self, request):
        filterset = FundingActionFilterSet(request.GET or None, queryset=_funding(request.user), request=request)
        page = paginate(request, filterset.qs.order_by("status", "-recorded_at"))
        form = _filter_form(filterset)
        form.fields.pop("project", None)
        return render(
            request,
            "monitoring/funding_list.html",
            {"filter_form": form, "page_obj": page, "actions": page.object_list, "active": "funding"},
        )


class FundingCreateView(View):
    """登记资金处置 on a project (performance office), from its report or its page."""

    def dispatch(self, request, project_pk):
        self.project = get_object_or_404(Project.objects.visible_to(request.user).with_list_related(), pk=project_pk)
        allowed, reason = permissions.can_manage_funding(request.user)
        if not allowed:
            return refuse(request, reason, "登记资金处置", self.project)
        return super().dispatch(request, project_pk)

    def reports(self):
        return (
            MonitoringReport.objects.visible_to(self.request.user)
            .filter(project=self.project)
            .select_related("round__fiscal_year")
            .order_by("-round__period_end")
        )

    def get(self, request, project_pk):
        form = FundingActionForm(reports=self.reports())
        if request.GET.get("report", "").isdigit():
            form.initial["report"] = int(request.GET["report"])
        return self.render_form(form)

    def post(self, request, project_pk):
        form = FundingActionForm(request.POST, reports=self.reports())
        if form.is_valid():
            try:
                action = services.record_funding_action(request.user, self.project, **form.service_args())
            except ValidationError as error:
                form.add_service_errors(error, aliases={"amount": "amount_wan"})
            except WorkflowError as error:
                form.add_error(None, error.message)
            else:
                messages.success(
                    request, f"已登记{action.get_kind_display()}：{self.project.name}，已通知项目单位和主管部门。"
                )
                return redirect(action)
        return self.render_form(form)

    def render_form(self, form):
        return render(
            self.request, "monitoring/funding_form.html", {"form": form, "project": self.project, "active": "funding"}
        )


class FundingDetailView(View):
    def get(self, request, pk):
        action = get_object_or_404(_funding(request.user), pk=pk)
        can_lift = action.is_liftable and permissions.can_manage_funding(request.user)[0]
        return render(
            request,
            "monitoring/funding_detail.html",
            {"action": action, "lift_form": LiftForm() if can_lift else None, "active": "funding"},
        )


class FundingLiftView(View):
    """解除暂缓 / 停止拨款 (performance office), with a reason."""

    http_method_names = ["post"]

    def post(self, request, pk):
        action = get_object_or_404(_funding(request.user), pk=pk)
        allowed, reason = permissions.can_manage_funding(request.user)
        if not allowed:
            return refuse(request, reason, "解除资金处置", action)
        form = LiftForm(request.POST)
        if not form.is_valid():
            messages.error(request, "请写明解除原因。")
            return redirect(action)
        try:
            services.lift_funding_action(action, request.user, form.cleaned_data["lift_reason"])
        except ValidationError as error:
            messages.error(request, "；".join(error.messages))
        except WorkflowError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, f"已解除{action.get_kind_display()}。")
        return redirect(action)
