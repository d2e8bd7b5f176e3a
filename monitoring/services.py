"""State changes of dual monitoring (DESIGN §2.4, §2.6). Pages, the API, the treasury import and the
tasks call these; each runs in a transaction and writes its audit event. Review-chain steps go
through ``workflow.services.perform_transition`` (monitoring/chains.py).

Lights are stored on the report and its rows and recomputed here whenever an input changes: the
unit's figures (``save_report``), treasury data (``refresh_paid_from_treasury``), the year's rules
(``recompute_reports``) or the targets (``sync_with_sheet``). Only reports still with the unit
(draft, returned) are recomputed: a submitted report is judged on the lights it was submitted with,
and keeps the rule values that produced them.
"""

import datetime
from collections import defaultdict
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Max, Q, Sum
from django.utils import timezone

from accounts.choices import Role
from notifications.reminders import people_by_role
from projects.calendar import WorkingDayResult, add_working_days
from projects.models import WAN
from targets.choices import Comparator, IndicatorPeriod, SheetStatus
from targets.models import Indicator, TargetSheet
from workflow.audit import AuditEventKind, record_event, snapshot
from workflow.errors import ConcurrentChange, RuleViolation, TransitionForbidden

from . import permissions
from .choices import (
    EDITABLE_REPORT_STATES,
    LIFTABLE_FUNDING_KINDS,
    LIGHTS_NEEDING_REASON,
    MANDATORY_PERIOD,
    PERIODS_PER_YEAR,
    CompletionOutlook,
    DeviationCause,
    FundingActionKind,
    FundingActionStatus,
    Light,
    PaidSource,
    PeriodKind,
    QualitativeProgress,
    RoundStatus,
)
from .lights import WarningRules, budget_light, indicator_light, judgement_of, worst
from .models import (
    FundingAction,
    MonitoringReport,
    MonitoringRound,
    MonitoringRow,
    Rectification,
    TreasuryPayment,
    period_end,
)

BATCH = 1000  # reports per bulk write
ALREADY_OPEN = "该年度的这一期监控已经开启。"
REPORT_LIGHT_FIELDS = ("execution_rate", "budget_ratio", "budget_light", "light", "judgement", "rules", "lights_at")
ROW_LIGHT_FIELDS = ("light", "ratio", "achieved_pct")
ROW_INPUT_FIELDS = (
    "actual_value",
    "progress",
    "progress_note",
    "expected_year_end",
    "outlook",
    "cause",
    "reason",
    "measures",
)
REPORT_TEXT_FIELDS = ("summary", "budget_cause", "budget_reason", "budget_measures")


def bulk_write(objs, fields, batch: int = 1000):
    """Write ``fields`` of ``objs`` (all of one model) back in batches. On PostgreSQL each batch is
    one ``UPDATE … FROM (VALUES …)``: Django's ``bulk_update`` builds a CASE of every row per field,
    which made recomputing a city's round take minutes (bench/README.md); elsewhere (the embedded
    SQLite) it is ``bulk_update``."""
    if not objs:
        return
    model = type(objs[0])
    if connection.vendor != "postgresql":
        model.objects.bulk_update(objs, fields, batch_size=500)
        return
    meta, quote = model._meta, connection.ops.quote_name
    columns = [meta.pk, *(meta.get_field(name) for name in fields)]
    names = ", ".join(quote(c.column) for c in columns)
    assignments = ", ".join(f"{quote(c.column)} = v.{quote(c.column)}" for c in columns[1:])
    row = "(" + ", ".join(f"%s::{c.db_type(connection)}" for c in columns) + ")"
    pk = quote(meta.pk.column)
    with connection.cursor() as cursor:
        for start in range(0, len(objs), batch):
            chunk = objs[start : start + batch]
            values = ", ".join([row] * len(chunk))
            params = [c.get_db_prep_save(getattr(obj, c.attname), connection) for obj in chunk for c in columns]
            cursor.execute(
                f"UPDATE {quote(meta.db_table)} AS t SET {assignments} FROM (VALUES {values}) AS v ({names}) "
                f"WHERE t.{pk} = v.{pk}",
                params,
            )


def _require(answer):
    allowed, reason = answer
    if not allowed:
        raise TransitionForbidden(reason)


def _today() -> datetime.date:
    return timezone.localdate()


# --- rounds --------------------------------------------------------------------------------------


