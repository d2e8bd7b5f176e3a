"""Accounts pages (issue 2 deliverable 3): login, navigation by role, the expert and agency pools,
the organisation tree, enabling/disabling accounts — each page × every role."""

import pytest
from django.urls import reverse

from accounts.choices import AgencyQualification, OrganizationKind
from accounts.models import Agency, Expert, Organization
from workflow.models import AuditEvent

from . import factories as f

PERSONAS = ["clerk", "reviewer", "other_clerk", "finance", "office", "expert", "evaluator", "auditor"]
POOL_READERS = {"finance", "office", "auditor"}


# --- Login and logout -----------------------------------------------------------------------


def test_login_page_is_chinese_and_logs_in(city, client):
    page = client.get(reverse("accounts:login"))
    assert page.status_code == 200
    assert "示例市 绩效通" in page.content.decode() and "用户名" in page.content.decode()
    response = client.post(reverse("accounts:login"), {"username": "clerk", "password": f.PASSWORD})
    assert response.status_code == 302 and response.url == reverse("dashboard")
    assert client.get(reverse("dashboard")).status_code == 200


def test_wrong_password_shows_a_chinese_message(city, client):
    response = client.post(reverse("accounts:login"), {"username": "clerk", "password": "nope"})
    assert response.status_code == 200
    assert "用户名或密码错误" in response.content.decode()


def test_login_follows_next(city, client):
    target = reverse("accounts:organization_tree")
    response = client.post(
        f"{reverse('accounts:login')}?next={target}",
        {"username": "clerk", "password": f.PASSWORD, "next": target},
    )
    assert response.url == target


def test_logout_is_a_post(city, client_for):
    client = client_for(city.clerk)
    assert client.get(reverse("accounts:logout")).status_code == 405
    response = client.post(reverse("accounts:logout"))
    assert response.status_code == 302 and response.url == reverse("accounts:login")
    assert client.get(reverse("dashboard")).status_code == 302
    assert AuditEvent.objects.filter(kind="logout", username="clerk").exists()


# --- Navigation by role -----------------------------------------------------------------------


def _nav_labels(response) -> list[str]:
    return [item["label"] for item in response.context["nav_items"]]


@pytest.mark.parametrize(
    ("persona", "shown", "hidden"),
    [
        ("clerk", {"我的待办", "组织机构", "通知"}, {"专家库", "第三方机构库", "审计日志", "预算年度"}),
        ("reviewer", {"我的待办"}, {"专家库", "审计日志"}),
        ("finance", {"专家库", "第三方机构库"}, {"审计日志"}),
        ("office", {"专家库", "第三方机构库", "审计日志"}, set()),
        ("auditor", {"专家库", "审计日志"}, set()),
        ("expert", {"我的待办"}, {"专家库", "审计日志", "组织机构"}),
        ("evaluator", {"我的待办"}, {"第三方机构库", "审计日志", "组织机构"}),
    ],
)
def test_navigation_follows_the_role(city, client_for, persona, shown, hidden):
    labels = set(_nav_labels(client_for(city.users()[persona]).get(reverse("dashboard"))))
    assert shown <= labels
    assert not hidden & labels


def test_the_current_page_is_marked_active(city, client_for):
    response = client_for(city.office).get(reverse("accounts:expert_list"))
    active = [item["label"] for item in response.context["nav_items"] if item["active"]]
    assert active == ["专家库"]


# --- Expert and agency pools: who may read, who may write ---------------------------------------


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("url_name", ["accounts:expert_list", "accounts:agency_list"])
def test_pool_lists_by_role(city, client_for, persona, url_name):
    response = client_for(city.users()[persona]).get(reverse(url_name))
    if persona in POOL_READERS:
        assert response.status_code == 200
    else:
        assert response.status_code == 403
        assert "仅限财政部门和审计人员查看" in response.content.decode()


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("url_name", ["accounts:expert_create", "accounts:agency_create"])
def test_only_the_performance_office_opens_the_pool_forms(city, client_for, persona, url_name):
    response = client_for(city.users()[persona]).get(reverse(url_name))
    assert response.status_code == (200 if persona == "office" else 403)


