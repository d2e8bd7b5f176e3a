"""Pre-assessment pages (DESIGN §2.2): the clerk-to-conclusion journey through the HTML pages, the
role matrix of every page, commissioning to agencies and experts, and a fixed-cost list."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from projects.choices import Dimension, PreAssessmentMode, PreAssessmentStatus
from projects.models import PreAssessment, Project
from workflow.models import ReviewRecord

from . import factories as f
from .test_project_pages import ROLES, assert_answer, get, project_form_data


def page_text(response) -> str:
    """What a reader sees: the HTML without its tags and with whitespace collapsed."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


def dimension_data(score="16", opinion="论证充分", summary="总体可行"):
    data = {"summary": summary}
    for d in Dimension.values:
        data[f"score_{d}"] = score
        data[f"opinion_{d}"] = opinion
    return data


def transition(client, pa_or_project, action, **data):
    kind = "preassessment" if isinstance(pa_or_project, PreAssessment) else "project"
    name = f"projects:{kind}_transition"
    return client.post(reverse(name, args=[pa_or_project.pk, action]), data, follow=True)


def test_the_journey_from_a_new_project_to_a_supported_conclusion(client_for, city):
    clerk, reviewer, office = client_for(city.clerk), client_for(city.reviewer), client_for(city.office)

    # The clerk enters a new 600万元 project.
    response = clerk.post(reverse("projects:project_create"), project_form_data(city), follow=True)
    project = Project.objects.get(code="XM-NEW-001")
    assert "已保存项目" in page_text(response) and "600.00 万元" in page_text(response)

    # She cannot send it forward before its pre-assessment.
    response = transition(clerk, project, "submit")
    assert "须先完成事前绩效评估" in page_text(response)

    # She starts the pre-assessment and lands on its form.
    response = clerk.post(reverse("projects:preassessment_start", args=[project.pk]))
    pa = PreAssessment.objects.get(project=project)
    assert response["Location"] == reverse("projects:preassessment_edit", args=[pa.pk])

    # Submitting with empty dimensions names what is missing.
    response = transition(clerk, pa, "submit")
    assert "请填写以下评估维度的得分和意见" in page_text(response) and "立项必要性" in page_text(response)

    # She fills the five dimensions and submits.
    response = clerk.post(reverse("projects:preassessment_edit", args=[pa.pk]), dimension_data(), follow=True)
    assert "五个维度均已填写" in page_text(response) and "80.00" in page_text(response)
    response = transition(clerk, pa, "submit", opinion="请审核")
    assert "已提交" in page_text(response)

    # The department reviewer returns it with an opinion; a return without one is refused.
    response = transition(reviewer, pa, "return")
    assert "“退回”须填写意见" in page_text(response)
    response = transition(reviewer, pa, "return", opinion="投入经济性论证不足，请补充测算依据")
    assert "已退回" in page_text(response)
    pa.refresh_from_db()
    assert pa.status == PreAssessmentStatus.RETURNED

    # The clerk sees the opinion, fixes the dimension and resubmits.
    assert "投入经济性论证不足" in page_text(clerk.get(pa.get_absolute_url()))
    data = dimension_data()
    data["opinion_economy"] = "已补充单价测算依据"
    clerk.post(reverse("projects:preassessment_edit", args=[pa.pk]), data)
    assert "已提交" in page_text(transition(clerk, pa, "submit"))

    # The reviewer passes it; the performance office concludes 予以支持.
    assert "已通过" in page_text(transition(reviewer, pa, "approve", opinion="同意"))
    response = transition(office, pa, "conclude", opinion="必要性充分，予以支持")
    assert "请选择评估结论" in page_text(response)  # no conclusion chosen yet
    response = transition(office, pa, "conclude", conclusion="support", opinion="必要性充分，予以支持")
    assert "已出具结论" in page_text(response)

    # The project now shows the pre-assessment passed and the full history.
    text = page_text(clerk.get(project.get_absolute_url()))
    assert "已出结论" in text and "予以支持" in text
    assert "须先完成事前绩效评估" not in text
    history = text[text.index("审核记录") :]
    for expected in ("提交", "退回", "投入经济性论证不足", "通过", "出具结论", "必要性充分，予以支持"):
        assert expected in history
    assert "主管部门审核人" in history and "财政绩效管理科" in history
    decisions = list(ReviewRecord.objects.for_object(pa).values_list("decision", flat=True))
    assert decisions == ["提交", "退回", "提交", "通过", "出具结论"]

    # And it can go forward now.
    assert "已提交" in page_text(transition(clerk, project, "submit"))


# --- the role matrix ---------------------------------------------------------------------------


