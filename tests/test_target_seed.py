"""seed_demo's targets (issue 3, deliverables 1 and 10): the indicator library, and sheets in every
state reached through the services — adjustments in review, key projects approved after expert
review with their published snapshot, a sheet flagged 目标偏低 — idempotently.

The city is seeded once for the module and rolled back at the end (as in test_seed_demo.py).
"""

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings

from accounts.models import Organization
from projects.choices import ProjectKind
from targets.checks import TOO_LOW_FLAG, blocking, check_sheet
from targets.choices import LEVEL2_PARENT, Comparator, IndustryField, SheetStatus, TemplateScope, TemplateStatus
from targets.library_data import TEMPLATES
from targets.models import ExpertReview, Indicator, IndicatorTemplate, TargetSheet
from workflow.models import AuditEvent, ReviewRecord

FAST_HASHER = ["django.contrib.auth.hashers.MD5PasswordHasher"]
DEMO_FIELDS = (
    IndustryField.EDUCATION,
    IndustryField.HEALTH,
    IndustryField.TRANSPORT,
    IndustryField.AGRICULTURE,
    IndustryField.SOCIAL_SECURITY,
    IndustryField.ENVIRONMENT,
    IndustryField.CULTURE,
    IndustryField.PUBLIC_SECURITY,
)


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


def _counts() -> dict:
    return {
        "templates": sorted(IndicatorTemplate.objects.values_list("code", "status", "name")),
        "sheets": sorted(
            TargetSheet.objects.values_list("project__code", "project__fiscal_year__year", "version", "status")
        ),
        "indicators": Indicator.objects.count(),
        "expert_reviews": sorted(ExpertReview.objects.values_list("sheet_id", "expert_id", "score")),
        "records": ReviewRecord.objects.count(),
        "audit": AuditEvent.objects.count(),
    }


# --- the library --------------------------------------------------------------------------


def test_the_library_has_at_least_150_templates_common_and_in_every_demo_field(city):
    confirmed = IndicatorTemplate.objects.confirmed()
    assert confirmed.count() >= 150
    assert confirmed.filter(scope=TemplateScope.COMMON, field=IndustryField.GENERAL).count() >= 30
    for field in DEMO_FIELDS:
        in_field = confirmed.filter(scope=TemplateScope.FIELD, field=field)
        assert in_field.count() >= 12, field
        # each field covers output, effect and satisfaction
        assert {"output", "effect", "satisfaction"} <= set(in_field.values_list("level1", flat=True)), field


def test_every_template_is_complete_and_consistent(city):
    assert len({t.code for t in TEMPLATES}) == len(TEMPLATES)
    for t in IndicatorTemplate.objects.filter(code__in=[d.code for d in TEMPLATES]):
        assert LEVEL2_PARENT[t.level2] == t.level1, t.code
        assert t.name and t.data_source and t.scoring_note and t.suggested_value, t.code
        if t.comparator == Comparator.QUALITATIVE:
            assert not t.unit, t.code
        else:
            assert t.unit, t.code
        t.full_clean()


def test_departments_proposals_are_pending_confirmed_and_rejected(city):
    proposals = IndicatorTemplate.objects.filter(proposed_by__isnull=False)
    assert set(proposals.values_list("status", flat=True)) == set(TemplateStatus.values)
    assert all(p.scope == TemplateScope.FIELD for p in proposals)


def test_load_indicator_library_writes_nothing_the_second_time_and_restores_edits(city):
    out = StringIO()
    call_command("load_indicator_library", stdout=out)
    assert f"新增 0 条，更新 0 条，未变 {len(TEMPLATES)} 条" in out.getvalue()
    IndicatorTemplate.objects.filter(code="GX-MY-01").update(name="改过的名称")
    call_command("load_indicator_library", "--keep-existing", stdout=out)
    assert IndicatorTemplate.objects.get(code="GX-MY-01").name == "改过的名称"
    call_command("load_indicator_library", stdout=out)
    assert IndicatorTemplate.objects.get(code="GX-MY-01").name == "服务对象满意度"
    assert "更新 1 条" in out.getvalue()


# --- the sheets -----------------------------------------------------------------------------


def test_sheets_in_every_state(city):
    assert set(TargetSheet.objects.values_list("status", flat=True)) == set(SheetStatus.values)
    assert "绩效目标表" in city and "指标库" in city


def test_approved_sheets_with_an_adjustment_in_review(city):
    in_review = TargetSheet.objects.filter(
        adjustment_of__isnull=False, status__in=[SheetStatus.DEPT_REVIEW, SheetStatus.FINANCE_REVIEW]
    ).select_related("adjustment_of")
    assert {s.status for s in in_review} == {SheetStatus.DEPT_REVIEW, SheetStatus.FINANCE_REVIEW}
    for v2 in in_review:
        assert v2.version == 2 and not v2.is_current and v2.adjustment_reason
        assert v2.adjustment_of.status == SheetStatus.APPROVED and v2.adjustment_of.is_current
        # the adjustment changed the rows
        old = list(v2.adjustment_of.indicators.values_list("name", "target_value"))
        assert list(v2.indicators.values_list("name", "target_value")) != old
    replaced = TargetSheet.objects.filter(status=SheetStatus.SUPERSEDED)
    assert replaced.exists()
    for v1 in replaced:
        assert v1.adjustments.get().status == SheetStatus.APPROVED and v1.adjustments.get().is_current