def default_due_date(fiscal_year, kind: str, number: int) -> datetime.date:
    """The year's rule: reports are due ``q3_report_due_days`` days after the period ends (Oct 15)."""
    return period_end(fiscal_year.year, kind, number) + datetime.timedelta(days=fiscal_year.q3_report_due_days)


@transaction.atomic
def open_round(user, fiscal_year, kind: str, number: int, *, due_date=None, note: str = "") -> MonitoringRound:
    """开启监控批次: the round and a report for every project of the year whose target sheet in
    force is approved. The mandatory Q3 round may not be due later than the year's rule allows."""
    _require(permissions.can_manage_rounds(user))
    if kind not in PeriodKind.values:
        raise ValidationError({"kind": "请选择监控周期：月度、季度或半年。"})
    try:
        number = int(number)
    except (TypeError, ValueError):
        number = 0
    if not 1 <= number <= PERIODS_PER_YEAR[kind]:
        raise ValidationError({"number": f"{PeriodKind(kind).label}监控的期次须为 1–{PERIODS_PER_YEAR[kind]}。"})
    if MonitoringRound.objects.filter(fiscal_year=fiscal_year, kind=kind, number=number).exists():
        raise RuleViolation(ALREADY_OPEN)
    end = period_end(fiscal_year.year, kind, number)
    rule_due = default_due_date(fiscal_year, kind, number)
    due = due_date or rule_due
    if due <= end:
        raise ValidationError({"due_date": f"报送截止日须晚于期末（{end:%Y-%m-%d}）。"})
    if (kind, number) == MANDATORY_PERIOD and due > rule_due:
        days = fiscal_year.q3_report_due_days
        message = f"三季度监控须在季度结束后 {days} 日内报送，截止日不得晚于 {rule_due:%Y-%m-%d}。"
        raise ValidationError({"due_date": message})
    try:
        with transaction.atomic():  # two offices opening the same period at once: one wins
            monitoring_round = MonitoringRound.objects.create(
                fiscal_year=fiscal_year,
                kind=kind,
                number=number,
                period_end=end,
                due_date=due,
                note=note.strip()[:300],
                opened_by=user,
            )
    except IntegrityError:
        raise RuleViolation(ALREADY_OPEN) from None
    created = create_reports(monitoring_round)
    record_event(
        AuditEventKind.CREATE,
        user=user,
        obj=monitoring_round,
        after={**snapshot(monitoring_round), "reports": created},
        message=f"开启{monitoring_round}，生成绩效监控表 {created} 张",
    )
    from .tasks import notify_round_opened

    transaction.on_commit(lambda: notify_round_opened.delay(monitoring_round.pk))
    return monitoring_round


def create_reports(monitoring_round: MonitoringRound) -> int:
    """A draft report, with a row for each year indicator, for every project of the round's year
    whose target sheet in force is approved and that has none yet. Paid-to-date starts from the
    treasury data when the project has any. Bulk writes: a city's 8,000 projects in seconds."""
    fiscal_year = monitoring_round.fiscal_year
    rules = WarningRules.of(fiscal_year)
    progress = monitoring_round.time_progress
    sheets = (
        TargetSheet.objects.current()
        .filter(status=SheetStatus.APPROVED, project__fiscal_year=fiscal_year)
        .exclude(project__monitoring_reports__round=monitoring_round)
        .select_related("project")
        .order_by("project__code")
    )
    paid = treasury_paid(fiscal_year, monitoring_round.period_end)
    created = 0
    sheets = list(sheets)
    for start in range(0, len(sheets), BATCH):
        chunk = sheets[start : start + BATCH]
        now = timezone.now()
        reports = []
        for sheet in chunk:
            report = MonitoringReport(
                round=monitoring_round,
                project=sheet.project,
                target_sheet=sheet,
                budget_amount=sheet.project.budget_amount,
                time_progress=progress,
                state_changed_at=now,
            )
            _apply_paid(report, paid.get(sheet.project_id))
            compute_lights(report, [], rules)
            reports.append(report)
        MonitoringReport.objects.bulk_create(reports)
        report_of_sheet = {r.target_sheet_id: r for r in reports}
        indicators = Indicator.objects.filter(sheet__in=[s.pk for s in chunk], period=IndicatorPeriod.YEAR).order_by(
            "sheet", "position", "id"
        )
        MonitoringRow.objects.bulk_create(
            (
                MonitoringRow(report=report_of_sheet[sheet_id], indicator_id=pk, position=position)
                for pk, sheet_id, position in indicators.values_list("pk", "sheet_id", "position").iterator(
                    chunk_size=5000
                )
            ),
            batch_size=5000,
        )
        created += len(reports)
    return created


