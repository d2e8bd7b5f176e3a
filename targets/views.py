"""HTML pages of the indicator library and the target sheets (DESIGN §2.3, §2.8).

Thin views (STYLE habit 10): every queryset starts from ``visible_to(request.user)`` (outside the
scope → 404), the permission functions answer who may act (wrong role → 403 page with the
reason), and every write goes through ``targets.services`` / ``targets.library`` or
``perform_transition``. The editor's live totals and library search are htmx partials.
"""

import copy
import secrets
from dataclasses import dataclass, field
from decimal import Decimal

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Case, Count, IntegerField, Q, When
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views import View

from accounts.choices import Role
from projects.models import FiscalYear, Project
from projects.views import _filter_form, paginate, refuse
from workflow.errors import TransitionForbidden, WorkflowError
from workflow.transition_views import TransitionView, actions_context, review_history

from . import library, services
from .checks import Problem, blocking, check_sheet
from .choices import (
    Comparator,
    IndicatorPeriod,
    IndustryField,
    Level1,
    Level2,
    SheetStatus,
    TemplateStatus,
)
from .diff import diff_sheets
from .filters import IndicatorTemplateFilterSet, TargetSheetFilterSet, too_low_rows
from .forms import (
    AdjustmentForm,
    EditorRow,
    ExpertReviewForm,
    RejectTemplateForm,
    SendToExpertsForm,
    SheetEditorForm,
    TemplateForm,
    level2_groups,
)
from .models import LOCKED_MESSAGE, Indicator, IndicatorTemplate, TargetSheet

TRANSITION_URL = "targets:sheet_transition"
# Chain actions that take more than an opinion: they have forms of their own on the sheet page.
FORM_ACTIONS = frozenset({"send_to_experts", "experts_done"})
# The review step each reviewer role approves (the batch checkboxes).
REVIEW_STEP = {
    Role.DEPT_REVIEWER: SheetStatus.DEPT_REVIEW,
    Role.FINANCE_REVIEWER: SheetStatus.FINANCE_REVIEW,
    Role.PERFORMANCE_OFFICE: SheetStatus.OFFICE_REVIEW,
}
MAX_BATCH = 200
SEARCH_LIMIT = 20


def _sheets(user):
    return TargetSheet.objects.visible_to(user).with_list_related()


def _get_sheet(request, pk) -> TargetSheet:
    queryset = _sheets(request.user).select_related("project__preassessment", "adjustment_of")
    return get_object_or_404(queryset, pk=pk)


def _level_order(name: str, choices) -> Case:
    """Order by a choice's declaration (产出, 效益, 满意度), not alphabetically."""
    return Case(*(When(**{name: v}, then=i) for i, v in enumerate(choices.values)), output_field=IntegerField())


# --- weights and the grouped table ---------------------------------------------------------


@dataclass
class WeightLine:
    label: str
    expected: int
    actual: Decimal

    @property
    def ok(self) -> bool:
        return self.actual == self.expected


def weight_lines(rows, fiscal_year) -> list[WeightLine]:
    """Year-table weights per level 1 and in all, against the year's split (a per-year rule)."""
    year_rows = [r for r in rows if r.period == IndicatorPeriod.YEAR]
    split = {
        Level1.OUTPUT: fiscal_year.weight_output,
        Level1.EFFECT: fiscal_year.weight_effect,
        Level1.SATISFACTION: fiscal_year.weight_satisfaction,
    }
    lines = [
        WeightLine(level1.label, expected, sum((r.weight or 0 for r in year_rows if r.level1 == level1), Decimal(0)))
        for level1, expected in split.items()
    ]
    lines.append(WeightLine("合计", sum(split.values()), sum((line.actual for line in lines), Decimal(0))))
    return lines


@dataclass
class TableGroup:
    label: str
    rows: list = field(default_factory=list)
    subtotal: Decimal = Decimal(0)


