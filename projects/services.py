"""State changes of the project library and pre-assessments (DESIGN §2.1, §2.2).

Views, the API, imports and tasks all call these; each runs in a transaction and writes its
audit event. Review-chain steps go through ``workflow.services.perform_transition``.
"""

from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.models import Agency, Expert, Organization
from workflow.audit import AuditEventKind, record_event, snapshot
from workflow.errors import NotInScope, RuleViolation, TransitionForbidden

from . import permissions
from .choices import Dimension, PreAssessmentMode
from .defaults import DIMENSION_MAX_SCORE
from .models import DimensionScore, PreAssessment, Project

# Fields a unit clerk fills; status, is_key and the audit fields are set by the system.
PROJECT_FIELDS = (
    "fiscal_year",
    "code",
    "name",
    "unit",
    "responsible_person",
    "responsible_phone",
    "budget_amount",
    "funding_source",
    "period_start",
    "period_end",
    "budget_type",
    "kind",
    "is_new",
    "is_major",
    "description",
)


def _require(answer: tuple[bool, str], error=TransitionForbidden):
    allowed, reason = answer
    if not allowed:
        raise error(reason)


def _check_still_visible(obj, user):
    """STYLE habit 2: after writing, the object must still be in the user's scope."""
    if not type(obj).objects.visible_to(user).filter(pk=obj.pk).exists():
        raise NotInScope("所选单位不在您的管理范围内。")


def _apply_project_fields(project: Project, data: dict):
    unknown = set(data) - set(PROJECT_FIELDS)
    if unknown:
        raise ValidationError(f"不可设置的字段：{'、'.join(sorted(unknown))}")
    for name, value in data.items():
        setattr(project, name, value)
    if project.unit_id:
        department = project.unit.department
        if department is None:
            raise ValidationError({"unit": "实施单位未隶属于任何主管部门。"})
        project.department = department


@transaction.atomic
def create_project(user, data: dict) -> Project:
    """A unit clerk enters a new project into the library (as a draft)."""
    _require(permissions.can_create_project(user))
    project = Project(created_by=user)
    data = dict(data)
    data.setdefault("unit", user.organization)
    _apply_project_fields(project, data)
    if not project.unit.is_within(user.organization):
        raise NotInScope("所选单位不在您的管理范围内。")
    project.full_clean()
    project.save()
    _check_still_visible(project, user)
    record_event(AuditEventKind.CREATE, user=user, obj=project, after=snapshot(project))
    return project


@transaction.atomic
def update_project(project: Project, user, data: dict) -> Project:
    _require(permissions.can_edit_project(user, project))
    before = snapshot(project)
    _apply_project_fields(project, data)
    if not project.unit.is_within(user.organization):
        raise NotInScope("所选单位不在您的管理范围内。")
    project.full_clean()
    project.save()
    _check_still_visible(project, user)
    record_event(AuditEventKind.UPDATE, user=user, obj=project, before=before, after=snapshot(project))
    return project


@transaction.atomic
def set_key_project(project: Project, user, is_key: bool) -> Project:
    """The performance office marks a project 重点 (key) — it then gets expert review and disclosure."""
    _require(permissions.can_mark_key(user, project))
    before = snapshot(project, ["is_key"])
    Project.objects.filter(pk=project.pk).update(is_key=is_key)
    project.is_key = is_key
    record_event(AuditEventKind.UPDATE, user=user, obj=project, before=before, after={"is_key": is_key})
    return project


@transaction.atomic
def start_preassessment(project: Project, user) -> PreAssessment:
    """Open the pre-assessment of a project with its five dimensions empty."""
    _require(permissions.can_start_preassessment(user, project))
    pa = PreAssessment.objects.create(project=project)
    DimensionScore.objects.bulk_create(DimensionScore(preassessment=pa, dimension=d) for d in Dimension.values)
    record_event(AuditEventKind.CREATE, user=user, obj=pa, after=snapshot(pa))
    return pa