@transaction.atomic
def close_round(monitoring_round: MonitoringRound, user) -> MonitoringRound:
    """结束监控批次: no more submissions; reports under review are still decided."""
    _require(permissions.can_manage_rounds(user))
    changed = MonitoringRound.objects.filter(pk=monitoring_round.pk, status=RoundStatus.OPEN).update(
        status=RoundStatus.CLOSED, closed_at=timezone.now()
    )
    if changed != 1:
        raise RuleViolation("该监控批次已经结束。")
    monitoring_round.refresh_from_db()
    record_event(
        AuditEventKind.UPDATE,
        user=user,
        obj=monitoring_round,
        before={"status": RoundStatus.OPEN},
        after={"status": RoundStatus.CLOSED},
        message=f"结束{monitoring_round}",
    )
    return monitoring_round


# --- lights --------------------------------------------------------------------------------------


def compute_lights(report: MonitoringReport, rows, rules: WarningRules):
    """Set the report's and its rows' lights from their figures (in memory; the caller saves)."""
    progress = report.time_progress
    if report.paid_to_date is None:
        report.execution_rate = report.budget_ratio = None
        report.budget_light = ""
    else:
        report.execution_rate, result = budget_light(report.paid_to_date, report.budget_amount, progress, rules)
        report.budget_ratio, report.budget_light = result.ratio, result.light
    for row in rows:
        indicator = row.indicator
        result = indicator_light(
            indicator.comparator, indicator.target_value, row.actual_value, progress, rules, row.progress
        )
        row.light, row.ratio, row.achieved_pct = result.light, result.ratio, result.achieved_pct
    lights = [report.budget_light, *(row.light for row in rows)]
    report.light = worst(lights)
    report.judgement = judgement_of(lights) if rows else ""
    report.rules = rules.as_dict()
    report.lights_at = timezone.now()


def explain_budget(report: MonitoringReport):
    """The budget light with its formula and rule, from the stored figures and the rule they used."""
    rules = report.warning_rules or WarningRules.of(report.round.fiscal_year)
    if report.paid_to_date is None:
        return None
    return budget_light(report.paid_to_date, report.budget_amount, report.time_progress, rules)[1]


def explain_row(row: MonitoringRow, report: MonitoringReport):
    rules = report.warning_rules or WarningRules.of(report.round.fiscal_year)
    indicator = row.indicator
    return indicator_light(
        indicator.comparator, indicator.target_value, row.actual_value, report.time_progress, rules, row.progress
    )


def rows_of(report) -> list[MonitoringRow]:
    return list(report.rows.select_related("indicator").order_by("position", "id"))


def recompute_reports(report_ids, rules: WarningRules | None = None) -> int:
    """Recompute the lights of the given reports in batches, by the year's current rules unless
    ``rules`` is given. Returns how many reports were written."""
    ids = sorted(report_ids)
    for start in range(0, len(ids), BATCH):
        batch = list(
            MonitoringReport.objects.filter(pk__in=ids[start : start + BATCH]).select_related("round__fiscal_year")
        )
        rows = defaultdict(list)
        for row in MonitoringRow.objects.filter(report__in=batch).select_related("indicator").order_by("position"):
            rows[row.report_id].append(row)
        for report in batch:
            compute_lights(report, rows[report.pk], rules or WarningRules.of(report.round.fiscal_year))
        with transaction.atomic():
            bulk_write(batch, REPORT_LIGHT_FIELDS)
            bulk_write([r for rs in rows.values() for r in rs], ROW_LIGHT_FIELDS, batch=5000)
    return len(ids)


def recompute_year(fiscal_year) -> int:
    """After the year's warning rules changed: the reports still with the units, in open rounds,
    whose lights came from other rule values."""
    rules = WarningRules.of(fiscal_year)
    stale = MonitoringReport.objects.filter(
        round__fiscal_year=fiscal_year, round__status=RoundStatus.OPEN, status__in=EDITABLE_REPORT_STATES
    ).exclude(rules=rules.as_dict())
    return recompute_reports(stale.values_list("pk", flat=True), rules)


# --- treasury data ---------------------------------------------------------------------------------