def grouped_table(rows, problems_by_row=None) -> list[TableGroup]:
    """One period's rows in the standard form's order (一级 → 二级 → 序号), each with ``number``
    (its row number in the editor), ``l1_span`` / ``l2_span`` (rowspans of its first row) and the
    problems that name it."""
    problems_by_row = problems_by_row or {}
    level1_order = {v: i for i, v in enumerate(Level1.values)}
    level2_order = {v: i for i, v in enumerate(Level2.values)}
    for number, row in enumerate(rows, start=1):
        row.number = number
        row.problems = problems_by_row.get(number, [])
        row.flagged = any(not p.blocking for p in row.problems)
    ordered = sorted(rows, key=lambda r: (level1_order.get(r.level1, 9), level2_order.get(r.level2, 99), r.number))
    groups: list[TableGroup] = []
    for row in ordered:
        if not groups or groups[-1].rows[0].level1 != row.level1:
            groups.append(TableGroup(row.get_level1_display() or row.level1))
        group = groups[-1]
        group.rows.append(row)
        group.subtotal += row.weight or 0
    for group in groups:
        group.rows[0].l1_span = len(group.rows)
        first = None
        for row in group.rows:
            if first is not None and first.level2 == row.level2:
                row.l2_span = 0
                first.l2_span += 1
            else:
                row.l2_span, first = 1, row
    return groups


def problems_by_row(problems) -> dict[int, list]:
    rows: dict[int, list] = {}
    for problem in problems:
        if problem.row is not None:
            rows.setdefault(problem.row, []).append(problem)
    return rows


# --- indicator library -----------------------------------------------------------------------


class LibraryView(View):
    """指标库: confirmed templates (and the proposals the user may see) grouped 一级 → 二级, with
    filters, search and pages; the office confirms or rejects proposals here."""

    page_size = 50

    def get(self, request):
        user = request.user
        queryset = IndicatorTemplate.objects.visible_to(user).select_related("proposed_by")
        filterset = IndicatorTemplateFilterSet(request.GET or None, queryset=queryset, request=request)
        ordered = filterset.qs.order_by(
            _level_order("level1", Level1), _level_order("level2", Level2), "code"
        )
        page = paginate(request, ordered)
        can_manage = library.can_manage_library(user)[0]
        return render(
            request,
            "targets/library.html",
            {
                "filter_form": _filter_form(filterset),
                "page_obj": page,
                "templates": page.object_list,
                "can_manage": can_manage,
                "can_propose": library.can_propose_template(user)[0],
                "proposed_count": queryset.filter(status=TemplateStatus.PROPOSED).count() if can_manage else 0,
            },
        )


class LibrarySearchView(View):
    """The editor's search box: confirmed templates by name, code or field (htmx partial)."""

    def get(self, request):
        q = request.GET.get("q", "").strip()[:50]
        templates = []
        if q:
            fields = [value for value, label in IndustryField.choices if q in label]
            templates = list(
                IndicatorTemplate.objects.visible_to(request.user)
                .confirmed()
                .filter(Q(name__icontains=q) | Q(code__icontains=q) | Q(field__in=fields))
                .order_by(_level_order("level1", Level1), _level_order("level2", Level2), "code")[:SEARCH_LIMIT]
            )
        sheet_id = request.GET.get("sheet", "")
        row_url = reverse("targets:sheet_row", args=[int(sheet_id)]) if sheet_id.isdigit() else ""
        return render(
            request,
            "targets/_library_search.html",
            {
                "q": q,
                "templates": templates,
                "row_url": row_url,
                "multi": request.GET.get("multi") == "1",
                "limit": SEARCH_LIMIT,
            },
        )


