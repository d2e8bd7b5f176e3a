"""State changes of the project library and pre-assessments (DESIGN §2.1, §2.2).

Views, the API, imports and tasks all call these; each runs in a transaction and writes its
audit event. Review-chain steps go through ``workflow.services.perform_transition``.
"""

from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.choices import Role
from accounts.models import Agency, Expert, Organization
from workflow.audit import AuditEventKind, record_event, snapshot
from workflow.errors import NotInScope, RuleViolation, TransitionForbidden

from . import permissions
from .choices import Dimension, PreAssessmentMode
from .defaults import DIMENSION_MAX_SCORE, FISCAL_YEAR_RULES
from .models import CalendarDay, CalendarYear, DimensionScore, FiscalYear, PreAssessment, Project

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
    "serves_public",
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


def _scores_snapshot(rows: dict) -> dict:
    return {d: {"score": None if r.score is None else str(r.score), "opinion": r.opinion} for d, r in rows.items()}


@transaction.atomic
def save_preassessment(pa: PreAssessment, user, scores: dict, summary: str | None = None) -> PreAssessment:
    """Save the five dimensions. ``scores`` maps a Dimension value to {"score": …, "opinion": …};
    dimensions left out keep what they had."""
    _require(permissions.can_fill_preassessment(user, pa))
    unknown = set(scores) - set(Dimension.values)
    if unknown:
        raise ValidationError(f"未知的评估维度：{'、'.join(sorted(unknown))}")
    rows = {row.dimension: row for row in pa.scores.all()}
    before = _scores_snapshot(rows)
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
    after = _scores_snapshot(rows)
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


# --- Fiscal years and the working-day calendar: the performance office's settings -----------------

# Every per-year rule a 预算年度 carries (``is_current`` is moved by update_fiscal_year itself).
FISCAL_YEAR_RULE_FIELDS = tuple(
    f.name for f in FiscalYear._meta.concrete_fields if f.name not in ("id", "year", "is_current")
)


def _require_office(user, what: str):
    _require((user.has_role(Role.PERFORMANCE_OFFICE), f"只有财政绩效管理科可以{what}。"))


@transaction.atomic
def create_fiscal_year(user, year: int) -> FiscalYear:
    """Open a new 预算年度 with the default rules (defaults.FISCAL_YEAR_RULES)."""
    _require_office(user, "新增预算年度")
    if FiscalYear.objects.filter(year=year).exists():
        raise ValidationError({"year": f"{year}年度已存在。"})
    fiscal_year = FiscalYear(year=year, **FISCAL_YEAR_RULES)
    fiscal_year.full_clean()
    fiscal_year.save()
    record_event(AuditEventKind.CREATE, user=user, obj=fiscal_year, after=snapshot(fiscal_year))
    return fiscal_year


@transaction.atomic
def update_fiscal_year(year: FiscalYear, user, data: dict) -> FiscalYear:
    """Change a year's rules; ``is_current=True`` makes it the one current year."""
    _require_office(user, "修改预算年度规则")
    unknown = set(data) - set(FISCAL_YEAR_RULE_FIELDS) - {"is_current"}
    if unknown:
        raise ValidationError(f"不可设置的字段：{'、'.join(sorted(unknown))}")
    before = snapshot(year)
    for name, value in data.items():
        setattr(year, name, value)
    if year.is_current:
        # Only one current year (constraint one_current_year); rolled back if validation fails.
        FiscalYear.objects.filter(is_current=True).exclude(pk=year.pk).update(is_current=False)
    year.full_clean()
    year.save()
    year.refresh_from_db()  # the audit shows values as stored (3000000 → "3000000.00")
    record_event(AuditEventKind.UPDATE, user=user, obj=year, before=before, after=snapshot(year))
    return year


@transaction.atomic
def set_calendar_day(user, date, is_workday: bool, name: str = "") -> CalendarDay | None:
    """Enter a holiday or a 调休 working day. A day set back to what Monday–Friday says anyway
    (a weekday at work, a weekend at rest) is no exception: its row is removed. Returns the row."""
    _require_office(user, "维护工作日历")
    existing = CalendarDay.objects.filter(date=date).first()
    before = snapshot(existing)
    if is_workday == (date.weekday() < 5):
        if existing is None:
            return None
        existing.delete()
        record_event(AuditEventKind.DELETE, user=user, obj=existing, before=before, message="恢复常规作息")
        return None
    day, created = CalendarDay.objects.update_or_create(
        date=date, defaults={"is_workday": is_workday, "name": (name or "").strip()[:60]}
    )
    kind = AuditEventKind.CREATE if created else AuditEventKind.UPDATE
    record_event(kind, user=user, obj=day, before=before, after=snapshot(day))
    return day


@transaction.atomic
def mark_calendar_year_complete(user, year: int, complete: bool = True) -> CalendarYear:
    """Record that a year's holidays are (or are not yet) fully entered."""
    _require_office(user, "维护工作日历")
    existing = CalendarYear.objects.filter(year=year).first()
    before = snapshot(existing)
    source = existing.source if existing and existing.source else "绩效管理科录入"
    calendar_year, _ = CalendarYear.objects.update_or_create(
        year=year, defaults={"complete": complete, "source": source}
    )
    record_event(AuditEventKind.UPDATE, user=user, obj=calendar_year, before=before, after=snapshot(calendar_year))
    return calendar_year


@transaction.atomic
def sync_calendar_from_package(user, first_year: int, last_year: int) -> list[int]:
    """Fill the calendar from `chinese-calendar` for the years the installed package knows.
    Returns the years it had data for."""
    from .calendar import seed_from_chinese_calendar

    _require_office(user, "维护工作日历")
    created = seed_from_chinese_calendar(first_year, last_year)
    years = list(
        CalendarYear.objects.filter(year__range=(first_year, last_year), source="chinese-calendar")
        .order_by("year")
        .values_list("year", flat=True)
    )
    record_event(
        AuditEventKind.IMPORT,
        user=user,
        object_type="projects.calendarday",
        message=f"从 chinese-calendar 同步 {first_year}–{last_year} 年：新增 {created} 天",
        after={"years": years, "created": created},
    )
    return years
