"""State changes of target sheets (DESIGN §2.3). Pages, API, imports and tasks call these.

An approved sheet is locked: its content changes only through ``request_adjustment``, which makes
version n+1 that runs through the same chain and, when approved, is put in force instead.
"""

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.choices import Role
from workflow.audit import AuditEventKind, record_event, snapshot
from workflow.errors import NotInScope, RuleViolation, TransitionForbidden
from workflow.services import perform_transition

from .checks import Problem, check_sheet
from .choices import Comparator, IndicatorPeriod, Level1, Level2, SheetStatus
from .models import LOCKED_MESSAGE, ExpertReview, Indicator, IndicatorTemplate, TargetSheet
from .signals import sheet_in_force

ROW_FIELDS = (
    "period",
    "level1",
    "level2",
    "name",
    "comparator",
    "target_value",
    "target_text",
    "unit",
    "weight",
    "last_year_actual",
    "template",
    "note",
)


def _require(answer):
    allowed, reason = answer
    if not allowed:
        raise TransitionForbidden(reason)


# --- permissions (answering why) ------------------------------------------------------------


def can_write_targets(user, project) -> tuple[bool, str]:
    """谁申请资金，谁设定目标: the project's own unit writes its targets."""
    if not user.has_role(Role.UNIT_STAFF):
        return False, "绩效目标由项目单位填报。"
    if user.organization_id is None or not project.unit.is_within(user.organization):
        return False, "只能填报本单位项目的绩效目标。"
    return True, ""


def can_edit_sheet(user, sheet) -> tuple[bool, str]:
    if sheet.is_locked:
        return False, LOCKED_MESSAGE
    if not sheet.is_editable:
        return False, f"绩效目标表当前状态为“{sheet.get_status_display()}”，不能修改。"
    return can_write_targets(user, sheet.project)


# --- rows ---------------------------------------------------------------------------------


def _decimal(value, label: str, errors: list, row: int) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        return Decimal(str(value).strip().replace(",", ""))
    except (InvalidOperation, ValueError):
        errors.append(Problem(f"第{row}行：{label}须为数字（当前为“{value}”）。", row))
        return None


def build_rows(sheet: TargetSheet, rows: list[dict]) -> tuple[list[Indicator], list[Problem]]:
    """Turn submitted rows (dicts of ROW_FIELDS; choices by value) into unsaved Indicators.

    Returns the indicators and the problems that make a row unreadable (bad choice, not a number).
    """
    indicators, errors = [], []
    templates = {
        t.pk: t for t in IndicatorTemplate.objects.filter(pk__in=[r.get("template") for r in rows if r.get("template")])
    }
    positions = {IndicatorPeriod.YEAR: 0, IndicatorPeriod.WHOLE: 0}
    for number, data in enumerate(rows, start=1):
        period = data.get("period") or IndicatorPeriod.YEAR
        if period not in IndicatorPeriod.values:
            errors.append(Problem(f"第{number}行：指标期间无效。", number))
            continue
        positions[period] += 1
        for field, choices, label in (
            ("level1", Level1, "一级指标"),
            ("level2", Level2, "二级指标"),
            ("comparator", Comparator, "比较方式"),
        ):
            if data.get(field) not in choices.values:
                errors.append(Problem(f"第{number}行：请选择{label}。", number))
        template_id = data.get("template") or None
        indicator = Indicator(
            sheet=sheet,
            period=period,
            position=positions[period],
            level1=data.get("level1") or "",
            level2=data.get("level2") or "",
            name=(data.get("name") or "").strip()[:200],
            comparator=data.get("comparator") or "",
            target_value=_decimal(data.get("target_value"), "指标值", errors, number),
            target_text=(data.get("target_text") or "").strip()[:200],
            unit=(data.get("unit") or "").strip()[:20],
            weight=_decimal(data.get("weight"), "权重", errors, number) or Decimal("0"),
            last_year_actual=_decimal(data.get("last_year_actual"), "上年实际值", errors, number),
            template=templates.get(int(template_id)) if template_id else None,
            note=(data.get("note") or "").strip()[:200],
        )
        indicators.append(indicator)
    return indicators, errors


def _rows_snapshot(sheet) -> list[dict]:
    return [
        {field: str(getattr(row, field + ("_id" if field == "template" else "")) or "") for field in ROW_FIELDS}
        for row in sheet.indicators.all()
    ]


# --- sheets -------------------------------------------------------------------------------