class TemplateFormView(View):
    """New template (office), proposal (department) or edit (office)."""

    mode = "create"  # create / propose / edit

    def dispatch(self, request, pk=None):
        self.template = None
        if self.mode == "edit":
            self.template = get_object_or_404(IndicatorTemplate.objects.visible_to(request.user), pk=pk)
        check = library.can_propose_template if self.mode == "propose" else library.can_manage_library
        allowed, reason = check(request.user)
        if not allowed:
            return refuse(request, reason, "提议指标" if self.mode == "propose" else "维护指标库", self.template)
        return super().dispatch(request, pk)

    def make_form(self, data=None):
        instance = copy.copy(self.template) if self.template else None
        return TemplateForm(data, instance=instance, proposal=self.mode == "propose")

    def get(self, request, pk=None):
        return self.render_form(self.make_form())

    def post(self, request, pk=None):
        form = self.make_form(request.POST)
        if form.is_valid():
            data = form.service_data()
            try:
                if self.mode == "create":
                    template = library.create_template(request.user, data)
                elif self.mode == "propose":
                    template = library.propose_template(request.user, data)
                else:
                    template = library.update_template(self.template, request.user, data)
            except ValidationError as error:
                form.add_service_errors(error)
            except WorkflowError as error:
                form.add_error(None, error.message)
            else:
                done = "已提交，待财政绩效管理科确认" if self.mode == "propose" else "已保存"
                messages.success(request, f"{done}：{template.code} {template.name}")
                return redirect("targets:library")
        return self.render_form(form)

    def render_form(self, form):
        titles = {"create": "新增指标", "propose": "提议指标", "edit": "修改指标"}
        return render(
            self.request,
            "targets/template_form.html",
            {"form": form, "template": self.template, "title": titles[self.mode], "mode": self.mode},
        )


class TemplateDecisionView(View):
    """确认 / 不采纳 a proposed template (performance office)."""

    http_method_names = ["post"]
    confirm = True

    def post(self, request, pk):
        template = get_object_or_404(IndicatorTemplate.objects.visible_to(request.user), pk=pk)
        allowed, reason = library.can_manage_library(request.user)
        if not allowed:
            return refuse(request, reason, "确认指标", template)
        try:
            if self.confirm:
                library.confirm_template(template, request.user)
            else:
                form = RejectTemplateForm(request.POST)
                form.is_valid()
                library.reject_template(template, request.user, form.cleaned_data.get("opinion", ""))
        except WorkflowError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, f"{'已确认' if self.confirm else '未采纳'}：{template.name}")
        return redirect(f"{reverse('targets:library')}?status={TemplateStatus.PROPOSED}")


# --- sheet list and batch approval -----------------------------------------------------------


VERSION_CHOICES = [("", "现行及调整中版本"), ("all", "全部版本（含已替代）")]


class SheetListView(View):
    """绩效目标表: filters, 25 per page, a fixed number of queries whatever the rows. Superseded
    versions are hidden unless asked for; reviewers tick the sheets at their step to approve."""

    def get(self, request):
        user = request.user
        filterset = TargetSheetFilterSet(request.GET or None, queryset=_sheets(user), request=request)
        queryset = filterset.qs
        show_all = request.GET.get("versions") == "all"
        if not show_all:
            queryset = queryset.exclude(status=SheetStatus.SUPERSEDED)
        page = paginate(request, queryset)
        sheets = list(page.object_list)
        self.annotate_page(sheets)
        step = next((status for role, status in REVIEW_STEP.items() if user.has_role(role)), None)
        for sheet in sheets:
            sheet.selectable = step is not None and sheet.status == step
        return render(
            request,
            "targets/sheet_list.html",
            {
                "filter_form": self.filter_form(filterset),
                "page_obj": page,
                "sheets": sheets,
                "can_batch": step is not None,
                "can_import": user.has_role(Role.UNIT_STAFF),
                "any_selectable": any(s.selectable for s in sheets),
            },
        )

    @staticmethod
    def annotate_page(sheets):
        """Row counts and too-low flags of the page's sheets: two queries for the whole page."""
        ids = [s.pk for s in sheets]
        counts = dict(
            Indicator.objects.filter(sheet__in=ids, period=IndicatorPeriod.YEAR)
            .values("sheet")
            .annotate(n=Count("pk"))
            .values_list("sheet", "n")
        )
        flagged = set(too_low_rows().filter(sheet__in=ids).values_list("sheet", flat=True))
        for sheet in sheets:
            sheet.row_count = counts.get(sheet.pk, 0)
            sheet.flagged = sheet.pk in flagged

    def filter_form(self, filterset):
        form = _filter_form(filterset)
        for name in ("project", "is_current"):  # API filters; the page uses the version switch
            form.fields.pop(name, None)
        years = FiscalYear.objects.order_by("-year").values_list("year", flat=True)
        form.fields["year"] = forms.ChoiceField(
            label="年度",
            required=False,
            choices=[("", "全部"), *((str(y), f"{y}年") for y in years)],
            widget=forms.Select(attrs={"class": "form-select"}),
        )
        form.fields["versions"] = forms.ChoiceField(
            label="版本", required=False, choices=VERSION_CHOICES, widget=forms.Select(attrs={"class": "form-select"})
        )
        form.fields = {"year": form.fields.pop("year"), **form.fields}  # the year first, as on paper
        return form


