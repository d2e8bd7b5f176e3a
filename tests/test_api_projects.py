"""The project library and pre-assessment through the API: the journey, bad input, refusals."""

from decimal import Decimal

import pytest

from projects.choices import PreAssessmentStatus, ProjectStatus
from projects.models import PreAssessment, Project
from workflow.models import AuditEvent, ReviewRecord

from . import factories as f

P = "/api/v1/projects/"
PA = "/api/v1/preassessments/"


def project_body(city, **changes):
    body = {
        "fiscal_year": city.year.pk,
        "code": "XM-API-100",
        "name": "智慧课堂建设",
        "unit": city.unit_a1.pk,
        "responsible_person": "王五",
        "budget_amount": "6000000.00",
        "period_start": "2026-03-01",
        "period_end": "2026-12-31",
        "is_new": True,
    }
    return {**body, **changes}


FIVE_DIMENSIONS = {
    "summary": "项目论证充分",
    "scores": [
        {"dimension": d, "score": 16, "opinion": "论证充分"}
        for d in ("necessity", "economy", "targets", "feasibility", "financing")
    ],
}


def test_the_whole_preassessment_journey_through_the_api(city, api):
    clerk, reviewer, office = api(city.clerk), api(city.reviewer), api(city.office)

    created = clerk.post(P, project_body(city), format="json")
    assert created.status_code == 201, created.json()
    project = created.json()
    assert project["department"] == city.dept_a.pk and project["budget_wan"] == "600.00"
    assert project["needs_preassessment"] is True and project["preassessment"] is None

    # Cannot go forward before the pre-assessment (the rule lives in the service).
    refused = clerk.post(f"{P}{project['id']}/submit/", format="json")
    assert refused.status_code == 400
    assert "事前绩效评估" in refused.json()["detail"]

    pa = clerk.post(f"{P}{project['id']}/start-preassessment/", format="json")
    assert pa.status_code == 201
    pa_url = f"{PA}{pa.json()['id']}/"
    assert len(pa.json()["missing_dimensions"]) == 5

    incomplete = clerk.post(pa_url + "submit/", format="json")
    assert incomplete.status_code == 400 and "立项必要性" in incomplete.json()["detail"]

    filled = clerk.patch(pa_url, FIVE_DIMENSIONS, format="json")
    assert filled.status_code == 200
    assert filled.json()["total_score"] == "80.00" and filled.json()["missing_dimensions"] == []
    assert [s["label"] for s in filled.json()["scores"]][0] == "立项必要性"

    assert clerk.post(pa_url + "submit/", format="json").status_code == 200
    assert [a["action"] for a in reviewer.get(pa_url + "actions/").json()] == ["approve", "return"]
    no_opinion = reviewer.post(pa_url + "return/", {"opinion": " "}, format="json")
    assert no_opinion.status_code == 400 and "意见" in no_opinion.json()["detail"]
    returned = reviewer.post(pa_url + "return/", {"opinion": "经济性论证不足"}, format="json")
    assert returned.status_code == 200
    assert returned.json()["object"]["status"] == PreAssessmentStatus.RETURNED
    assert returned.json()["record"]["opinion"] == "经济性论证不足"
    assert returned.json()["record"]["actor_role_label"] == "主管部门审核人"

    assert clerk.post(pa_url + "submit/", format="json").status_code == 200
    assert reviewer.post(pa_url + "approve/", {"opinion": "同意"}, format="json").status_code == 200
    concluded = office.post(pa_url + "conclude/", {"conclusion": "support", "opinion": "予以支持"}, format="json")
    assert concluded.status_code == 200
    assert concluded.json()["object"]["conclusion_display"] == "予以支持"

    history = clerk.get(pa_url + "history/").json()
    assert [r["decision"] for r in history] == ["提交", "退回", "提交", "通过", "出具结论"]

    assert clerk.post(f"{P}{project['id']}/submit/", format="json").status_code == 200
    approved = reviewer.post(f"{P}{project['id']}/approve/", {"opinion": "同意入库"}, format="json")
    assert approved.status_code == 200
    assert approved.json()["object"]["status"] == ProjectStatus.IN_LIBRARY
    assert approved.json()["object"]["preassessment_passed"] is True
    assert approved.json()["record"]["chain_label"] == "项目申报"

    # The project's history holds its pre-assessment's steps too, as on the project page.
    history = [(r["chain_label"], r["decision"]) for r in clerk.get(f"{P}{project['id']}/history/").json()]
    assert history[-3:] == [("事前绩效评估", "出具结论"), ("项目申报", "提交"), ("项目申报", "通过")]
    assert len(history) == 7


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"budget_amount": "六百万"}, "budget_amount", "合法的数字"),
        ({"unit": 999999}, "unit", "不存在"),
        ({"period_start": "2026-12-01", "period_end": "2026-01-31"}, "period_end", "实施期止不能早于实施期起"),
        ({"responsible_person": ""}, "responsible_person", "不能为空"),
        ({"fiscal_year": "2026年"}, "fiscal_year", ""),
    ],
)
def test_bad_project_input_is_400_with_field_messages_and_writes_nothing(city, api, changes, field, message):
    events = AuditEvent.objects.count()
    response = api(city.clerk).post(P, project_body(city, **changes), format="json")
    assert response.status_code == 400
    assert field in response.json(), response.json()
    assert message in "".join(response.json()[field])
    assert not Project.objects.exists()
    assert AuditEvent.objects.count() == events


def test_a_duplicate_code_is_the_models_message(city, api):
    f.ProjectFactory(fiscal_year=city.year, unit=city.unit_a1, code="XM-API-100")
    response = api(city.clerk).post(P, project_body(city), format="json")
    assert response.status_code == 400
    assert "本年度已有相同编码的项目" in str(response.json())
    assert Project.objects.count() == 1