def test_only_the_office_sees_edit_buttons(city, client_for):
    edit = reverse("accounts:expert_update", args=[city.expert.pk])
    assert edit in client_for(city.office).get(reverse("accounts:expert_list")).content.decode()
    assert edit not in client_for(city.auditor).get(reverse("accounts:expert_list")).content.decode()


def test_expert_list_searches(city, client_for):
    f.ExpertFactory(name="王会计", fields="会计、审计")
    client = client_for(city.finance)
    names = [e.name for e in client.get(reverse("accounts:expert_list"), {"q": "审计"}).context["object_list"]]
    assert names == ["王会计"]
    inactive = client.get(reverse("accounts:expert_list"), {"status": "0"}).context["object_list"]
    assert list(inactive) == []


def test_office_creates_and_edits_an_expert_with_audit(city, client_for):
    client = client_for(city.office)
    response = client.post(
        reverse("accounts:expert_create"),
        {"name": "赵教授", "fields": "教育、财政", "title": "教授", "own_department": city.dept_a.pk,
         "is_active": "on"},
    )
    assert response.status_code == 302
    expert = Expert.objects.get(name="赵教授")
    assert expert.own_department == city.dept_a
    created = AuditEvent.objects.get(kind="create", object_type="accounts.expert", object_id=str(expert.pk))
    assert created.username == "office" and created.after["name"] == "赵教授"

    response = client.post(
        reverse("accounts:expert_update", args=[expert.pk]),
        {"name": "赵教授", "fields": "教育", "title": "教授", "own_department": city.dept_a.pk},
    )
    assert response.status_code == 302
    expert.refresh_from_db()
    assert expert.fields == "教育" and not expert.is_active
    updated = AuditEvent.objects.get(kind="update", object_type="accounts.expert", object_id=str(expert.pk))
    assert updated.before["fields"] == "教育、财政" and updated.after["is_active"] is False


def test_non_office_cannot_post_to_the_pools(city, client_for):
    response = client_for(city.finance).post(reverse("accounts:expert_create"), {"name": "x", "fields": "y"})
    assert response.status_code == 403
    assert not Expert.objects.filter(name="x").exists()
    assert AuditEvent.objects.filter(kind="permission_denied", username="finance").exists()


def test_expert_form_errors_are_shown_not_500(city, client_for):
    response = client_for(city.office).post(reverse("accounts:expert_create"), {"name": "", "fields": ""})
    assert response.status_code == 200
    assert response.context["form"].errors
    assert client_for(city.office).get(reverse("accounts:expert_update", args=[99999])).status_code == 404


AGENCY_DATA = {
    "name": "示例第二评估所",
    "code": "AG02",
    "qualification": AgencyQualification.GRADE_B,
    "credit_code": "91360100MA99999999",
}


def test_office_creates_an_agency_with_its_organisation(city, client_for):
    response = client_for(city.office).post(reverse("accounts:agency_create"), AGENCY_DATA)
    assert response.status_code == 302
    agency = Agency.objects.get(credit_code=AGENCY_DATA["credit_code"])
    assert agency.organization.name == "示例第二评估所" and agency.organization.kind == OrganizationKind.AGENCY
    assert AuditEvent.objects.filter(kind="create", object_type="accounts.agency", object_id=str(agency.pk)).exists()
    assert AuditEvent.objects.filter(kind="create", object_type="accounts.organization").exists()


def test_barring_an_agency_needs_a_reason(city, client_for):
    client = client_for(city.office)
    url = reverse("accounts:agency_update", args=[city.agency.pk])
    data = {**AGENCY_DATA, "name": city.agency.organization.name, "code": city.agency.organization.code,
            "credit_code": city.agency.credit_code, "is_barred": "on", "barred_reason": ""}
    response = client.post(url, data)
    assert response.status_code == 200
    assert "禁入第三方机构须填写禁入原因" in response.content.decode()
    city.agency.refresh_from_db()
    assert not city.agency.is_barred

    response = client.post(url, {**data, "barred_reason": "2025 年评价报告弄虚作假"})
    assert response.status_code == 302
    city.agency.refresh_from_db()
    assert city.agency.is_barred and city.agency.barred_reason.startswith("2025")
    event = AuditEvent.objects.get(kind="update", object_type="accounts.agency")
    assert event.before["is_barred"] is False and event.after["is_barred"] is True
    listing = client.get(reverse("accounts:agency_list"), {"status": "1"})
    assert [a.pk for a in listing.context["object_list"]] == [city.agency.pk]