class BatchApproveView(View):
    """批量审核通过: each ticked sheet is its own transition and record; refusals are listed."""

    http_method_names = ["post"]

    def post(self, request):
        user = request.user
        if not any(user.has_role(role) for role in REVIEW_STEP):
            return refuse(request, "只有审核人员可以批量审核。", "批量审核")
        ids = list(dict.fromkeys(int(v) for v in request.POST.getlist("sheets") if v.isdigit()))
        if not ids:
            messages.warning(request, "请先勾选要审核通过的绩效目标表。")
            return redirect("targets:sheet_list")
        if len(ids) > MAX_BATCH:
            messages.error(request, f"一次最多批量审核 {MAX_BATCH} 张绩效目标表。")
            return redirect("targets:sheet_list")
        results = services.approve_many(ids, user, request.POST.get("opinion", "").strip())
        sheets = _sheets(user).in_bulk(ids)
        rows = [(sheets.get(r.sheet_id), r) for r in results]
        ok = sum(1 for r in results if r.ok)
        return render(
            request,
            "targets/batch_results.html",
            {"rows": rows, "ok_count": ok, "failed_count": len(results) - ok},
        )


# --- one sheet -------------------------------------------------------------------------------


def sheet_actions(sheet, user, **kwargs) -> dict:
    """The workflow buttons without the steps that have forms of their own (送专家评审)."""
    context = actions_context(sheet, user, TRANSITION_URL, **kwargs)
    context["wf_actions"] = [t for t in context["wf_actions"] if t.action not in FORM_ACTIONS]
    return context


def _blocked(sheet, problems) -> str:
    if sheet.is_editable and blocking(problems):
        return f"尚有 {len(blocking(problems))} 个问题须处理后才能提交（见“校验结果”）。"
    return ""