def test_editing_a_submitted_project_is_refused_with_the_reason(city, api):
    project = f.ProjectFactory(fiscal_year=city.year, unit=city.unit_a1, status=ProjectStatus.DEPT_REVIEW)
    response = api(city.clerk).patch(f"{P}{project.pk}/", {"name": "改名"}, format="json")
    assert response.status_code == 403
    assert "主管部门审核中" in response.json()["detail"]


def test_approving_twice_is_409_and_leaves_one_record(city, api):
    pa = f.PreAssessmentFactory(
        project=f.ProjectFactory(fiscal_year=city.year, unit=city.unit_a1, is_new=True),
        dimensions=True,
        status=PreAssessmentStatus.DEPT_REVIEW,
    )
    reviewer = api(city.reviewer)
    assert reviewer.post(f"{PA}{pa.pk}/approve/", format="json").status_code == 200
    again = reviewer.post(f"{PA}{pa.pk}/approve/", format="json")
    assert again.status_code == 409
    assert "财政审核中" in again.json()["detail"]
    assert ReviewRecord.objects.for_object(pa).filter(action="approve").count() == 1


def test_an_unknown_conclusion_or_score_is_400(city, api):
    pa = f.PreAssessmentFactory(
        project=f.ProjectFactory(fiscal_year=city.year, unit=city.unit_a1, is_new=True),
        dimensions=True,
        status=PreAssessmentStatus.FINANCE_REVIEW,
    )
    missing = api(city.office).post(f"{PA}{pa.pk}/conclude/", {"opinion": "同意"}, format="json")
    assert missing.status_code == 400 and "请选择评估结论" in missing.json()["detail"]
    wrong = api(city.office).post(f"{PA}{pa.pk}/conclude/", {"conclusion": "maybe"}, format="json")
    assert wrong.status_code == 400 and "conclusion" in wrong.json()

    PreAssessment.objects.filter(pk=pa.pk).update(status=PreAssessmentStatus.DRAFT)
    bad_score = {"scores": [{"dimension": "economy", "score": "很高", "opinion": "x"}]}
    response = api(city.clerk).patch(f"{PA}{pa.pk}/", bad_score, format="json")
    assert response.status_code == 400 and "投入经济性的得分须为数字" in str(response.json())
    too_high = {"scores": [{"dimension": "economy", "score": 25, "opinion": "x"}]}
    assert api(city.clerk).patch(f"{PA}{pa.pk}/", too_high, format="json").status_code == 400
    assert {s.score for s in pa.scores.all()} == {Decimal("16")}


def test_commissioning_a_barred_agency_is_refused(city, api):
    pa = f.PreAssessmentFactory(project=f.ProjectFactory(fiscal_year=city.year, unit=city.unit_a1, is_new=True))
    city.agency.is_barred, city.agency.barred_reason = True, "报告质量不合格"
    city.agency.save()
    response = api(city.office).post(
        f"{PA}{pa.pk}/commission/", {"mode": "agency", "agency": city.agency.pk}, format="json"
    )
    assert response.status_code == 400 and "禁入" in response.json()["detail"]
    experts = {"mode": "experts", "experts": [city.expert.pk]}
    ok = api(city.office).post(f"{PA}{pa.pk}/commission/", experts, format="json")
    assert ok.status_code == 200 and ok.json()["experts"] == [{"id": city.expert.pk, "name": "李专家"}]


def test_filters_and_search_come_from_the_shared_filterset(city, api):
    f.ProjectFactory(fiscal_year=city.year, unit=city.unit_a1, name="校舍维修", status=ProjectStatus.IN_LIBRARY)
    f.ProjectFactory(fiscal_year=city.year, unit=city.unit_a2, name="食堂改造")
    f.ProjectFactory(fiscal_year=city.year, unit=city.unit_b1, name="校医室设备")
    office = api(city.office)
    assert sorted(p["name"] for p in office.get(P, {"q": "校"}).json()["results"]) == ["校医室设备", "校舍维修"]
    assert office.get(P, {"status": "in_library"}).json()["count"] == 1
    assert office.get(P, {"department": city.dept_b.pk}).json()["count"] == 1
    # The reviewer's department filter only offers her own department.
    assert api(city.reviewer).get(P, {"department": city.dept_b.pk}).status_code == 400
    assert office.get(P, {"ordering": "-budget_amount"}).status_code == 200
    # Ordering by a field that is not offered is ignored, never a 500.
    assert office.get(P, {"ordering": "budget_wan"}).status_code == 200


def test_the_audit_log_is_read_only_and_filterable(city, api):
    project = f.ProjectFactory(fiscal_year=city.year, unit=city.unit_a1, created_by=city.clerk)
    api(city.clerk).patch(f"{P}{project.pk}/", {"name": "新名称"}, format="json")
    auditor = api(city.auditor)
    events = auditor.get("/api/v1/audit-events/", {"kind": "update", "user": "clerk"}).json()
    assert events["count"] == 1
    event = events["results"][0]
    assert event["before"]["name"] != event["after"]["name"] == "新名称"
    assert event["role_label"] == "单位填报人"
    url = f"/api/v1/audit-events/{event['id']}/"
    assert auditor.put(url, {"message": "x"}, format="json").status_code == 405
    assert auditor.delete(url).status_code == 405
    assert auditor.post("/api/v1/audit-events/", {"message": "x"}, format="json").status_code == 405
    forbidden = api(city.clerk).get("/api/v1/audit-events/")
    assert forbidden.status_code == 403 and "审计" in forbidden.json()["detail"]
