"""The audit trail (issue 2 deliverable 4): what is recorded, that it cannot be changed — by the
app, the admin or (on PostgreSQL) the database — and who may browse and export it."""

import csv
import datetime
import io

import pytest
from django.contrib.admin.sites import site as admin_site
from django.db import connection, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from workflow.audit import AuditEventKind, record_event
from workflow.models import AppendOnlyError, AuditEvent
from workflow.services import perform_transition

from . import factories as f

PERSONAS = ["clerk", "reviewer", "other_clerk", "finance", "office", "expert", "evaluator", "auditor"]
AUDIT_READERS = {"office", "auditor"}

needs_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs PostgreSQL (CI sets DATABASE_URL)"
)


# --- What is recorded ---------------------------------------------------------------------------


def test_a_transition_is_recorded_with_before_and_after(city, project):
    pa = f.PreAssessmentFactory(project=project, dimensions=True)
    perform_transition(pa, "submit", city.clerk)
    event = AuditEvent.objects.get(kind=AuditEventKind.TRANSITION, object_id=str(pa.pk))
    assert event.username == "clerk" and event.role == "unit_staff" and event.success
    assert event.before == {"status": "draft"} and event.after["status"] != "draft"
    assert event.object_type == "projects.preassessment"


def test_a_create_is_recorded(city, client_for):
    client_for(city.office).post(reverse("accounts:expert_create"), {"name": "钱专家", "fields": "农业"})
    event = AuditEvent.objects.get(kind=AuditEventKind.CREATE, object_type="accounts.expert")
    assert event.object_repr == "钱专家" and event.username == "office"


def test_login_and_login_failure_are_recorded_with_the_address(city):
    client = Client()
    client.post(reverse("accounts:login"), {"username": "clerk", "password": "wrong"}, REMOTE_ADDR="10.1.2.3")
    client.post(reverse("accounts:login"), {"username": "clerk", "password": f.PASSWORD}, REMOTE_ADDR="10.1.2.3")
    failed = AuditEvent.objects.get(kind=AuditEventKind.LOGIN_FAILED)
    assert failed.username == "clerk" and not failed.success and failed.ip == "10.1.2.3"
    login = AuditEvent.objects.get(kind=AuditEventKind.LOGIN)
    assert login.user_id == city.clerk.pk and login.success and login.ip == "10.1.2.3"


def test_a_refused_page_is_recorded(city, client_for):
    response = client_for(city.clerk).get(reverse("workflow:audit_list"), REMOTE_ADDR="10.9.9.9")
    assert response.status_code == 403
    assert "审计日志仅限审计人员和财政绩效管理科查看" in response.content.decode()
    event = AuditEvent.objects.get(kind=AuditEventKind.PERMISSION_DENIED)
    assert event.username == "clerk" and not event.success and event.ip == "10.9.9.9"
    assert "/audit/" in event.message


def test_event_times_are_aware_and_shown_in_shanghai_time(city, client_for):
    event = record_event(AuditEventKind.LOGIN, user=city.clerk, message="t")
    assert timezone.is_aware(event.at)
    page = client_for(city.auditor).get(reverse("workflow:audit_list"))
    expected = timezone.localtime(event.at).isoformat(sep=" ", timespec="seconds")
    assert expected.endswith("+08:00")
    assert expected in page.content.decode()


# --- It cannot be changed -------------------------------------------------------------------------


def test_an_event_cannot_be_saved_again_or_deleted(city):
    event = record_event(AuditEventKind.LOGIN, user=city.clerk)
    event.message = "篡改"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=event.pk).update(message="篡改")
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.all().delete()
    event = AuditEvent.objects.get(pk=event.pk)
    assert event.message == ""


def test_the_admin_cannot_change_or_delete_events(city, rf):
    superuser = f.UserFactory(username="root", is_staff=True, is_superuser=True)
    event = record_event(AuditEventKind.LOGIN, user=city.clerk)
    model_admin = admin_site._registry[AuditEvent]
    request = rf.get("/")
    request.user = superuser
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request, event)
    assert not model_admin.has_delete_permission(request, event)

    client = Client()
    client.force_login(superuser)
    change_url = reverse("admin:workflow_auditevent_change", args=[event.pk])
    # The change page is a read-only view (no save button); posting to it is refused.
    view = client.get(change_url)
    assert view.status_code == 200 and 'name="_save"' not in view.content.decode()
    assert client.post(change_url, {"message": "篡改"}).status_code == 403
    delete_url = reverse("admin:workflow_auditevent_delete", args=[event.pk])
    assert client.get(delete_url).status_code == 403
    assert client.post(delete_url, {"post": "yes"}).status_code == 403
    assert AuditEvent.objects.filter(pk=event.pk, message="").exists()


def test_there_is_no_page_that_edits_or_deletes_events(city, client_for):
    client = client_for(city.office)
    event = record_event(AuditEventKind.LOGIN, user=city.clerk)
    for path in (f"/audit/{event.pk}/", f"/audit/{event.pk}/edit/", f"/audit/{event.pk}/delete/"):
        assert client.post(path).status_code == 404
    assert client.post(reverse("workflow:audit_list")).status_code == 405
    api = client.delete(f"/api/v1/audit-events/{event.pk}/")
    assert api.status_code == 405
    patch = client.patch(f"/api/v1/audit-events/{event.pk}/", {"message": "x"}, content_type="application/json")
    assert patch.status_code == 405
    assert AuditEvent.objects.filter(pk=event.pk).exists()


