"""seed_demo's dual monitoring (issue 4, deliverable 10): a Q3 round with reports in every state and
light, rectifications in every state, funding actions, a closed half-year round — all reached
through the services by the person who would act — and something to do for the README's users.

The city is seeded once for the module and rolled back at the end (as in test_seed_demo.py).
"""

from collections import defaultdict
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings

from accounts.models import Organization
from monitoring.choices import (
    FundingActionKind,
    FundingActionStatus,
    Judgement,
    Light,
    PeriodKind,
    RectificationStatus,
    ReportStatus,
    RoundStatus,
)
from monitoring.lights import WarningRules
from monitoring.models import FundingAction, MonitoringReport, MonitoringRound, MonitoringRow, Rectification
from monitoring.services import compute_lights, report_problems
from targets.choices import Comparator, SheetStatus
from targets.models import TargetSheet
from workflow.audit import AuditEventKind
from workflow.models import AuditEvent, ReviewRecord

FAST_HASHER = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _seed(*args) -> str:
    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), override_settings(PASSWORD_HASHERS=FAST_HASHER), transaction.atomic():
        assert not Organization.objects.exists()
        yield _seed("--if-empty")
        transaction.set_rollback(True)


@pytest.fixture
def city(seeded, db):
    return seeded


def _q3() -> MonitoringRound:
    return MonitoringRound.objects.get(fiscal_year__year=2026, kind=PeriodKind.QUARTER, number=3)


def _user(username):
    return get_user_model().objects.get(username=username)


def _counts() -> dict:
    return {
        "rounds": sorted(MonitoringRound.objects.values_list("kind", "number", "status")),
        "reports": sorted(
            MonitoringReport.objects.values_list(
                "round__kind", "project__code", "status", "paid_to_date", "light", "judgement", "summary"
            )
        ),
        "rows": sorted(MonitoringRow.objects.values_list("pk", "actual_value", "progress", "light", "reason")),
        "rectifications": sorted(Rectification.objects.values_list("object_id", "status", "measures")),
        "funding": sorted(FundingAction.objects.values_list("project__code", "kind", "status", "amount")),
        "records": ReviewRecord.objects.count(),
        "audit": AuditEvent.objects.count(),
    }


# --- the rounds and their reports -------------------------------------------------------------


def test_the_q3_round_has_a_report_for_every_approved_sheet_in_every_state(city):
    q3 = _q3()
    assert q3.is_mandatory and q3.status == RoundStatus.OPEN and q3.opened_by.username == "jixiao"
    approved = TargetSheet.objects.current().filter(status=SheetStatus.APPROVED, project__fiscal_year__year=2026)
    reports = MonitoringReport.objects.filter(round=q3)
    assert set(reports.values_list("target_sheet", flat=True)) == set(approved.values_list("pk", flat=True))
    assert set(reports.values_list("status", flat=True)) == set(ReportStatus.values)
    assert "绩效监控·2026年第三季度绩效监控（进行中）" in city and "整改：" in city


def test_every_light_and_judgement_occurs(city):
    reports = MonitoringReport.objects.filter(round=_q3())
    # The budget has no blue (DESIGN §2.4: blue is an indicator beyond 120 % of its target).
    assert set(reports.exclude(budget_light="").values_list("budget_light", flat=True)) == {
        Light.RED,
        Light.YELLOW,
        Light.GREEN,
    }
    assert set(reports.exclude(light="").values_list("light", flat=True)) == set(Light.values)
    assert set(reports.exclude(judgement="").values_list("judgement", flat=True)) == set(Judgement.values)
    lights = defaultdict(set)
    for comparator, light in MonitoringRow.objects.filter(report__round=_q3()).values_list(
        "indicator__comparator", "light"
    ):
        if light:
            lights[comparator].add(light)
    assert lights[Comparator.GTE] == set(Light.values)
    assert lights[Comparator.LTE] == {Light.RED, Light.YELLOW, Light.GREEN}  # ≤ rows have no blue
    assert lights[Comparator.QUALITATIVE] == {Light.RED, Light.YELLOW, Light.GREEN}


def test_stored_lights_are_the_rules_own(city):
    """What was saved is exactly what the light rules give for the saved figures."""
    for report in MonitoringReport.objects.filter(round__fiscal_year__year=2026).select_related("round__fiscal_year"):
        rows = list(report.rows.select_related("indicator").order_by("position", "id"))
        stored = (report.budget_light, report.light, report.judgement, [(r.light, r.ratio) for r in rows])
        compute_lights(report, rows, WarningRules.of(report.round.fiscal_year))
        assert (report.budget_light, report.light, report.judgement, [(r.light, r.ratio) for r in rows]) == stored


def test_submitted_reports_explain_every_deviation(city):
    submitted = MonitoringReport.objects.filter(round=_q3()).exclude(status=ReportStatus.DRAFT)
    for report in submitted:
        assert report_problems(report) == [], report
        assert report.summary and report.submitted_at
        for row in report.rows.exclude(light=Light.GREEN):
            assert row.cause and row.reason and row.measures, row
    drafts = MonitoringReport.objects.filter(round=_q3(), status=ReportStatus.DRAFT)
    assert drafts.filter(paid_to_date__isnull=True).exists()  # not started
    assert drafts.filter(paid_to_date__isnull=False, judgement="").exists()  # half filled