@pytest.fixture
def pa(project):
    """A self-assessment of the clerk's project, in draft, five dimensions empty."""
    return f.PreAssessmentFactory(project=project)


DETAIL_EXPECTED = {
    "clerk": 200, "reviewer": 200, "other_clerk": 404, "finance": 200, "office": 200,
    "expert": 404, "evaluator": 404, "auditor": 200, "anonymous": "login",
}
EDIT_EXPECTED = {
    "clerk": 200, "reviewer": 403, "other_clerk": 404, "finance": 403, "office": 403,
    "expert": 404, "evaluator": 404, "auditor": 403, "anonymous": "login",
}
COMMISSION_EXPECTED = {
    "clerk": 403, "reviewer": 403, "other_clerk": 404, "finance": 403, "office": 200,
    "expert": 404, "evaluator": 404, "auditor": 403, "anonymous": "login",
}


@pytest.mark.parametrize("role", ROLES)
def test_preassessment_list(client_for, city, pa, role):
    response = get(client_for, city, role, reverse("projects:preassessment_list"))
    assert_answer(response, "login" if role == "anonymous" else 200)
    if response.status_code == 200:
        assert (pa.project.name in page_text(response)) == (DETAIL_EXPECTED[role] == 200)


@pytest.mark.parametrize("role", ROLES)
def test_preassessment_detail(client_for, city, pa, role):
    assert_answer(get(client_for, city, role, pa.get_absolute_url()), DETAIL_EXPECTED[role])


@pytest.mark.parametrize("role", ROLES)
def test_preassessment_edit(client_for, city, pa, role):
    response = get(client_for, city, role, reverse("projects:preassessment_edit", args=[pa.pk]))
    assert_answer(response, EDIT_EXPECTED[role])
    if response.status_code == 403:
        assert "部门自行评估由项目单位填报" in page_text(response)


@pytest.mark.parametrize("role", ROLES)
def test_preassessment_commission(client_for, city, pa, role):
    response = get(client_for, city, role, reverse("projects:preassessment_commission", args=[pa.pk]))
    assert_answer(response, COMMISSION_EXPECTED[role])
    if response.status_code == 403:
        assert "只有财政绩效管理科可以委托" in page_text(response)


@pytest.mark.parametrize("role", ROLES)
def test_start_preassessment(client_for, city, project, role):
    response = client_for(None if role == "anonymous" else city.users()[role]).post(
        reverse("projects:preassessment_start", args=[project.pk]), follow=False
    )
    started = PreAssessment.objects.filter(project=project).exists()
    if role in ("clerk", "office"):
        assert response.status_code == 302 and started
    elif DETAIL_EXPECTED[role] == 404:
        assert response.status_code == 404 and not started
    elif role == "anonymous":
        assert_answer(response, "login")
    else:
        assert response.status_code == 302 and not started


def test_a_refused_start_says_why(client_for, city, project):
    response = client_for(city.reviewer).post(reverse("projects:preassessment_start", args=[project.pk]), follow=True)
    assert "事前绩效评估由项目单位发起或由财政绩效管理科委托" in page_text(response)


def test_buttons_follow_the_role(client_for, city, pa):
    clerk_page = page_text(client_for(city.clerk).get(pa.get_absolute_url()))
    assert "填写评估" in clerk_page and "提交审核" in clerk_page and "委托评估" not in clerk_page
    office_page = page_text(client_for(city.office).get(pa.get_absolute_url()))
    assert "委托评估" in office_page and "填写评估" not in office_page and "提交审核" not in office_page
    auditor_page = page_text(client_for(city.auditor).get(pa.get_absolute_url()))
    assert "当前没有您可办理的操作" in auditor_page


# --- filling ------------------------------------------------------------------------------------


def test_a_score_out_of_range_or_not_a_number_is_shown_on_its_row(client_for, city, pa):
    data = dimension_data()
    data["score_economy"] = "25"
    response = client_for(city.clerk).post(reverse("projects:preassessment_edit", args=[pa.pk]), data)
    assert response.status_code == 200
    assert "投入经济性的得分须在 0 到 20 之间" in page_text(response)
    assert not pa.scores.exclude(score=None).exists()  # nothing saved
    data["score_economy"] = "很好"
    response = client_for(city.clerk).post(reverse("projects:preassessment_edit", args=[pa.pk]), data)
    assert "投入经济性的得分须为数字" in page_text(response)


def test_a_partial_save_warns_what_is_still_missing(client_for, city, pa):
    data = dimension_data()
    data["score_financing"] = ""
    response = client_for(city.clerk).post(reverse("projects:preassessment_edit", args=[pa.pk]), data, follow=True)
    assert "提交前还须填写：筹资合规性" in page_text(response)
    assert pa.scores.exclude(score=None).count() == 4