def treasury_paid(fiscal_year, through: datetime.date, project_ids=None) -> dict[int, tuple[Decimal, datetime.date]]:
    """(paid through ``through``, last payment date) of every project with treasury payments in the
    year; a project whose payments all came later has (0, None)."""
    payments = TreasuryPayment.objects.filter(fiscal_year=fiscal_year)
    if project_ids is not None:
        payments = payments.filter(project_id__in=project_ids)
    totals = payments.values("project").annotate(
        paid=Sum("amount", filter=Q(pay_date__lte=through)), last=Max("pay_date", filter=Q(pay_date__lte=through))
    )
    return {row["project"]: (row["paid"] or Decimal("0.00"), row["last"]) for row in totals}


def _apply_paid(report: MonitoringReport, paid: tuple[Decimal, datetime.date | None] | None):
    if paid is None:
        return
    report.paid_to_date, last = paid
    report.paid_source = PaidSource.TREASURY
    report.paid_as_of = last


def refresh_paid_from_treasury(fiscal_year, project_ids=None) -> int:
    """Paid-to-date of every report still with its unit (draft or returned, in an open round) from
    the treasury payments through its period's end, and its lights. ``project_ids``: only those
    projects — one whose payments all moved to another project (a corrected voucher) falls back
    to nothing paid. Returns the reports changed."""
    changed = []
    for monitoring_round in MonitoringRound.objects.filter(fiscal_year=fiscal_year, status=RoundStatus.OPEN):
        paid = treasury_paid(fiscal_year, monitoring_round.period_end, project_ids)
        reports = MonitoringReport.objects.filter(round=monitoring_round, status__in=EDITABLE_REPORT_STATES)
        if project_ids is not None:
            reports = reports.filter(project_id__in=project_ids)
        elif not paid:
            continue
        fields = ("pk", "project_id", "paid_to_date", "paid_source", "paid_as_of")
        for report in reports.only(*fields).iterator(chunk_size=2000):
            figures = paid.get(report.project_id)
            if figures is None and report.paid_source != PaidSource.TREASURY:
                continue  # no treasury data for it: the unit's own figure stands
            total, last = figures or (Decimal("0.00"), None)
            if (report.paid_to_date, report.paid_source, report.paid_as_of) != (total, PaidSource.TREASURY, last):
                report.paid_to_date, report.paid_source, report.paid_as_of = total, PaidSource.TREASURY, last
                changed.append(report)
    with transaction.atomic():
        bulk_write(changed, ["paid_to_date", "paid_source", "paid_as_of"])
    recompute_reports([r.pk for r in changed], WarningRules.of(fiscal_year))
    return len(changed)


# --- filling a report ------------------------------------------------------------------------------


def _decimal(value, label: str, errors: list) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        number = Decimal(str(value).strip().replace(",", ""))
    except (InvalidOperation, ValueError):
        errors.append(f"{label}须为数字（当前为“{value}”）。")
        return None
    if not number.is_finite():
        errors.append(f"{label}须为数字（当前为“{value}”）。")
        return None
    if number < 0:
        errors.append(f"{label}不能为负数。")
        return None
    return number


def _choice(value, choices, label: str, errors: list) -> str:
    value = (value or "").strip()
    if value and value not in choices.values:
        errors.append(f"{label}无效，可选：{'、'.join(choices.labels)}。")
        return ""
    return value


def row_label(number: int, row: MonitoringRow) -> str:
    return f"第{number}行「{row.indicator.name}」"


def _report_snapshot(report, rows) -> dict:
    fields = ["paid_to_date", *REPORT_TEXT_FIELDS, "budget_light", "light"]
    return {
        **snapshot(report, fields),
        "rows": [{"id": r.pk, **{f: str(getattr(r, f) or "") for f in (*ROW_INPUT_FIELDS, "light")}} for r in rows],
    }


def apply_input(report: MonitoringReport, rows: list[MonitoringRow], data: dict) -> list[str]:
    """Put what the unit typed onto the report and its rows (in memory) and say what could not be
    read, each message naming its row. ``data`` keys: paid_to_date (yuan; ignored when the amount
    comes from the treasury), summary, budget_cause, budget_reason, budget_measures, rows — a list
    of {"id": row id, <ROW_INPUT_FIELDS>}; absent keys are left as they are."""
    errors: list[str] = []
    if "paid_to_date" in data and report.paid_source == PaidSource.MANUAL:
        paid = _decimal(data["paid_to_date"], "截至期末支付金额", errors)
        if paid is not None and paid != paid.quantize(Decimal("0.01")):
            errors.append("截至期末支付金额最多精确到分。")
        report.paid_to_date = paid
    for name in REPORT_TEXT_FIELDS:
        if name in data:
            value = (data[name] or "").strip()
            setattr(
                report,
                name,
                _choice(value, DeviationCause, "偏差原因类别", errors) if name == "budget_cause" else value,
            )
    if "rows" in data:
        _apply_rows(rows, data["rows"] or [], errors)
    return errors