@needs_postgres
def test_postgresql_refuses_raw_update_and_delete(city):
    event = record_event(AuditEventKind.LOGIN, user=city.clerk, message="原始记录")
    for sql in (
        "UPDATE workflow_auditevent SET message = 'x' WHERE id = %s",
        "DELETE FROM workflow_auditevent WHERE id = %s",
    ):
        with pytest.raises(Exception, match="Cannot update or delete"), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(sql, [event.pk])
    with connection.cursor() as cursor:
        cursor.execute("SELECT message FROM workflow_auditevent WHERE id = %s", [event.pk])
        assert cursor.fetchone() == ("原始记录",)


# --- Who may browse -------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", PERSONAS)
def test_audit_page_by_role(city, client_for, persona):
    response = client_for(city.users()[persona]).get(reverse("workflow:audit_list"))
    assert response.status_code == (200 if persona in AUDIT_READERS else 403)
    export = client_for(city.users()[persona]).get(reverse("workflow:audit_export"))
    assert export.status_code == (200 if persona in AUDIT_READERS else 403)


def test_anonymous_audit_page_goes_to_login(db):
    response = Client().get(reverse("workflow:audit_list"))
    assert response.status_code == 302 and response.url.startswith(reverse("accounts:login"))


@pytest.fixture
def events(city):
    record_event(AuditEventKind.LOGIN, user=city.clerk, message="登录成功")
    record_event(AuditEventKind.LOGIN_FAILED, username="clerk", success=False, message="登录失败")
    record_event(AuditEventKind.CREATE, user=city.office, obj=city.expert, after={"name": "李专家"})
    record_event(AuditEventKind.PERMISSION_DENIED, user=city.reviewer, success=False, message="越权")
    return AuditEvent.objects.all()


def _shown(response) -> list[str]:
    return [event.kind for event in response.context["events"]]


@pytest.mark.parametrize(
    ("query", "kinds"),
    [
        ({}, {"login", "login_failed", "create", "permission_denied"}),
        ({"kind": "login"}, {"login"}),
        ({"success": "false"}, {"login_failed", "permission_denied"}),
        ({"user": "cler"}, {"login", "login_failed"}),
        ({"role": "performance_office"}, {"create"}),
        ({"object_type": "accounts.expert"}, {"create"}),
    ],
)
def test_audit_filters(city, client_for, events, query, kinds):
    response = client_for(city.auditor).get(reverse("workflow:audit_list"), query)
    assert set(_shown(response)) == kinds


def test_audit_date_range_is_by_local_day(city, client_for, events):
    today = timezone.localdate()
    client = client_for(city.auditor)
    shown = _shown(client.get(reverse("workflow:audit_list"), {"since": today, "until": today}))
    assert len(shown) == AuditEvent.objects.count() >= 4  # the fixture's and the test client's login
    tomorrow = today + datetime.timedelta(days=1)
    assert _shown(client.get(reverse("workflow:audit_list"), {"since": tomorrow})) == []
    yesterday = today - datetime.timedelta(days=1)
    assert _shown(client.get(reverse("workflow:audit_list"), {"until": yesterday})) == []


def test_bad_filters_never_give_a_500(city, client_for, events):
    client = client_for(city.auditor)
    for query in ({"since": "2026-13-45"}, {"kind": "nope"}, {"success": "maybe"}, {"page": "9999"}, {"page": "x"}):
        assert client.get(reverse("workflow:audit_list"), query).status_code in (200, 404), query


def test_before_after_json_is_in_a_collapsible_row(city, client_for, events):
    content = client_for(city.office).get(reverse("workflow:audit_list")).content.decode()
    assert 'data-bs-toggle="collapse"' in content
    assert "&quot;name&quot;: &quot;李专家&quot;" in content


def test_audit_list_is_paginated_by_fifty_with_constant_queries(city, client_for, django_assert_max_num_queries):
    for n in range(120):
        record_event(AuditEventKind.LOGIN, user=city.clerk, message=f"#{n}")
    client = client_for(city.auditor)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("workflow:audit_list"), {"kind": "login"})
    assert len(response.context["events"]) == 50
    assert response.context["page_obj"].paginator.num_pages == 3
    page2 = client.get(reverse("workflow:audit_list"), {"kind": "login", "page": 2}).content.decode()
    assert "kind=login&amp;page=3" in page2  # the pager keeps the filter


def test_export_is_the_filtered_log_as_csv_and_is_audited(city, client_for, events):
    response = client_for(city.auditor).get(reverse("workflow:audit_export"), {"success": "false"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))
    assert rows[0][:3] == ["时间", "事件", "用户名"]
    assert sorted(row[1] for row in rows[1:]) == sorted(["登录失败", "越权拒绝"])
    assert all(row[0].endswith("+08:00") for row in rows[1:])
    export = AuditEvent.objects.get(kind=AuditEventKind.EXPORT)
    assert export.username == "auditor" and "success=false" in export.message


def test_export_neutralises_spreadsheet_formulas(city, client_for):
    record_event(AuditEventKind.LOGIN_FAILED, username="=HYPERLINK(\"http://x\")", success=False)
    response = client_for(city.auditor).get(reverse("workflow:audit_export"), {"kind": "login_failed"})
    body = b"".join(response.streaming_content).decode("utf-8")
    assert "'=HYPERLINK" in body