class SheetDetailView(View):
    """绩效目标表 in the layout of the standard form 项目支出绩效目标申报表, with the checks, the
    review history, the experts' reviews, the versions and the actions."""

    def get(self, request, pk):
        user = request.user
        sheet = _get_sheet(request, pk)
        project = sheet.project
        rows = list(sheet.indicators.all())
        problems = check_sheet(sheet, rows)
        year_rows = [r for r in rows if r.period == IndicatorPeriod.YEAR]
        whole_rows = [r for r in rows if r.period == IndicatorPeriod.WHOLE]
        reviews = list(sheet.expert_reviews.select_related("expert").order_by("pk"))
        own_review = next((r for r in reviews if r.expert.user_id == user.pk), None)
        is_expert = user.has_role(Role.EXPERT)
        versions = list(
            TargetSheet.objects.visible_to(user).filter(project=project).order_by("version").only(
                "pk", "version", "status", "is_current", "approved_at", "adjustment_of_id", "created_at"
            )
        )
        for previous, version in zip(versions, versions[1:], strict=False):
            base = next((v for v in versions if v.pk == version.adjustment_of_id), previous)
            version.diff_with, version.diff_with_version = base.pk, base.version
        context = {
            "sheet": sheet,
            "project": project,
            "year_groups": grouped_table(year_rows, problems_by_row(problems)),
            "whole_groups": grouped_table(whole_rows),
            "weights": weight_lines(rows, project.fiscal_year),
            "problems": problems,
            "blocking_count": len(blocking(problems)),
            "flag_count": sum(1 for p in problems if not p.blocking),
            "history": review_history(sheet),
            "reviews": [own_review] if is_expert and own_review else ([] if is_expert else reviews),
            "review_form": self.review_form(sheet, own_review),
            "experts_form": self.experts_form(sheet, user),
            "versions": versions,
            "can_edit": services.can_edit_sheet(user, sheet)[0],
            "can_adjust": self.can_adjust(sheet, user, versions),
            "locked_message": LOCKED_MESSAGE if sheet.is_locked else "",
            **sheet_actions(sheet, user, blocked=_blocked(sheet, problems)),
        }
        return render(request, "targets/sheet_detail.html", context)

    @staticmethod
    def review_form(sheet, review):
        if review is None or review.submitted_at is not None or sheet.status != SheetStatus.EXPERT_REVIEW:
            return None
        return ExpertReviewForm()

    @staticmethod
    def experts_form(sheet, user):
        if sheet.workflow_chain.transition_for(sheet, "send_to_experts") and user.has_role(Role.PERFORMANCE_OFFICE):
            return SendToExpertsForm()
        return None

    @staticmethod
    def can_adjust(sheet, user, versions) -> bool:
        if not (sheet.is_current and sheet.status == SheetStatus.APPROVED):
            return False
        if any(v.adjustment_of_id == sheet.pk and v.status != SheetStatus.APPROVED for v in versions):
            return False  # one adjustment at a time
        return services.can_write_targets(user, sheet.project)[0]


class SheetTransitionView(TransitionView):
    model = TargetSheet
    url_name = TRANSITION_URL

    def post(self, request, pk, action):
        if action in FORM_ACTIONS:
            sheet = self.get_object()
            messages.error(request, "请在页面的“专家评审”栏中办理。")
            return redirect(sheet)
        return super().post(request, pk, action)

    def blocked_reason(self, obj):
        return _blocked(obj, check_sheet(obj))

    def render_actions(self, obj, **kwargs):
        context = sheet_actions(obj, self.request.user, blocked=self.blocked_reason(obj), **kwargs)
        return render(self.request, "includes/workflow_actions.html", context)


class CreateSheetView(View):
    """填报绩效目标: open version 1 of a project's sheet and go to the editor."""

    http_method_names = ["post"]

    def post(self, request, project_pk):
        project = get_object_or_404(Project.objects.visible_to(request.user), pk=project_pk)
        try:
            sheet = services.create_sheet(project, request.user)
        except TransitionForbidden as error:
            return refuse(request, error.message, "填报绩效目标", project)
        except WorkflowError as error:
            messages.error(request, error.message)
            return redirect(project)
        messages.success(request, "已创建绩效目标表，请填写总体目标和绩效指标。")
        return redirect("targets:sheet_edit", pk=sheet.pk)


class SheetGuardMixin:
    """A page that acts on one sheet: in scope (else 404) and allowed by ``permission`` (else 403
    with its reason, audited as ``action``)."""

    permission = staticmethod(services.can_edit_sheet)
    action = "修改绩效目标"

    def dispatch(self, request, pk, *args, **kwargs):
        self.sheet = _get_sheet(request, pk)
        allowed, reason = self.permission(request.user, self.sheet)
        if not allowed:
            return refuse(request, reason, self.action, self.sheet)
        return super().dispatch(request, pk, *args, **kwargs)


def new_key() -> str:
    return secrets.token_hex(4)