def test_states_were_reached_through_the_services(city):
    for report in MonitoringReport.objects.exclude(status=ReportStatus.DRAFT):
        records = list(ReviewRecord.objects.for_object(report))
        assert records and records[-1].to_state == report.status, report
        assert all(r.chain == "monitoring" for r in records)
    returns = ReviewRecord.objects.filter(chain="monitoring", action="return")
    assert set(returns.values_list("step", flat=True)) == {"主管部门审核中", "财政审核中"}
    assert all(r.opinion for r in returns)
    # a report returned by its department, corrected and accepted
    assert any(
        [r.action for r in ReviewRecord.objects.for_object(report)]
        == ["submit", "return", "submit", "approve", "accept"]
        for report in MonitoringReport.objects.filter(status=ReportStatus.ACCEPTED)
    )
    deciders = ReviewRecord.objects.filter(chain="monitoring", action__in=["accept", "rectify"])
    assert {r.actor.username for r in deciders} == {"caizheng"}
    transitions = AuditEvent.objects.filter(kind=AuditEventKind.TRANSITION, success=True).count()
    assert transitions == ReviewRecord.objects.count()
    assert AuditEvent.objects.filter(kind=AuditEventKind.UPDATE, object_type="monitoring.monitoringreport").exists()


def test_rectifications_in_every_state_from_reports_accepted_with_one(city):
    rectifications = Rectification.objects.all()
    assert set(rectifications.values_list("status", flat=True)) == set(RectificationStatus.values)
    rectify = MonitoringReport.objects.filter(status=ReportStatus.ACCEPTED_RECTIFY)
    assert sorted(rectifications.values_list("object_id", flat=True)) == sorted(rectify.values_list("pk", flat=True))
    for rectification in rectifications:
        assert isinstance(rectification.source, MonitoringReport)
        assert rectification.issues and rectification.requirements and rectification.confirmer_role
        records = list(ReviewRecord.objects.for_object(rectification))
        if rectification.status == RectificationStatus.ISSUED:
            assert not records and not rectification.measures
        else:
            assert records[-1].to_state == rectification.status and records[0].chain == "rectification"
            assert rectification.measures and rectification.outcome
    sent_back = rectifications.get(status=RectificationStatus.SENT_BACK)
    assert ReviewRecord.objects.for_object(sent_back).last().opinion


def test_funding_actions_suspend_stop_recover_and_a_lifted_suspension(city):
    actions = FundingAction.objects.select_related("report", "recorded_by")
    assert set(actions.values_list("kind", flat=True)) == set(FundingActionKind.values)
    lifted = actions.get(status=FundingActionStatus.LIFTED)
    assert lifted.kind == FundingActionKind.SUSPEND and lifted.lift_reason and lifted.lifted_by.username == "jixiao"
    assert actions.filter(kind=FundingActionKind.SUSPEND, status=FundingActionStatus.ACTIVE).exists()
    for action in actions:
        assert action.recorded_by.username == "jixiao" and action.reason
        assert action.report.project_id == action.project_id and 0 < action.amount <= action.project.budget_amount
        assert action.report.judgement == Judgement.SERIOUS


def test_the_half_year_round_was_partly_reported_and_closed(city):
    h1 = MonitoringRound.objects.get(fiscal_year__year=2026, kind=PeriodKind.HALF_YEAR, number=1)
    assert h1.status == RoundStatus.CLOSED and not h1.is_mandatory
    reports = MonitoringReport.objects.filter(round=h1)
    assert reports.filter(status=ReportStatus.ACCEPTED).count() >= reports.count() // 2
    assert reports.filter(status=ReportStatus.DRAFT, paid_to_date__isnull=True).exists()
    assert reports.filter(status=ReportStatus.DRAFT, paid_to_date__isnull=False).exists()
    q3 = {r.project_id: r for r in MonitoringReport.objects.filter(round=_q3())}
    for report in reports.exclude(paid_to_date=None):
        assert report.time_progress == 50 and report.paid_to_date < q3[report.project_id].paid_to_date


# --- what the README's users find ---------------------------------------------------------------


def test_danwei_has_a_draft_with_a_red_row_to_explain_and_a_returned_report(city):
    danwei, bumen = _user("danwei"), _user("bumen")
    theirs = MonitoringReport.objects.visible_to(danwei).filter(round=_q3())
    draft = theirs.get(status=ReportStatus.DRAFT)
    assert draft.rows.filter(light=Light.RED, reason="").exists()
    assert any("红灯" in problem for problem in report_problems(draft))
    returned = theirs.get(status=ReportStatus.RETURNED)
    assert ReviewRecord.objects.for_object(returned).last().actor == bumen


def test_bumen_and_caizheng_have_reports_to_review_and_rectifications(city):
    bumen, caizheng = _user("bumen"), _user("caizheng")
    at_department = MonitoringReport.objects.visible_to(bumen).filter(status=ReportStatus.DEPT_REVIEW)
    assert at_department.exists()
    assert not MonitoringReport.objects.visible_to(bumen).exclude(project__department__code="201").exists()
    assert Rectification.objects.visible_to(bumen).filter(status=RectificationStatus.ISSUED).exists()
    assert MonitoringReport.objects.visible_to(caizheng).filter(status=ReportStatus.FINANCE_REVIEW).count() >= 2
    to_confirm = Rectification.objects.visible_to(caizheng).filter(status=RectificationStatus.SUBMITTED)
    assert to_confirm.filter(confirmer_role__in=caizheng.roles).exists()


def test_running_twice_changes_nothing(city, settings):
    settings.PASSWORD_HASHERS = FAST_HASHER
    before = _counts()
    output = _seed()
    assert _counts() == before
    assert "监控批次 0 个，填报监控表 0 次（流转 0 步），资金处置 0 项" in output