@transaction.atomic
def create_sheet(project, user) -> TargetSheet:
    """Open version 1 of a project's target sheet (draft)."""
    _require(can_write_targets(user, project))
    if project.target_sheets.exists():
        raise RuleViolation("该项目已有绩效目标表；已批复的目标只能通过调整申请变更。")
    sheet = TargetSheet.objects.create(project=project, created_by=user)
    record_event(AuditEventKind.CREATE, user=user, obj=sheet, after=snapshot(sheet))
    return sheet


@dataclass
class SaveResult:
    sheet: TargetSheet
    problems: list[Problem]  # what the checks say now (shown, not blocking a draft save)


@transaction.atomic
def save_sheet(sheet: TargetSheet, user, *, overall_goal=None, whole_period_goal=None, rows=None) -> SaveResult:
    """Save goals and (when given) replace all indicator rows. Unreadable rows refuse the save
    with every row's message; rule problems are returned for the page to show."""
    sheet = TargetSheet.objects.select_for_update().select_related("project__fiscal_year").get(pk=sheet.pk)
    _require(can_edit_sheet(user, sheet))
    before = {**snapshot(sheet, ["overall_goal", "whole_period_goal"]), "rows": _rows_snapshot(sheet)}
    if overall_goal is not None:
        sheet.overall_goal = overall_goal.strip()
    if whole_period_goal is not None:
        sheet.whole_period_goal = whole_period_goal.strip()
    indicators = None
    if rows is not None:
        indicators, errors = build_rows(sheet, rows)
        if errors:
            raise ValidationError([p.message for p in errors])
        sheet.indicators.all().delete()
        Indicator.objects.bulk_create(indicators)
    sheet.save(update_fields=["overall_goal", "whole_period_goal", "updated_at"])
    after = {**snapshot(sheet, ["overall_goal", "whole_period_goal"]), "rows": _rows_snapshot(sheet)}
    record_event(AuditEventKind.UPDATE, user=user, obj=sheet, before=before, after=after)
    return SaveResult(sheet=sheet, problems=check_sheet(sheet))


def put_in_force(sheet: TargetSheet, user):
    """On approval (inside the transition's transaction): lock the sheet, replace the version in
    force, and keep the snapshot that key projects publish (DESIGN §2.3, §2.6)."""
    previous = TargetSheet.objects.filter(project=sheet.project, is_current=True).exclude(pk=sheet.pk).first()
    if previous is not None:
        TargetSheet.objects.filter(pk=previous.pk).update(is_current=False, status=SheetStatus.SUPERSEDED)
        record_event(
            AuditEventKind.UPDATE,
            user=user,
            obj=previous,
            before={"status": previous.status},
            after={"status": SheetStatus.SUPERSEDED},
            message=f"被第{sheet.version}版替代",
        )
    publish = sheet.project.is_key
    fields = {"is_current": True, "approved_at": timezone.now(), "publish": publish}
    if publish:
        fields["published_snapshot"] = published_snapshot(sheet)
    TargetSheet.objects.filter(pk=sheet.pk).update(**fields)
    for name, value in fields.items():
        setattr(sheet, name, value)
    sheet_in_force.send(sender=TargetSheet, sheet=sheet, user=user)


def published_snapshot(sheet: TargetSheet) -> dict:
    """What the public pages will show: the targets, never staff personal data."""
    project = sheet.project
    return {
        "year": project.fiscal_year.year,
        "project_code": project.code,
        "project_name": project.name,
        "department": project.department.name,
        "budget_wan": str(project.budget_wan),
        "version": sheet.version,
        "overall_goal": sheet.overall_goal,
        "whole_period_goal": sheet.whole_period_goal,
        "indicators": [
            {
                "period": row.get_period_display(),
                "level1": row.get_level1_display(),
                "level2": row.get_level2_display(),
                "name": row.name,
                "value": row.value_display,
                "weight": str(row.weight),
            }
            for row in sheet.indicators.all()
        ],
    }