class SheetEditView(SheetGuardMixin, View):
    """The editor: goals and rows; saving replaces all rows through ``services.save_sheet``.
    Unreadable rows refuse the save with a message on each; rule problems are shown, and a draft
    still saves with them."""

    def get(self, request, pk):
        return self.render_editor(SheetEditorForm.for_sheet(self.sheet, new_key))

    def post(self, request, pk):
        form = SheetEditorForm(request.POST)
        if not form.errors:
            try:
                result = services.save_sheet(
                    self.sheet,
                    request.user,
                    overall_goal=form.overall_goal,
                    whole_period_goal=form.whole_period_goal,
                    rows=form.service_rows(),
                )
            except ValidationError:
                # Name each unreadable row on the row itself (build_rows says which).
                _, row_errors = read_rows(self.sheet, form)
                form.attach(row_errors)
                form.errors.append(f"有 {len(row_errors)} 处内容无法识别，未保存，请按行内提示修改。")
            except WorkflowError as error:
                return refuse(request, error.message, self.action, self.sheet)
            else:
                blocking_problems = blocking(result.problems)
                if blocking_problems:
                    messages.warning(request, f"已保存草稿。提交前还须处理 {len(blocking_problems)} 个问题。")
                else:
                    messages.success(request, "已保存，校验通过，可以提交审核。")
                return redirect(result.sheet)
        return self.render_editor(form, status=200)

    def render_editor(self, form, status=200):
        sheet = self.sheet
        indicators, _ = read_rows(sheet, form)
        return render(
            self.request,
            "targets/sheet_edit.html",
            {
                "sheet": sheet,
                "project": sheet.project,
                "form": form,
                "year_rows": [r for r in form.rows if r.period == IndicatorPeriod.YEAR],
                "whole_rows": [r for r in form.rows if r.period == IndicatorPeriod.WHOLE],
                "show_whole": sheet.project.is_multi_year or any(r.period == IndicatorPeriod.WHOLE for r in form.rows),
                **row_choices(),
                **check_context(sheet, form, indicators),
            },
            status=status,
        )


def read_rows(sheet, form: SheetEditorForm):
    """``build_rows`` over the editor's rows, the whole-period table numbered on its own
    ("实施期指标第1行…") so each message matches the number the clerk sees."""
    year = [r.service_row() for r in form.ordered_rows if r.period == IndicatorPeriod.YEAR]
    whole = [r.service_row() for r in form.ordered_rows if r.period != IndicatorPeriod.YEAR]
    indicators, errors = services.build_rows(sheet, year)
    whole_indicators, whole_errors = services.build_rows(sheet, whole)
    errors += [
        Problem(f"{IndicatorPeriod.WHOLE.label}{p.message}", p.row + len(year) if p.row else None)
        for p in whole_errors
    ]
    return indicators + whole_indicators, errors


def row_choices() -> dict:
    return {"level2_groups": level2_groups(), "comparators": Comparator.choices}


def check_context(sheet, form, indicators, row_errors=()) -> dict:
    """Context of targets/_sheet_check.html: live weight totals and what the checks say."""
    draft = copy.copy(sheet)
    draft.overall_goal, draft.whole_period_goal = form.overall_goal, form.whole_period_goal
    problems = list(row_errors) + check_sheet(draft, indicators)
    return {
        "weights": weight_lines(indicators, sheet.project.fiscal_year),
        "problems": problems,
        "blocking_count": len(blocking(problems)),
        "form_errors": form.errors,
    }


class SheetCheckView(SheetGuardMixin, View):
    """POST of the editor form (htmx, on change): the totals and problems partial."""

    http_method_names = ["post"]

    def post(self, request, pk):
        form = SheetEditorForm(request.POST)
        indicators, row_errors = read_rows(self.sheet, form)
        return render(
            request, "targets/_sheet_check.html", check_context(self.sheet, form, indicators, row_errors)
        )