def test_a_submitted_assessment_can_no_longer_be_edited(client_for, city, project):
    pa = f.PreAssessmentFactory(project=project, dimensions=True, status=PreAssessmentStatus.DEPT_REVIEW)
    response = client_for(city.clerk).post(reverse("projects:preassessment_edit", args=[pa.pk]), dimension_data("1"))
    assert response.status_code == 403 and "评估当前状态为“主管部门审核中”，不能修改" in page_text(response)
    assert not pa.scores.filter(score=1).exists()


# --- commissioning ------------------------------------------------------------------------------


def test_office_commissions_an_agency_whose_evaluator_then_fills_and_submits(client_for, city, pa):
    office = client_for(city.office)
    url = reverse("projects:preassessment_commission", args=[pa.pk])
    response = office.post(url, {"mode": PreAssessmentMode.AGENCY, "agency": city.agency.pk}, follow=True)
    assert "已设置评估方式：委托第三方机构" in page_text(response)
    evaluator = client_for(city.evaluator)
    assert evaluator.get(reverse("projects:preassessment_edit", args=[pa.pk])).status_code == 200
    assert client_for(city.clerk).get(reverse("projects:preassessment_edit", args=[pa.pk])).status_code == 403
    evaluator.post(reverse("projects:preassessment_edit", args=[pa.pk]), dimension_data())
    assert "已提交" in page_text(transition(evaluator, pa, "submit"))
    pa.refresh_from_db()
    assert pa.status == PreAssessmentStatus.FINANCE_REVIEW  # commissioned work goes straight to finance


def test_a_barred_agency_is_not_offered_and_is_refused(client_for, city, pa):
    barred = f.AgencyFactory(is_barred=True, barred_reason="出具虚假报告")
    url = reverse("projects:preassessment_commission", args=[pa.pk])
    page = client_for(city.office).get(url).content.decode()
    assert str(barred) not in page and str(city.agency) in page
    response = client_for(city.office).post(url, {"mode": PreAssessmentMode.AGENCY, "agency": barred.pk})
    assert response.status_code == 200 and "选择一个有效的选项" in page_text(response)
    pa.refresh_from_db()
    assert pa.mode == PreAssessmentMode.SELF


def test_an_expert_of_the_projects_department_must_recuse(client_for, city):
    project_b = f.ProjectFactory(fiscal_year=city.year, unit=city.unit_b1, is_new=True)
    pa = f.PreAssessmentFactory(project=project_b)
    url = reverse("projects:preassessment_commission", args=[pa.pk])
    response = client_for(city.office).post(url, {"mode": PreAssessmentMode.EXPERTS, "experts": [city.expert.pk]})
    assert response.status_code == 200 and "专家李专家来自项目主管部门，须回避" in page_text(response)
    assert not pa.experts.exists()
    response = client_for(city.office).post(url, {"mode": PreAssessmentMode.EXPERTS})
    assert "委托专家评审时须至少选择一名专家" in page_text(response)


# --- list ---------------------------------------------------------------------------------------


def test_list_filters_by_status_and_mode(client_for, city, pa):
    other = f.PreAssessmentFactory(
        project__fiscal_year=city.year, project__unit=city.unit_a2, project__name="第二中学项目",
        status=PreAssessmentStatus.FINANCE_REVIEW, mode=PreAssessmentMode.AGENCY, agency=city.agency,
    )
    client = client_for(city.office)
    text = page_text(client.get(reverse("projects:preassessment_list"), {"status": "finance_review"}))
    assert other.project.name in text and pa.project.name not in text
    text = page_text(client.get(reverse("projects:preassessment_list"), {"mode": "self"}))
    assert pa.project.name in text and other.project.name not in text


def _list_queries(client, city, n):
    for i in range(PreAssessment.objects.count(), n):
        pa = f.PreAssessmentFactory(
            project__fiscal_year=city.year, project__unit=city.unit_a1, dimensions=bool(i % 2),
            mode=PreAssessmentMode.AGENCY if i % 3 == 0 else PreAssessmentMode.SELF,
            agency=city.agency if i % 3 == 0 else None,
        )
        pa.experts.add(city.expert)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("projects:preassessment_list")).status_code == 200
    return len(queries)


def test_list_query_count_does_not_grow_with_rows(client_for, city):
    client = client_for(city.reviewer)
    client.get(reverse("projects:preassessment_list"))
    assert _list_queries(client, city, 10) == _list_queries(client, city, 60)