@transaction.atomic
def request_adjustment(sheet: TargetSheet, user, reason: str) -> TargetSheet:
    """调整申请: copy the approved version in force into version n+1 (a draft) for the unit to
    change and submit through the same chain."""
    _require(can_write_targets(user, sheet.project))
    if not reason.strip():
        raise ValidationError({"adjustment_reason": "请说明调整理由。"})
    current = TargetSheet.objects.select_for_update().get(pk=sheet.pk)
    if not (current.is_current and current.status == SheetStatus.APPROVED):
        raise RuleViolation("只有已批复且现行有效的绩效目标表可以申请调整。")
    if TargetSheet.objects.filter(adjustment_of=current).exclude(status=SheetStatus.APPROVED).exists():
        raise RuleViolation("该绩效目标表已有进行中的调整申请。")
    version = (TargetSheet.objects.filter(project=current.project).order_by("-version").first().version) + 1
    new = TargetSheet.objects.create(
        project=current.project,
        version=version,
        is_current=False,
        overall_goal=current.overall_goal,
        whole_period_goal=current.whole_period_goal,
        adjustment_of=current,
        adjustment_reason=reason.strip(),
        created_by=user,
    )
    rows = list(current.indicators.all())
    for row in rows:
        row.pk = None
        row.sheet = new
    Indicator.objects.bulk_create(rows)
    record_event(AuditEventKind.CREATE, user=user, obj=new, after=snapshot(new), message="调整申请")
    return new


@transaction.atomic
def send_to_experts(sheet: TargetSheet, user, experts, opinion: str = ""):
    """The performance office gives a key project's sheet to experts; nobody reviews their own
    department's work."""
    experts = list(experts)
    if not experts:
        raise ValidationError({"experts": "请至少选择一名专家。"})
    department = sheet.project.department
    conflicted = [str(e) for e in experts if e.conflicts_with(department)]
    if conflicted:
        raise RuleViolation(f"专家{'、'.join(conflicted)}来自项目主管部门，须回避。")
    inactive = [str(e) for e in experts if not e.is_active]
    if inactive:
        raise RuleViolation(f"专家{'、'.join(inactive)}已出库，不能分配。")
    record = perform_transition(sheet, "send_to_experts", user, opinion)
    ExpertReview.objects.bulk_create(ExpertReview(sheet=sheet, expert=e) for e in experts)
    from notifications.hub import Message, notify

    notify(
        Message.ASSIGNED,
        [e.user for e in experts if e.user_id],
        title=f"绩效目标专家评审：{sheet.project.name}",
        url=sheet.get_absolute_url(),
    )
    return record


@transaction.atomic
def submit_expert_review(review: ExpertReview, user, score, comment: str) -> ExpertReview:
    """An expert scores the sheet; the last score sends it back to the performance office."""
    review = ExpertReview.objects.select_for_update().select_related("sheet", "expert").get(pk=review.pk)
    if review.expert.user_id != user.pk:
        raise TransitionForbidden("该评审未分配给您。")
    if review.sheet.status != SheetStatus.EXPERT_REVIEW:
        raise RuleViolation("该绩效目标表不在专家评审环节。")
    if review.submitted_at is not None:
        raise RuleViolation("您已提交过评审意见。")
    errors: list = []
    value = _decimal(score, "评分", errors, 1)
    if errors or value is None or not Decimal("0") <= value <= Decimal("100"):
        raise ValidationError({"score": "评分须为 0–100 之间的数字。"})
    if not comment.strip():
        raise ValidationError({"comment": "请填写评审意见。"})
    review.score, review.comment, review.submitted_at = value, comment.strip(), timezone.now()
    review.save()
    record_event(AuditEventKind.UPDATE, user=user, obj=review.sheet, after={"expert_score": str(value)})
    if not review.sheet.expert_reviews.pending().exists():
        perform_transition(review.sheet, "experts_done", user, "专家评审意见已全部提交")
    return review


@dataclass
class BatchResult:
    sheet_id: int
    ok: bool
    message: str


def approve_many(sheet_ids, user, opinion: str = "") -> list[BatchResult]:
    """Batch approval for finance reviewers: each sheet is its own transition and record, and one
    refusal does not stop the others."""
    from workflow.errors import WorkflowError

    results = []
    sheets = TargetSheet.objects.visible_to(user).select_related("project__fiscal_year").in_bulk(sheet_ids)
    for sheet_id in sheet_ids:
        sheet = sheets.get(int(sheet_id))
        if sheet is None:
            results.append(BatchResult(int(sheet_id), False, NotInScope("未找到该记录。").message))
            continue
        try:
            perform_transition(sheet, "approve", user, opinion)
        except WorkflowError as error:
            results.append(BatchResult(sheet.pk, False, error.message))
        else:
            results.append(BatchResult(sheet.pk, True, "已通过"))
    return results