def preview_report(report: MonitoringReport, rows: list[MonitoringRow], data: dict) -> list[str]:
    """Put ``data`` on ``report`` and its ``rows`` in memory and light them — nothing is saved (the
    editor's live check). Returns what could not be read."""
    errors = apply_input(report, rows, data)
    compute_lights(report, rows, WarningRules.of(report.round.fiscal_year))
    return errors


@transaction.atomic
def save_report(report: MonitoringReport, user, data: dict) -> MonitoringReport:
    """Save what the unit filled (see ``apply_input``) and recompute the lights. Unreadable input
    refuses the whole save with a message naming each row; a draft may be saved incomplete —
    ``report_problems`` says what submission still needs."""
    report = (
        MonitoringReport.objects.select_for_update()
        .select_related("round__fiscal_year", "project__unit")
        .get(pk=report.pk)
    )
    _require(permissions.can_fill_report(user, report))
    rows = rows_of(report)
    before = _report_snapshot(report, rows)
    errors = apply_input(report, rows, data)
    if errors:
        raise ValidationError(errors)
    compute_lights(report, rows, WarningRules.of(report.round.fiscal_year))
    report.save()
    MonitoringRow.objects.bulk_update(rows, [*ROW_INPUT_FIELDS, *ROW_LIGHT_FIELDS])
    record_event(AuditEventKind.UPDATE, user=user, obj=report, before=before, after=_report_snapshot(report, rows))
    return report


def _apply_rows(rows: list[MonitoringRow], items: list[dict], errors: list[str]):
    numbered = {row.pk: (number, row) for number, row in enumerate(rows, start=1)}
    for item in items:
        try:
            number, row = numbered[int(item.get("id"))]
        except (KeyError, TypeError, ValueError):
            errors.append(f"指标“{item.get('id')}”不属于本监控表，请刷新页面后重新填写。")
            continue
        label = row_label(number, row)
        qualitative = row.indicator.comparator == Comparator.QUALITATIVE
        for name in ("actual_value", "expected_year_end"):
            if name in item:
                field_label = MonitoringRow._meta.get_field(name).verbose_name
                value = _decimal(item[name], f"{label}：{field_label}", errors)
                setattr(row, name, None if qualitative else value)
        if "progress" in item:
            value = _choice(item["progress"], QualitativeProgress, f"{label}：完成情况", errors)
            row.progress = value if qualitative else ""
        if "outlook" in item:
            row.outlook = _choice(item["outlook"], CompletionOutlook, f"{label}：预计完成情况", errors)
        if "cause" in item:
            row.cause = _choice(item["cause"], DeviationCause, f"{label}：偏差原因类别", errors)
        for name, limit in (("progress_note", 300), ("reason", None), ("measures", None)):
            if name in item:
                value = (item[name] or "").strip()
                setattr(row, name, value[:limit] if limit else value)


def report_problems(report: MonitoringReport, rows=None) -> list[str]:
    """What stops a report from being submitted, each message naming its row (DESIGN §2.4: red,
    yellow and blue need a reason and corrective measures)."""
    rows = rows_of(report) if rows is None else rows
    problems = []
    if report.paid_to_date is None:
        problems.append("请填写截至期末的支付金额。")
    elif report.budget_light in LIGHTS_NEEDING_REASON and not (
        report.budget_reason.strip() and report.budget_measures.strip()
    ):
        light = Light(report.budget_light).label
        problems.append(f"预算执行为{light}，须填写执行偏差原因和纠偏措施。")
    for number, row in enumerate(rows, start=1):
        label = row_label(number, row)
        if row.indicator.comparator == Comparator.QUALITATIVE:
            if not row.progress:
                problems.append(f"{label}：请选择完成情况（达成、部分达成、未达成）。")
        else:
            if row.actual_value is None:
                problems.append(f"{label}：请填写截至期末完成值。")
            if row.expected_year_end is None:
                problems.append(f"{label}：请填写全年预计完成值。")
        if not row.outlook:
            problems.append(f"{label}：请选择预计完成情况。")
        if row.light in LIGHTS_NEEDING_REASON and not (row.cause and row.reason.strip() and row.measures.strip()):
            problems.append(f"{label}为{Light(row.light).label}，须选择偏差原因类别并填写偏差原因和纠偏措施。")
    return problems


