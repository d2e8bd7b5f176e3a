"""Project library pages (DESIGN §2.1) for every persona: allowed, forbidden (403 with the reason),
out of scope (404); forms that turn bad input into messages; a list whose query count does not
grow with its rows; the “我的待办” counts."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.choices import Role
from projects.choices import PreAssessmentMode, PreAssessmentStatus, ProjectStatus
from projects.models import Project
from workflow.inbox import inbox_for
from workflow.models import AuditEvent

from . import factories as f

ROLES = ["clerk", "reviewer", "other_clerk", "finance", "office", "expert", "evaluator", "auditor", "anonymous"]


def user_of(city, role):
    return None if role == "anonymous" else city.users()[role]


def get(client_for, city, role, url):
    return client_for(user_of(city, role)).get(url)


def assert_answer(response, expected):
    """``expected``: 200, 403, 404, or "login" (anonymous is sent to the login page)."""
    if expected == "login":
        assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:login"))
    else:
        assert response.status_code == expected, response.content.decode()[:500]


def project_form_data(city, **overrides):
    data = {
        "fiscal_year": city.year.pk,
        "code": "XM-NEW-001",
        "name": "智慧校园建设项目",
        "unit": city.unit_a1.pk,
        "responsible_person": "王老师",
        "responsible_phone": "0791-1234567",
        "budget_wan": "600",
        "funding_source": "本级财政",
        "period_start": "2026-01-01",
        "period_end": "2026-12-31",
        "budget_type": "general_public",
        "kind": "project",
        "is_new": "on",
        "description": "建设覆盖全校的智慧教学环境。",
    }
    data.update(overrides)
    return data


# --- who sees what ------------------------------------------------------------------------------

LIST_EXPECTED = dict.fromkeys(ROLES, 200) | {"anonymous": "login"}
# The project belongs to unit_a1 of dept_a; the expert and the agency were not assigned it.
DETAIL_EXPECTED = {
    "clerk": 200, "reviewer": 200, "other_clerk": 404, "finance": 200, "office": 200,
    "expert": 404, "evaluator": 404, "auditor": 200, "anonymous": "login",
}
CREATE_EXPECTED = {
    "clerk": 200, "reviewer": 403, "other_clerk": 200, "finance": 403, "office": 403,
    "expert": 403, "evaluator": 403, "auditor": 403, "anonymous": "login",
}
EDIT_EXPECTED = {
    "clerk": 200, "reviewer": 403, "other_clerk": 404, "finance": 403, "office": 403,
    "expert": 404, "evaluator": 404, "auditor": 403, "anonymous": "login",
}


@pytest.mark.parametrize("role", ROLES)
def test_project_list(client_for, city, project, role):
    response = get(client_for, city, role, reverse("projects:project_list"))
    assert_answer(response, LIST_EXPECTED[role])
    if response.status_code == 200:
        shown = project.name in response.content.decode()
        assert shown == (DETAIL_EXPECTED[role] == 200)


@pytest.mark.parametrize("role", ROLES)
def test_project_detail(client_for, city, project, role):
    assert_answer(get(client_for, city, role, project.get_absolute_url()), DETAIL_EXPECTED[role])


@pytest.mark.parametrize("role", ROLES)
def test_project_create_page(client_for, city, role):
    response = get(client_for, city, role, reverse("projects:project_create"))
    assert_answer(response, CREATE_EXPECTED[role])
    if response.status_code == 403:
        assert "只有单位填报人可以新建项目" in response.content.decode()


@pytest.mark.parametrize("role", ROLES)
def test_project_edit_page(client_for, city, project, role):
    response = get(client_for, city, role, reverse("projects:project_edit", args=[project.pk]))
    assert_answer(response, EDIT_EXPECTED[role])
    if response.status_code == 403:
        assert "只有单位填报人可以修改项目" in response.content.decode()


def test_an_assigned_expert_and_agency_see_the_project(client_for, city, project):
    pa = f.PreAssessmentFactory(project=project, mode=PreAssessmentMode.AGENCY, agency=city.agency)
    assert client_for(city.evaluator).get(project.get_absolute_url()).status_code == 200
    assert client_for(city.expert_user).get(project.get_absolute_url()).status_code == 404
    pa.experts.add(city.expert)
    assert client_for(city.expert_user).get(project.get_absolute_url()).status_code == 200


def test_a_project_under_review_cannot_be_edited_and_the_page_says_why(client_for, city, project):
    Project.objects.filter(pk=project.pk).update(status=ProjectStatus.DEPT_REVIEW)
    response = client_for(city.clerk).get(reverse("projects:project_edit", args=[project.pk]))
    assert response.status_code == 403
    assert "项目当前状态为“主管部门审核中”，不能修改" in response.content.decode()
    assert AuditEvent.objects.filter(kind="permission_denied", object_id=str(project.pk)).exists()


def test_the_detail_page_shows_money_in_wan_flags_and_the_gate(client_for, city, project):
    Project.objects.filter(pk=project.pk).update(
        is_major=True, period_end="2028-06-30", budget_amount=Decimal("6123456.78")
    )
    page = client_for(city.clerk).get(project.get_absolute_url()).content.decode()
    assert "612.35 万元" in page and "6,123,456.78 元" in page
    assert "重大" in page and "全周期跟踪" in page
    assert "须先完成事前绩效评估" in page  # the gate's reason, before the clerk clicks anything
    assert "发起事前绩效评估" in page and "申报" in page


# --- create and edit ----------------------------------------------------------------------------


def test_clerk_creates_a_project_in_wan_stored_exactly_in_yuan(client_for, city):
    response = client_for(city.clerk).post(
        reverse("projects:project_create"), project_form_data(city, budget_wan="600.123456")
    )
    project = Project.objects.get(code="XM-NEW-001")
    assert response.status_code == 302 and response["Location"] == project.get_absolute_url()
    assert project.budget_amount == Decimal("6001234.56")
    assert project.department == city.dept_a and project.unit == city.unit_a1
    assert project.status == ProjectStatus.DRAFT and project.created_by == city.clerk
    assert AuditEvent.objects.filter(kind="create", object_type="projects.project", object_id=str(project.pk)).exists()


@pytest.mark.parametrize(
    "overrides, field_message",
    [
        ({"budget_wan": "六百万"}, "输入一个数字"),
        ({"budget_wan": "0"}, "大于或等于0.01"),
        ({"period_start": "2026-12-31", "period_end": "2026-01-01"}, "实施期止不能早于实施期起"),
        ({"responsible_person": "   "}, "项目责任人"),
        ({"period_start": "2026-02-30"}, "有效的日期"),
    ],
)
def test_bad_input_gives_form_errors_and_writes_nothing(client_for, city, overrides, field_message):
    response = client_for(city.clerk).post(reverse("projects:project_create"), project_form_data(city, **overrides))
    assert response.status_code == 200
    assert field_message in response.content.decode()
    assert not Project.objects.filter(code="XM-NEW-001").exists()


def test_a_unit_of_another_department_is_not_a_choice(client_for, city):
    response = client_for(city.clerk).post(
        reverse("projects:project_create"), project_form_data(city, unit=city.unit_b1.pk)
    )
    assert response.status_code == 200
    assert "选择一个有效的选项" in response.content.decode()
    assert not Project.objects.exists()


def test_a_duplicate_code_in_the_same_year_is_a_form_error(client_for, city, project):
    response = client_for(city.clerk).post(
        reverse("projects:project_create"), project_form_data(city, code=project.code)
    )
    assert response.status_code == 200
    assert "本年度已有相同编码的项目" in response.content.decode()
    assert Project.objects.filter(code=project.code).count() == 1


def test_clerk_edits_her_project_and_the_audit_keeps_before_and_after(client_for, city, project):
    Project.objects.filter(pk=project.pk).update(created_by=city.clerk)
    data = project_form_data(city, code=project.code, name="改过的名称", budget_wan="650")
    response = client_for(city.clerk).post(reverse("projects:project_edit", args=[project.pk]), data)
    assert response.status_code == 302
    project.refresh_from_db()
    assert project.name == "改过的名称" and project.budget_amount == Decimal("6500000")
    event = AuditEvent.objects.filter(kind="update", object_type="projects.project").latest("id")
    assert event.before["budget_amount"] == "6000000.00" and event.after["budget_amount"] == "6500000.00"


def test_the_edit_form_shows_the_amount_in_wan(client_for, city, project):
    page = client_for(city.clerk).get(reverse("projects:project_edit", args=[project.pk])).content.decode()
    assert 'name="budget_wan" value="600"' in page


def test_other_clerk_cannot_post_to_a_project_out_of_scope(client_for, city, project):
    response = client_for(city.other_clerk).post(
        reverse("projects:project_edit", args=[project.pk]), project_form_data(city, code=project.code)
    )
    assert response.status_code == 404


# --- key projects and transitions ---------------------------------------------------------------


def test_office_marks_a_key_project_and_a_clerk_cannot(client_for, city, project):
    url = reverse("projects:project_set_key", args=[project.pk])
    page = client_for(city.office).get(project.get_absolute_url()).content.decode()
    assert "设为重点" in page
    assert client_for(city.office).post(url, {"is_key": "1"}).status_code == 302
    project.refresh_from_db()
    assert project.is_key
    assert "取消重点" in client_for(city.office).get(project.get_absolute_url()).content.decode()
    response = client_for(city.clerk).post(url, {"is_key": "0"})
    assert response.status_code == 403 and "重点项目由财政绩效管理科确定" in response.content.decode()
    project.refresh_from_db()
    assert project.is_key


def test_submitting_before_the_preassessment_is_refused_with_the_reason(client_for, city, project):
    client = client_for(city.clerk)
    response = client.post(reverse("projects:project_transition", args=[project.pk, "submit"]), follow=True)
    assert "须先完成事前绩效评估" in response.content.decode()
    project.refresh_from_db()
    assert project.status == ProjectStatus.DRAFT


def test_a_project_without_preassessment_need_is_submitted_and_approved(client_for, city):
    project = f.ProjectFactory(fiscal_year=city.year, unit=city.unit_a1, is_new=False)
    response = client_for(city.clerk).post(
        reverse("projects:project_transition", args=[project.pk, "submit"]), follow=True
    )
    assert "已提交" in response.content.decode()
    response = client_for(city.reviewer).post(
        reverse("projects:project_transition", args=[project.pk, "approve"]), {"opinion": "同意入库"}, follow=True
    )
    assert "已通过" in response.content.decode()
    project.refresh_from_db()
    assert project.status == ProjectStatus.IN_LIBRARY


def test_transitions_are_post_only_and_scoped(client_for, city, project):
    url = reverse("projects:project_transition", args=[project.pk, "submit"])
    assert client_for(city.clerk).get(url).status_code == 405
    assert client_for(city.other_clerk).post(url).status_code == 404
    assert client_for(city.evaluator).post(url).status_code == 404


def test_a_wrong_role_transition_shows_the_message_and_changes_nothing(client_for, city):
    project = f.ProjectFactory(fiscal_year=city.year, unit=city.unit_a1, is_new=False)
    response = client_for(city.auditor).post(
        reverse("projects:project_transition", args=[project.pk, "submit"]), follow=True
    )
    assert "您的角色不能执行“申报”" in response.content.decode()
    project.refresh_from_db()
    assert project.status == ProjectStatus.DRAFT


def test_an_htmx_refusal_returns_the_action_panel_with_the_message_and_the_opinion(client_for, city):
    project = f.ProjectFactory(fiscal_year=city.year, unit=city.unit_a1, is_new=False, status=ProjectStatus.DEPT_REVIEW)
    response = client_for(city.reviewer).post(
        reverse("projects:project_transition", args=[project.pk, "return"]), {"opinion": "  "}, HTTP_HX_REQUEST="true"
    )
    page = response.content.decode()
    assert response.status_code == 200 and 'id="workflow-actions"' in page and "<html" not in page
    assert "“退回”须填写意见" in page
    response = client_for(city.reviewer).post(
        reverse("projects:project_transition", args=[project.pk, "return"]), {"opinion": "补充预算测算"},
        HTTP_HX_REQUEST="true",
    )
    assert response["HX-Redirect"] == project.get_absolute_url()
    project.refresh_from_db()
    assert project.status == ProjectStatus.RETURNED


# --- list: filters, pagination, query count ----------------------------------------------------


def test_list_filters_search_and_paginates(client_for, city):
    for n in range(30):
        f.ProjectFactory(fiscal_year=city.year, unit=city.unit_a1, name=f"校舍维修{n:02d}", code=f"JX{n:03d}")
    f.ProjectFactory(fiscal_year=city.year, unit=city.unit_a2, name="食堂改造", code="ST001", is_major=True)
    client = client_for(city.reviewer)
    page = client.get(reverse("projects:project_list")).content.decode()
    assert "共 31 条" in page and "第 1 / 2 页" in page
    # Ordered by code: page 2 holds JX025–JX029 and ST001.
    page = client.get(reverse("projects:project_list"), {"page": 2}).content.decode()
    assert "食堂改造" in page and "校舍维修25" in page and "校舍维修00" not in page
    page = client.get(reverse("projects:project_list"), {"q": "食堂"}).content.decode()
    assert "食堂改造" in page and "校舍维修" not in page and "共 1 条" in page
    page = client.get(reverse("projects:project_list"), {"is_major": "true"}).content.decode()
    assert "食堂改造" in page and "校舍维修" not in page
    # Export keeps the current filter.
    assert reverse("projects:project_export") + "?is_major=true" in page


def test_only_unit_staff_see_the_new_project_button(client_for, city):
    assert "新建项目" in client_for(city.clerk).get(reverse("projects:project_list")).content.decode()
    assert "新建项目" not in client_for(city.office).get(reverse("projects:project_list")).content.decode()


def _list_queries(client, n_projects, city):
    existing = Project.objects.count()
    for i in range(existing, n_projects):
        p = f.ProjectFactory(fiscal_year=city.year, unit=city.unit_a1 if i % 2 else city.unit_a2, is_new=True)
        if i % 3 == 0:
            f.PreAssessmentFactory(project=p, status=PreAssessmentStatus.CONCLUDED, conclusion="support")
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("projects:project_list"))
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize("role", ["clerk", "reviewer", "office"])
def test_list_query_count_does_not_grow_with_rows(client_for, city, role):
    client = client_for(city.users()[role])
    client.get(reverse("projects:project_list"))  # warm the session and content types
    small = _list_queries(client, 10, city)
    large = _list_queries(client, 200, city)
    assert small == large


# --- the dashboard providers ------------------------------------------------------------------


def _items(user):
    return {item.label: item for item in inbox_for(user)}


def test_inbox_counts_for_each_role(city, project):
    f.ProjectFactory(fiscal_year=city.year, unit=city.unit_a1, status=ProjectStatus.RETURNED)
    f.ProjectFactory(fiscal_year=city.year, unit=city.unit_b1)  # another department's draft
    under_review = f.ProjectFactory(fiscal_year=city.year, unit=city.unit_a2, status=ProjectStatus.DEPT_REVIEW)
    f.PreAssessmentFactory(project=project, status=PreAssessmentStatus.RETURNED)
    f.PreAssessmentFactory(project=under_review, status=PreAssessmentStatus.DEPT_REVIEW)
    commissioned = f.PreAssessmentFactory(
        project__fiscal_year=city.year, project__unit=city.unit_b1, mode=PreAssessmentMode.AGENCY, agency=city.agency
    )
    f.PreAssessmentFactory(
        project__fiscal_year=city.year, project__unit=city.unit_b1, status=PreAssessmentStatus.FINANCE_REVIEW
    )

    clerk = _items(city.clerk)
    assert clerk["项目待填报"].count == 1 and clerk["项目被退回"].count == 1
    assert clerk["事前绩效评估被退回"].count == 1
    assert clerk["项目被退回"].url == reverse("projects:project_list") + "?status=returned"
    reviewer = _items(city.reviewer)
    assert reviewer["项目待审核"].count == 1 and reviewer["事前绩效评估待审核"].count == 1
    assert _items(city.office)["事前绩效评估待出具结论"].count == 1
    assert _items(city.evaluator)["受托事前绩效评估待填报"].count == 1
    assert "受托事前绩效评估待填报" not in _items(city.expert_user)
    commissioned.experts.add(city.expert)
    assert _items(city.expert_user)["受托事前绩效评估待填报"].count == 1
    assert not any(label.startswith(("项目", "事前", "受托")) for label in _items(city.auditor))


def _inbox_queries(user) -> int:
    fresh = type(user).objects.get(pk=user.pk)  # no cached roles or organisation
    with CaptureQueriesContext(connection) as queries:
        inbox_for(fresh)
    return len(queries)


@pytest.mark.parametrize("role", ["clerk", "reviewer", "office", "evaluator"])
def test_inbox_query_count_does_not_grow_with_rows(city, role):
    user = city.users()[role]
    before = _inbox_queries(user)
    for unit in (city.unit_a1, city.unit_a2, city.unit_b1) * 5:
        project = f.ProjectFactory(fiscal_year=city.year, unit=unit, status=ProjectStatus.DEPT_REVIEW)
        f.PreAssessmentFactory(project=project, status=PreAssessmentStatus.DEPT_REVIEW)
        f.PreAssessmentFactory(
            project__fiscal_year=city.year, project__unit=unit, mode=PreAssessmentMode.AGENCY, agency=city.agency
        )
    assert _inbox_queries(user) == before


def test_the_inbox_link_lists_exactly_the_counted_rows(client_for, city, project):
    f.ProjectFactory(fiscal_year=city.year, unit=city.unit_a1, status=ProjectStatus.RETURNED, name="被退回的项目")
    item = _items(city.clerk)["项目被退回"]
    page = client_for(city.clerk).get(item.url).content.decode()
    assert "被退回的项目" in page and project.name not in page


def test_roles_constant_covers_every_role(city):
    # The matrices above name each persona; a new role must be added to them.
    assert {u.role for u in city.users().values()} == set(Role.values)


def test_bad_filter_input_is_shown_not_a_500(client_for, city, project):
    response = client_for(city.office).get(reverse("projects:project_list"), {"amount_min": "很多", "page": "abc"})
    assert response.status_code == 200
    assert "输入一个数字" in response.content.decode()


def test_a_hidden_api_filter_still_applies_on_the_page(client_for, city, project):
    response = client_for(city.office).get(reverse("projects:project_list"), {"year": "2025"})
    assert project.name not in response.content.decode()


ADMIN_MODELS = ["fiscalyear", "project", "preassessment", "calendaryear", "calendarday", "attachment"]


@pytest.mark.parametrize("model", ADMIN_MODELS)
def test_admin_pages_of_the_project_models_open(client_for, city, project, model):
    admin = f.UserFactory(username="root", is_staff=True, is_superuser=True)
    f.PreAssessmentFactory(project=project)
    client = client_for(admin)
    assert client.get(reverse(f"admin:projects_{model}_changelist")).status_code == 200
    if model == "preassessment":
        page = client.get(reverse("admin:projects_preassessment_change", args=[project.preassessment.pk]))
        assert page.status_code == 200 and "评估维度得分" in page.content.decode()
    if model == "attachment":
        assert client.get(reverse("admin:projects_attachment_add")).status_code == 403  # read-only


def test_a_citywide_unit_filter_offers_the_chosen_departments_units_only(client_for, city):
    for n in range(61):
        f.OrganizationFactory(name=f"卫健单位{n}", parent=city.dept_b)
    client = client_for(city.finance)
    page = client.get(reverse("projects:project_list")).content.decode()
    assert "请先选择主管部门" in page and "卫健单位7" not in page
    page = client.get(reverse("projects:project_list"), {"department": city.dept_a.pk}).content.decode()
    assert "示例市第一中学" in page and "卫健单位7" not in page
    page = client.get(reverse("projects:project_list"), {"department": city.dept_b.pk}).content.decode()
    assert "卫健单位7" in page and "示例市第一中学" not in page
