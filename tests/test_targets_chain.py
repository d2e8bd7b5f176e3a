"""Target sheets through their chain (DESIGN §2.3): checks at submit, the four review steps,
expert review of key projects, locking, adjustment into version 2."""

from decimal import Decimal

import pytest

from targets import services
from targets.choices import SheetStatus
from targets.models import Indicator, TargetSheet
from workflow.errors import RuleViolation, TransitionForbidden
from workflow.models import ReviewRecord
from workflow.services import perform_transition

from . import factories as f


@pytest.fixture
def sheet(city):
    project = f.ProjectFactory(fiscal_year=city.year, unit=city.unit_a1)  # continuing: no pre-assessment needed
    return f.TargetSheetFactory(project=project, rows=True)


def approve_through(sheet, city):
    perform_transition(sheet, "submit", city.clerk)
    perform_transition(sheet, "approve", city.reviewer)
    perform_transition(sheet, "approve", city.finance)
    perform_transition(sheet, "approve", city.office, "同意，与预算同步批复")


def test_a_valid_sheet_goes_through_every_step_and_is_locked(city, sheet):
    approve_through(sheet, city)
    sheet.refresh_from_db()
    assert sheet.status == SheetStatus.APPROVED and sheet.is_current and sheet.approved_at
    assert [r.step for r in ReviewRecord.objects.for_object(sheet)] == [
        "填报中", "主管部门审核中", "财政业务科室审核中", "绩效管理科审核中"
    ]
    with pytest.raises(TransitionForbidden, match="已锁定"):
        services.save_sheet(sheet, city.clerk, overall_goal="改")
    row = sheet.indicators.first()
    row.weight = Decimal("1")
    with pytest.raises(RuleViolation, match="已锁定"):
        row.save()


def test_a_finance_reviewer_cannot_take_the_performance_offices_step(city, sheet):
    perform_transition(sheet, "submit", city.clerk)
    perform_transition(sheet, "approve", city.reviewer)
    perform_transition(sheet, "approve", city.finance)
    with pytest.raises(TransitionForbidden):
        perform_transition(sheet, "approve", city.finance)


def test_submit_is_refused_with_the_weight_message(city, sheet):
    Indicator.objects.filter(sheet=sheet, name="新建教室数量").update(weight=Decimal("25"))
    with pytest.raises(RuleViolation, match="指标权重合计应为 90，当前为 85"):
        perform_transition(sheet, "submit", city.clerk)


def test_a_key_project_needs_expert_review_and_experts_recuse(city, sheet):
    sheet.project.is_key = True
    sheet.project.save()
    perform_transition(sheet, "submit", city.clerk)
    perform_transition(sheet, "approve", city.reviewer)
    perform_transition(sheet, "approve", city.finance)
    with pytest.raises(RuleViolation, match="专家评审"):
        perform_transition(sheet, "approve", city.office)
    conflicted = f.ExpertFactory(own_department=city.dept_a)
    with pytest.raises(RuleViolation, match="回避"):
        services.send_to_experts(sheet, city.office, [conflicted])
    services.send_to_experts(sheet, city.office, [city.expert])
    review = sheet.expert_reviews.get()
    services.submit_expert_review(review, city.expert_user, "88", "指标设置合理")
    sheet.refresh_from_db()
    assert sheet.status == SheetStatus.OFFICE_REVIEW
    perform_transition(sheet, "approve", city.office)
    sheet.refresh_from_db()
    assert sheet.publish and sheet.published_snapshot["indicators"][0]["name"] == "新建教室数量"


def test_an_adjustment_becomes_version_two_and_replaces_the_first(city, sheet):
    approve_through(sheet, city)
    sheet.refresh_from_db()
    v2 = services.request_adjustment(sheet, city.clerk, "实施方案调整，学位数下调")
    rows = [{**r, "target_value": "800" if r["name"] == "新增学位数" else r["target_value"]} for r in f.VALID_ROWS]
    services.save_sheet(v2, city.clerk, rows=rows)
    approve_through(v2, city)
    sheet.refresh_from_db()
    v2.refresh_from_db()
    assert (sheet.status, sheet.is_current) == (SheetStatus.SUPERSEDED, False)
    assert (v2.version, v2.status, v2.is_current) == (2, SheetStatus.APPROVED, True)
    assert TargetSheet.objects.filter(project=sheet.project).count() == 2
    assert sheet.indicators.get(name="新增学位数").target_value == Decimal("900")