def test_key_projects_approved_after_expert_review_are_published(city):
    published = TargetSheet.objects.filter(status=SheetStatus.APPROVED, project__is_key=True, is_current=True)
    assert published.count() >= 3
    for sheet in published.select_related("project__department"):
        assert sheet.publish and sheet.published_snapshot["indicators"]
        assert sheet.published_snapshot["project_name"] == sheet.project.name
        reviews = list(sheet.expert_reviews.select_related("expert"))
        assert reviews and all(r.submitted_at and r.score is not None and r.comment for r in reviews)
        assert not any(r.expert.conflicts_with(sheet.project.department) for r in reviews)
        assert "experts_done" in [r.action for r in ReviewRecord.objects.for_object(sheet)]
    waiting = TargetSheet.objects.get(status=SheetStatus.EXPERT_REVIEW)
    assert waiting.expert_reviews.pending().exists()
    assert not TargetSheet.objects.filter(publish=True, project__is_key=False).exists()


def test_a_sheet_is_flagged_too_low_and_can_still_go_forward(city):
    flagged = [
        s
        for s in TargetSheet.objects.filter(indicators__last_year_actual__isnull=False).distinct()
        if any(TOO_LOW_FLAG in p.message and not p.blocking for p in check_sheet(s))
    ]
    # at the performance office's step, and an adjustment that lowered a target below last year's
    assert {SheetStatus.OFFICE_REVIEW, SheetStatus.DEPT_REVIEW} <= {s.status for s in flagged}


def test_states_were_reached_through_the_services(city):
    for sheet in TargetSheet.objects.exclude(status=SheetStatus.DRAFT).select_related("project__fiscal_year"):
        records = list(ReviewRecord.objects.for_object(sheet))
        if sheet.status == SheetStatus.SUPERSEDED:
            assert records[-1].to_state == SheetStatus.APPROVED, sheet
        else:
            assert records and records[-1].to_state == sheet.status, sheet
        if sheet.status != SheetStatus.RETURNED:
            assert not blocking(check_sheet(sheet)), sheet  # whatever was submitted passed the checks
        assert sheet.project.preassessment_gate()[0], sheet
    returns = ReviewRecord.objects.filter(chain="targets", decision="退回")
    assert returns.exists() and all(r.opinion for r in returns)
    steps = set(ReviewRecord.objects.filter(chain="targets", action="return").values_list("step", flat=True))
    assert steps == {"主管部门审核中", "财政业务科室审核中", "绩效管理科审核中"}
    approvals = ReviewRecord.objects.filter(chain="targets", to_state=SheetStatus.APPROVED)
    assert {r.actor.username for r in approvals} == {"jixiao"}


def test_rows_come_from_the_library_with_the_years_weights(city):
    for sheet in TargetSheet.objects.filter(status=SheetStatus.APPROVED).prefetch_related("indicators")[:20]:
        rows = [r for r in sheet.indicators.all() if r.period == "year"]
        assert sum(r.weight for r in rows) == 90
        assert all(r.template_id for r in rows)
    overall = TargetSheet.objects.filter(project__kind=ProjectKind.DEPARTMENT_OVERALL).first()
    assert overall.indicators.filter(template__code__startswith="BM-").exists()
    multi_year = [s for s in TargetSheet.objects.select_related("project") if s.project.is_multi_year]
    assert multi_year and all(s.whole_period_goal and s.indicators.filter(period="whole").exists() for s in multi_year)


def test_the_readme_users_have_something_to_do(city):
    User = get_user_model()
    danwei, bumen = User.objects.get(username="danwei"), User.objects.get(username="bumen")
    theirs = TargetSheet.objects.visible_to(danwei)
    returned = theirs.get(status=SheetStatus.RETURNED)
    assert ReviewRecord.objects.for_object(returned).last().actor == bumen
    at_department = TargetSheet.objects.visible_to(bumen).filter(status=SheetStatus.DEPT_REVIEW)
    assert at_department.exists()
    assert not TargetSheet.objects.visible_to(bumen).exclude(project__department__code="201").exists()
    zhuanjia = User.objects.get(username="zhuanjia")
    assert TargetSheet.objects.visible_to(zhuanjia).exists()


def test_running_twice_changes_nothing(city, settings):
    settings.PASSWORD_HASHERS = FAST_HASHER
    before = _counts()
    output = _seed()
    assert _counts() == before
    assert "指标模板 0 条，绩效目标表 0 张" in output