def test_duplicate_agency_code_is_a_form_error(city, client_for):
    response = client_for(city.office).post(reverse("accounts:agency_create"), {**AGENCY_DATA, "code": "JYJ"})
    assert response.status_code == 200
    assert "该机构编码已被使用" in response.content.decode()


def test_the_service_refuses_a_barred_agency_without_reason(city):
    from django.core.exceptions import ValidationError

    from accounts.services import save_agency

    city.agency.is_barred = True
    with pytest.raises(ValidationError, match="禁入原因"):
        save_agency(city.agency, city.office, name="x", code="y")


def test_services_refuse_other_roles(city):
    from django.core.exceptions import PermissionDenied

    from accounts.services import save_expert, set_user_active

    with pytest.raises(PermissionDenied):
        save_expert(Expert(name="x", fields="y"), city.finance)
    with pytest.raises(PermissionDenied):
        set_user_active(city.clerk.pk, False, city.auditor)


# --- Organisation tree ------------------------------------------------------------------------


def _org_names(response) -> set[str]:
    return {org.name for org in response.context["organizations"]}


def test_organization_tree_is_scoped(city, client_for):
    clerk_view = _org_names(client_for(city.clerk).get(reverse("accounts:organization_tree")))
    assert clerk_view == {"示例市第一中学"}
    reviewer_view = _org_names(client_for(city.reviewer).get(reverse("accounts:organization_tree")))
    assert reviewer_view == {"示例市教育局", "示例市第一中学", "示例市第二中学"}
    finance_view = _org_names(client_for(city.finance).get(reverse("accounts:organization_tree")))
    assert finance_view == set(Organization.objects.values_list("name", flat=True))


def test_organization_detail_out_of_scope_is_404(city, client_for):
    client = client_for(city.clerk)
    assert client.get(reverse("accounts:organization_detail", args=[city.unit_a1.pk])).status_code == 200
    assert client.get(reverse("accounts:organization_detail", args=[city.unit_b1.pk])).status_code == 404
    assert client.get(reverse("accounts:organization_detail", args=[city.dept_a.pk])).status_code == 404


def test_organization_tree_search(city, client_for):
    response = client_for(city.office).get(reverse("accounts:organization_tree"), {"q": "中学"})
    assert _org_names(response) == {"示例市第一中学", "示例市第二中学"}


# --- Enabling and disabling accounts ------------------------------------------------------------


def test_office_disables_an_account_and_its_session_ends(city, client_for):
    clerk_client = client_for(city.clerk)
    assert clerk_client.get(reverse("dashboard")).status_code == 200
    response = client_for(city.office).post(
        reverse("accounts:user_set_active", args=[city.clerk.pk]), {"active": "0"}
    )
    assert response.status_code == 302
    city.clerk.refresh_from_db()
    assert not city.clerk.is_active
    assert clerk_client.get(reverse("dashboard")).status_code == 302
    event = AuditEvent.objects.get(kind="update", object_type="accounts.user", object_id=str(city.clerk.pk))
    assert event.before == {"is_active": True} and event.after == {"is_active": False}


@pytest.mark.parametrize("persona", ["clerk", "reviewer", "finance", "auditor"])
def test_only_the_office_disables_accounts(city, client_for, persona):
    response = client_for(city.users()[persona]).post(
        reverse("accounts:user_set_active", args=[city.clerk_a2.pk]), {"active": "0"}
    )
    assert response.status_code == 403
    city.clerk_a2.refresh_from_db()
    assert city.clerk_a2.is_active


def test_office_cannot_disable_itself(city, client_for):
    client = client_for(city.office)
    response = client.post(reverse("accounts:user_set_active", args=[city.office.pk]), {"active": "0"}, follow=True)
    assert "不能停用自己的账号" in response.content.decode()
    city.office.refresh_from_db()
    assert city.office.is_active
