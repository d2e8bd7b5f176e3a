"""我的待办 (issue 2 deliverable 7): the dashboard renders for every role with its counts."""

import pytest
from django.urls import reverse

from accounts.choices import Role

PERSONAS = ["clerk", "reviewer", "other_clerk", "finance", "office", "expert", "evaluator", "auditor"]


@pytest.mark.parametrize("persona", PERSONAS)
def test_dashboard_renders_for_every_role_with_its_label(city, client_for, persona):
    user = city.users()[persona]
    response = client_for(user).get(reverse("dashboard"))
    assert response.status_code == 200
    content = response.content.decode()
    assert "我的待办" in content
    assert Role(user.role).label in content
    for kind in ("待填报", "待审核", "被退回", "已逾期"):
        assert kind in content


def _group(response, kind: str) -> dict:
    return next(group for group in response.context["inbox_groups"] if group["kind"] == kind)


def test_a_clerk_with_a_returned_project_sees_it_under_returned(city, client_for, project):
    from projects.choices import ProjectStatus

    type(project).objects.filter(pk=project.pk).update(status=ProjectStatus.RETURNED)
    response = client_for(city.clerk).get(reverse("dashboard"))
    returned = _group(response, "returned")
    assert returned["count"] == 1
    assert [(item.label, item.count) for item in returned["items"]] == [("项目被退回", 1)]
    assert returned["items"][0].url in response.content.decode()
    # Scope: the same department's other unit and another department see nothing of it.
    for other in (city.clerk_a2, city.other_clerk):
        assert _group(client_for(other).get(reverse("dashboard")), "returned")["count"] == 0


def test_a_reviewer_sees_what_awaits_review(city, client_for, project):
    from projects.choices import ProjectStatus

    type(project).objects.filter(pk=project.pk).update(status=ProjectStatus.DEPT_REVIEW)
    assert _group(client_for(city.reviewer).get(reverse("dashboard")), "to_review")["count"] == 1
    assert _group(client_for(city.other_reviewer).get(reverse("dashboard")), "to_review")["count"] == 0


def test_nothing_to_do_shows_the_empty_state(city, client_for):
    content = client_for(city.finance).get(reverse("dashboard")).content.decode()
    assert "暂无待办事项" in content


def test_auditor_sees_the_read_only_note(city, client_for):
    assert "审计角色为只读" in client_for(city.auditor).get(reverse("dashboard")).content.decode()
    assert "审计角色为只读" not in client_for(city.office).get(reverse("dashboard")).content.decode()


def test_dashboard_shows_unread_notices_and_the_current_year(city, client_for):
    from notifications.models import Notice

    Notice.objects.create(recipient=city.clerk, message="test", title="事前评估即将到期", url="/projects/")
    Notice.objects.create(recipient=city.clerk, message="test", title="已读的通知", read_at="2026-01-01T00:00+08:00")
    Notice.objects.create(recipient=city.reviewer, message="test", title="别人的通知")
    response = client_for(city.clerk).get(reverse("dashboard"))
    assert [n.title for n in response.context["notices"]] == ["事前评估即将到期"]
    content = response.content.decode()
    assert "别人的通知" not in content and "已读的通知" not in content
    assert "2026 年度" in content


def test_dashboard_query_count_does_not_grow_with_rows(city, client_for, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from notifications.models import Notice

    from . import factories as f

    client = client_for(city.clerk)

    def queries(rows):
        for _ in range(rows):
            f.ProjectFactory(fiscal_year=city.year, unit=city.unit_a1)
            Notice.objects.create(recipient=city.clerk, message="test", title="提醒")
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("dashboard")).status_code == 200
        return len(captured)

    assert queries(1) == queries(30)
    # session ×3, user, roles, organisation, inbox aggregates (projects and pre-assessments, target
    # sheets, monitoring reports and rectifications), notices, fiscal year, unread count…
    with django_assert_max_num_queries(16):
        assert client.get(reverse("dashboard")).status_code == 200