# --- targets adjusted during execution --------------------------------------------------------------


def sync_with_sheet(sheet: TargetSheet, user=None) -> int:
    """A new version of a project's targets came into force (an adjustment 调整申请 approved): the
    project's reports still with the unit follow it. Rows of indicators that stayed (same name and
    comparator) keep what was entered; new indicators get empty rows. Returns the reports synced."""
    reports = list(
        MonitoringReport.objects.filter(
            project=sheet.project, status__in=EDITABLE_REPORT_STATES, round__status=RoundStatus.OPEN
        )
        .exclude(target_sheet=sheet)
        .select_related("round__fiscal_year")
    )
    indicators = list(sheet.indicators.filter(period=IndicatorPeriod.YEAR).order_by("position", "id"))
    for report in reports:
        kept = {(r.indicator.name, r.indicator.comparator): r for r in rows_of(report)}
        report.rows.all().delete()
        rows = []
        for indicator in indicators:
            row = MonitoringRow(report=report, indicator=indicator, position=indicator.position)
            previous = kept.get((indicator.name, indicator.comparator))
            if previous is not None:
                for name in ROW_INPUT_FIELDS:
                    setattr(row, name, getattr(previous, name))
            rows.append(row)
        MonitoringRow.objects.bulk_create(rows)
        for row, indicator in zip(rows, indicators, strict=True):
            row.indicator = indicator
        old_sheet = report.target_sheet_id
        report.target_sheet = sheet
        compute_lights(report, rows, WarningRules.of(report.round.fiscal_year))
        report.save()
        MonitoringRow.objects.bulk_update(rows, ROW_LIGHT_FIELDS)
        record_event(
            AuditEventKind.UPDATE,
            user=user,
            obj=report,
            before={"target_sheet": old_sheet},
            after={"target_sheet": sheet.pk},
            message=f"绩效目标调整为第{sheet.version}版，监控指标已同步",
        )
    return len(reports)


# --- rectification ---------------------------------------------------------------------------------


def rectification_due(days: int, working_days: bool, start: datetime.date | None = None) -> WorkingDayResult:
    start = start or _today()
    if working_days:
        return add_working_days(start, days)
    return WorkingDayResult(date=start + datetime.timedelta(days=days))


def request_rectification(
    source, user, *, project, issues: str, requirements: str = "", days: int, working_days: bool = True
) -> Rectification:
    """整改要求 from any stage: what is wrong, what to do, by when (``days`` from today). Called inside
    the caller's transaction (a review step's ``on_done``)."""
    if not issues.strip():
        raise ValidationError({"issues": "请写明存在的问题。"})
    due = rectification_due(days, working_days)
    rectification = Rectification.objects.create(
        source=source,
        project=project,
        issues=issues.strip(),
        requirements=(requirements or "").strip(),
        due_date=due.date,
        due_days=days,
        due_in_working_days=working_days,
        due_warning=due.warning[:200],
        confirmer_role=user.role,
        issued_by=user,
    )
    record_event(
        AuditEventKind.CREATE,
        user=user,
        obj=rectification,
        after=snapshot(rectification, ["issues", "requirements", "due_date", "confirmer_role"]),
        message=f"提出整改要求：{project.name}，{rectification.due_rule}内（{due.date:%Y-%m-%d}前）",
    )
    from notifications.hub import Message, notify

    notify(
        Message.RECTIFICATION,
        answerers(project),
        title=f"整改要求：{project.name}（{due.date:%Y-%m-%d}前）",
        body=rectification.issues,
        url=rectification.get_absolute_url(),
    )
    return rectification


def issue_rectification(report: MonitoringReport, user, *, issues: str, requirements: str = "") -> Rectification:
    """Finance accepts a monitoring report with a rectification request: due in the year's
    ``rectification_days_monitoring`` (7) Chinese working days (seeds/004 五、绩效跟踪)."""
    fiscal_year = report.round.fiscal_year
    return request_rectification(
        report,
        user,
        project=report.project,
        issues=issues,
        requirements=requirements,
        days=fiscal_year.rectification_days_monitoring,
    )