class SheetRowView(SheetGuardMixin, View):
    """A new editor row (htmx partial): free-form, or prefilled from a confirmed template."""

    def get(self, request, pk):
        period = request.GET.get("period", IndicatorPeriod.YEAR)
        if period not in IndicatorPeriod.values:
            period = IndicatorPeriod.YEAR
        template_id = request.GET.get("template", "")
        if template_id:
            if not template_id.isdigit():
                raise Http404
            template = get_object_or_404(
                IndicatorTemplate.objects.visible_to(request.user).confirmed(), pk=int(template_id)
            )
            row = EditorRow.from_template(template, new_key(), period)
        else:
            row = EditorRow(key=new_key(), period=period)
        return render(request, "targets/_editor_row.html", {"row": row, **row_choices()})


class AdjustmentView(SheetGuardMixin, View):
    """申请调整: the reason → version n+1 (a copy of the version in force) → its editor."""

    permission = staticmethod(lambda user, sheet: services.can_write_targets(user, sheet.project))
    action = "申请调整"

    def get(self, request, pk):
        return self.render_form(AdjustmentForm())

    def post(self, request, pk):
        form = AdjustmentForm(request.POST)
        if form.is_valid():
            try:
                new = services.request_adjustment(self.sheet, request.user, form.cleaned_data["reason"])
            except ValidationError as error:
                form.add_service_errors(error, aliases={"adjustment_reason": "reason"})
            except WorkflowError as error:
                messages.error(request, error.message)
                return redirect(self.sheet)
            else:
                messages.success(request, f"已生成第{new.version}版（调整申请），请修改指标后提交审核。")
                return redirect("targets:sheet_edit", pk=new.pk)
        return self.render_form(form)

    def render_form(self, form):
        return render(self.request, "targets/sheet_adjust.html", {"form": form, "sheet": self.sheet})


class SendToExpertsView(View):
    """送专家评审 (performance office, key projects) → services.send_to_experts."""

    http_method_names = ["post"]

    def post(self, request, pk):
        sheet = _get_sheet(request, pk)
        if not request.user.has_role(Role.PERFORMANCE_OFFICE):
            return refuse(request, "只有财政绩效管理科可以送专家评审。", "送专家评审", sheet)
        form = SendToExpertsForm(request.POST)
        if not form.is_valid():
            messages.error(request, "请选择评审专家。")
            return redirect(sheet)
        try:
            services.send_to_experts(sheet, request.user, form.cleaned_data["experts"], form.cleaned_data["opinion"])
        except ValidationError as error:
            messages.error(request, "；".join(error.messages))
        except WorkflowError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, "已送专家评审，专家提交评分后回到绩效管理科。")
        return redirect(sheet)


class ExpertReviewView(View):
    """An assigned expert's score and comment → services.submit_expert_review."""

    http_method_names = ["post"]

    def post(self, request, pk):
        sheet = _get_sheet(request, pk)
        review = sheet.expert_reviews.filter(expert__user=request.user).first()
        if review is None:
            return refuse(request, "该绩效目标表未分配给您评审。", "专家评审", sheet)
        form = ExpertReviewForm(request.POST)
        if not form.is_valid():
            messages.error(request, "请填写评分和评审意见。")
            return redirect(sheet)
        try:
            data = form.cleaned_data
            services.submit_expert_review(review, request.user, data["score"], data["comment"])
        except ValidationError as error:
            messages.error(request, "；".join(error.messages))
        except WorkflowError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, "已提交评审意见。")
        return redirect(sheet)


class SheetDiffView(View):
    """Two versions of one project's sheet side by side (older left, newer right)."""

    def get(self, request, pk, other_pk):
        first, second = _get_sheet(request, pk), _get_sheet(request, other_pk)
        if first.project_id != second.project_id:
            raise Http404("不是同一项目的绩效目标表。")
        old, new = sorted((first, second), key=lambda s: s.version)
        return render(
            request,
            "targets/sheet_diff.html",
            {"old": old, "new": new, "project": new.project, "diff": diff_sheets(old, new)},
        )

