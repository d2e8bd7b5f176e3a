"""The review chain core (DESIGN §2.3 'every step is a record', STYLE habits 3–5)."""

import pytest

from projects.choices import PreAssessmentStatus, ProjectStatus
from workflow.errors import ConcurrentChange, RuleViolation, TransitionForbidden, TransitionNotAllowed
from workflow.models import AuditEvent, ReviewRecord
from workflow.services import perform_transition

from . import factories as f


def test_project_cannot_be_submitted_before_its_preassessment(city, project):
    with pytest.raises(RuleViolation, match="事前绩效评估"):
        perform_transition(project, "submit", city.clerk)
    project.refresh_from_db()
    assert project.status == ProjectStatus.DRAFT
    assert not ReviewRecord.objects.for_object(project).exists()


def test_full_preassessment_chain_writes_a_record_and_event_per_step(city, project):
    pa = f.PreAssessmentFactory(project=project, dimensions=True)
    perform_transition(pa, "submit", city.clerk)
    perform_transition(pa, "return", city.reviewer, opinion="经济性论证不足")
    perform_transition(pa, "submit", city.clerk)
    perform_transition(pa, "approve", city.reviewer, opinion="同意")
    perform_transition(pa, "conclude", city.office, opinion="予以支持", conclusion="support")
    pa.refresh_from_db()
    assert pa.status == PreAssessmentStatus.CONCLUDED
    records = list(ReviewRecord.objects.for_object(pa))
    assert [r.decision for r in records] == ["提交", "退回", "提交", "通过", "出具结论"]
    assert records[1].opinion == "经济性论证不足" and records[1].actor == city.reviewer
    assert AuditEvent.objects.filter(kind="transition", object_id=str(pa.pk), success=True).count() == 5
    project.refresh_from_db()
    assert project.preassessment_passed
    perform_transition(project, "submit", city.clerk)


def test_out_of_order_and_wrong_role_are_refused_with_a_message(city, project):
    pa = f.PreAssessmentFactory(project=project, dimensions=True)
    with pytest.raises(TransitionNotAllowed, match="当前状态为“填报中”"):
        perform_transition(pa, "approve", city.reviewer)
    perform_transition(pa, "submit", city.clerk)
    with pytest.raises(TransitionForbidden, match="您的角色不能执行"):
        perform_transition(pa, "approve", city.clerk)
    assert AuditEvent.objects.filter(kind="permission_denied", object_id=str(pa.pk)).exists()


def test_a_stale_object_loses_the_compare_and_set(city, project):
    pa = f.PreAssessmentFactory(project=project, dimensions=True)
    perform_transition(pa, "submit", city.clerk)
    first, second = type(pa).objects.get(pk=pa.pk), type(pa).objects.get(pk=pa.pk)
    perform_transition(first, "approve", city.reviewer)
    with pytest.raises(ConcurrentChange):
        perform_transition(second, "approve", city.reviewer)
    assert ReviewRecord.objects.for_object(pa).filter(action="approve").count() == 1