def _parse_score(dimension_label: str, raw) -> Decimal | None:
    if raw in (None, ""):
        return None
    try:
        score = Decimal(str(raw)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        raise ValidationError({dimension_label: f"{dimension_label}的得分须为数字。"}) from None
    if not Decimal("0") <= score <= DIMENSION_MAX_SCORE:
        raise ValidationError({dimension_label: f"{dimension_label}的得分须在 0 到 {DIMENSION_MAX_SCORE} 之间。"})
    return score


@transaction.atomic
def save_preassessment(pa: PreAssessment, user, scores: dict, summary: str | None = None) -> PreAssessment:
    """Save the five dimensions. ``scores`` maps a Dimension value to {"score": …, "opinion": …};
    dimensions left out keep what they had."""
    _require(permissions.can_fill_preassessment(user, pa))
    unknown = set(scores) - set(Dimension.values)
    if unknown:
        raise ValidationError(f"未知的评估维度：{'、'.join(sorted(unknown))}")
    rows = {row.dimension: row for row in pa.scores.all()}
    before = {d: {"score": str(r.score) if r.score is not None else None, "opinion": r.opinion} for d, r in rows.items()}
    for dimension, values in scores.items():
        label = Dimension(dimension).label
        row = rows.get(dimension) or DimensionScore(preassessment=pa, dimension=dimension)
        row.score = _parse_score(label, values.get("score"))
        row.opinion = (values.get("opinion") or "").strip()
        row.save()
        rows[dimension] = row
    if summary is not None:
        pa.summary = summary.strip()
        pa.save(update_fields=["summary", "updated_at"])
    after = {d: {"score": str(r.score) if r.score is not None else None, "opinion": r.opinion} for d, r in rows.items()}
    record_event(AuditEventKind.UPDATE, user=user, obj=pa, before=before, after=after)
    if hasattr(pa, "_prefetched_objects_cache"):
        pa._prefetched_objects_cache.pop("scores", None)
    return pa


@transaction.atomic
def commission_preassessment(
    pa: PreAssessment, user, mode: str, agency: Agency | None = None, experts: list[Expert] | tuple = ()
) -> PreAssessment:
    """Finance commissions the assessment to an agency or to experts, or hands it back to the
    department. Barred agencies and experts of the project's own department are refused."""
    _require(permissions.can_commission_preassessment(user, pa))
    if mode not in PreAssessmentMode.values:
        raise ValidationError({"mode": "请选择评估方式。"})
    before = {"mode": pa.mode, "agency": pa.agency_id, "experts": sorted(pa.experts.values_list("pk", flat=True))}
    if mode == PreAssessmentMode.AGENCY:
        if agency is None:
            raise ValidationError({"agency": "委托第三方机构时须选择机构。"})
        if agency.is_barred:
            raise RuleViolation(f"“{agency}”已被列入禁入名单，不能受托评估。")
        experts = ()
    elif mode == PreAssessmentMode.EXPERTS:
        if not experts:
            raise ValidationError({"experts": "委托专家评审时须至少选择一名专家。"})
        department = pa.project.department
        conflicted = [str(e) for e in experts if e.conflicts_with(department)]
        if conflicted:
            raise RuleViolation(f"专家{'、'.join(conflicted)}来自项目主管部门，须回避。")
        inactive = [str(e) for e in experts if not e.is_active]
        if inactive:
            raise RuleViolation(f"专家{'、'.join(inactive)}已出库，不能分配。")
        agency = None
    else:
        agency, experts = None, ()
    pa.mode = mode
    pa.agency = agency
    pa.save(update_fields=["mode", "agency", "updated_at"])
    pa.experts.set(experts)
    after = {"mode": mode, "agency": pa.agency_id, "experts": sorted(e.pk for e in experts)}
    record_event(AuditEventKind.UPDATE, user=user, obj=pa, before=before, after=after, message="委托评估")
    _notify_commissioned(pa)
    return pa


def _notify_commissioned(pa: PreAssessment):
    from notifications.hub import Message, notify

    if pa.mode == PreAssessmentMode.AGENCY:
        recipients = pa.agency.organization.users.filter(is_active=True)
    elif pa.mode == PreAssessmentMode.EXPERTS:
        recipients = [e.user for e in pa.experts.select_related("user") if e.user_id]
    else:
        return
    notify(
        Message.ASSIGNED,
        recipients,
        title=f"事前绩效评估委托：{pa.project.name}",
        url=pa.get_absolute_url(),
    )


def units_for(user):
    """Organisations a clerk may file projects for: their own unit and any below it."""
    return Organization.objects.units().visible_to(user).filter(is_active=True)