def answerers(project) -> list:
    """Who answers a rectification: the project unit's clerks and its department's reviewers."""
    wanted = {(Role.UNIT_STAFF, project.unit_id), (Role.DEPT_REVIEWER, project.department_id)}
    return [user for users in people_by_role(wanted).values() for user in users]


@transaction.atomic
def answer_rectification(rectification: Rectification, user, *, measures=None, outcome=None) -> Rectification:
    """The department's measures and outcome (evidence is attached as files); submitted separately."""
    rectification = (
        Rectification.objects.select_for_update()
        .select_related("project__unit", "project__department")
        .get(pk=rectification.pk)
    )
    _require(permissions.can_answer_rectification(user, rectification))
    before = snapshot(rectification, ["measures", "outcome"])
    if measures is not None:
        rectification.measures = measures.strip()
    if outcome is not None:
        rectification.outcome = outcome.strip()
    rectification.save(update_fields=["measures", "outcome"])
    record_event(
        AuditEventKind.UPDATE,
        user=user,
        obj=rectification,
        before=before,
        after=snapshot(rectification, ["measures", "outcome"]),
    )
    return rectification


# --- funding actions ------------------------------------------------------------------------------


@transaction.atomic
def record_funding_action(user, project, *, kind: str, amount, reason: str, report=None) -> FundingAction:
    """暂缓拨款 / 停止拨款 / 收回资金 on a project, with the amount, the reason and the report that
    led to it (DESIGN §2.4). Performance office only; the unit and department are told."""
    _require(permissions.can_manage_funding(user))
    errors = {}
    if kind not in FundingActionKind.values:
        errors["kind"] = "请选择处置方式：暂缓拨款、停止拨款或收回资金。"
    value_errors: list[str] = []
    value = _decimal(amount, "金额", value_errors)
    if value_errors or value is None or value <= 0:
        errors["amount"] = value_errors[0] if value_errors else "请填写大于 0 的金额。"
    elif value > project.budget_amount:
        errors["amount"] = f"金额不能超过项目预算（{project.budget_amount:,.2f} 元）。"
    elif value != value.quantize(Decimal("0.01")):
        errors["amount"] = "金额最多精确到分。"
    if not (reason or "").strip():
        errors["reason"] = "请写明处置原因。"
    if report is not None and report.project_id != project.pk:
        errors["report"] = "所选监控表不属于该项目。"
    if errors:
        raise ValidationError(errors)
    action = FundingAction.objects.create(
        project=project, report=report, kind=kind, amount=value, reason=reason.strip(), recorded_by=user
    )
    record_event(
        AuditEventKind.CREATE,
        user=user,
        obj=action,
        after=snapshot(action, ["project", "report", "kind", "amount", "reason"]),
        message=f"{action.get_kind_display()} {value:,.2f} 元：{project.name}",
    )
    from notifications.hub import Message, notify

    notify(
        Message.FUNDING_ACTION,
        answerers(project),
        title=f"{action.get_kind_display()}：{project.name}（{value / WAN:,.2f} 万元）",
        body=action.reason,
        url=project.get_absolute_url(),
    )
    return action


@transaction.atomic
def lift_funding_action(action: FundingAction, user, reason: str) -> FundingAction:
    """解除 a suspension or stop, with a reason; recovered funds cannot be lifted."""
    _require(permissions.can_manage_funding(user))
    if action.kind not in LIFTABLE_FUNDING_KINDS:
        raise RuleViolation("收回资金已执行，不能解除。")
    if not (reason or "").strip():
        raise ValidationError({"lift_reason": "请写明解除原因。"})
    changed = FundingAction.objects.filter(pk=action.pk, status=FundingActionStatus.ACTIVE).update(
        status=FundingActionStatus.LIFTED, lifted_by=user, lifted_at=timezone.now(), lift_reason=reason.strip()
    )
    if changed != 1:
        raise ConcurrentChange("该资金处置已经解除，请刷新页面。")
    action.refresh_from_db()
    record_event(
        AuditEventKind.UPDATE,
        user=user,
        obj=action,
        before={"status": FundingActionStatus.ACTIVE},
        after={"status": FundingActionStatus.LIFTED, "lift_reason": action.lift_reason},
        message=f"解除{action.get_kind_display()}：{action.project.name}",
    )
    return action
