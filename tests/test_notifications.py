"""The notification hub and 我的通知: every role sees only its own notices; marking read is a POST
on one's own notice (another user's answers 404); the navbar count is one query."""

import pytest
from django.test import RequestFactory
from django.urls import reverse

from notifications.context_processors import unread_notices
from notifications.hub import Message, notify
from notifications.models import Notice

from . import factories as f

LIST = reverse("notifications:notice_list")
READ_ALL = reverse("notifications:notice_mark_all_read")
HTMX = {"HTTP_HX_REQUEST": "true"}


def read_url(notice):
    return reverse("notifications:notice_mark_read", args=[notice.pk])


def note(user, title="通知", **kwargs):
    (notice,) = notify(kwargs.pop("message", Message.SUBMITTED_FOR_REVIEW), [user], title=title, email=False, **kwargs)
    return notice


# --- the hub ---------------------------------------------------------------------------------


def test_notify_creates_one_notice_per_active_recipient(city):
    gone = f.UserFactory(organization=city.dept_a, is_active=False)
    created = notify(
        Message.RETURNED, [city.clerk, city.clerk, gone, None], title="已退回", url="/projects/1/", email=False
    )
    assert [n.recipient for n in created] == [city.clerk]
    assert created[0].get_message_display() == "已被退回"


def test_a_dedupe_key_is_notified_once_per_recipient(city):
    notify(Message.DUE_SOON, [city.reviewer], title="甲", dedupe_key="k", email=False)
    again = notify(Message.DUE_SOON, [city.reviewer, city.other_reviewer], title="甲", dedupe_key="k", email=False)
    assert [n.recipient for n in again] == [city.other_reviewer]
    assert Notice.objects.filter(dedupe_key="k").count() == 2


def test_email_is_queued_after_commit(city, mailoutbox, django_capture_on_commit_callbacks, settings):
    from config.celery import app

    settings.CELERY_TASK_ALWAYS_EAGER = True
    eager, app.conf.task_always_eager = app.conf.task_always_eager, True
    try:
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            notify(Message.ASSIGNED, [city.evaluator], title="新的委托", body="请于7个工作日内完成。", url="/x/")
            assert mailoutbox == []  # nothing leaves before the commit
    finally:
        app.conf.task_always_eager = eager
    assert len(callbacks) == 1
    (mail,) = mailoutbox
    assert mail.subject == "【绩效通】新的委托" and mail.to == [city.evaluator.email]


def test_only_local_urls_are_linked():
    assert Notice(url="/projects/1/").link == "/projects/1/"
    assert Notice(url="//evil.example/").link == ""
    assert Notice(url="https://evil.example/").link == ""


# --- 我的通知 ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "persona", ["clerk", "reviewer", "other_clerk", "finance", "office", "expert", "evaluator", "auditor"]
)
def test_each_role_sees_only_its_own_notices(city, client_for, persona):
    users = city.users()
    me = users[persona]
    for name, user in users.items():
        note(user, title=f"给{name}的通知")
    response = client_for(me).get(LIST)
    assert response.status_code == 200
    page = response.content.decode()
    assert f"给{persona}的通知" in page
    assert all(f"给{name}的通知" not in page for name in users if name != persona)


def test_anonymous_is_sent_to_the_login_page(client):
    response = client.get(LIST)
    assert response.status_code == 302 and response.url.startswith(reverse("accounts:login"))


def test_unread_come_first_then_newest_and_pages_hold_twenty(city, client_for):
    old_unread = note(city.clerk, title="旧的未读")
    notices = [note(city.clerk, title=f"第{i}条") for i in range(24)]
    Notice.objects.filter(pk__in=[n.pk for n in notices]).update(read_at="2026-01-01T00:00:00+08:00")
    client = client_for(city.clerk)
    first = client.get(LIST)
    titles = [n.title for n in first.context["page_obj"]]
    assert titles[0] == "旧的未读" and titles[1] == "第23条" and len(titles) == 20
    assert [n.title for n in client.get(LIST, {"page": 2}).context["page_obj"]][-1] == "第0条"
    assert client.get(LIST, {"page": "abc"}).status_code == 200
    assert client.get(LIST, {"page": "999"}).context["page_obj"].number == 2
    only_unread = client.get(LIST, {"show": "unread"}).context["page_obj"]
    assert [n.pk for n in only_unread] == [old_unread.pk]


def test_mark_one_read(city, client_for):
    notice = note(city.clerk)
    response = client_for(city.clerk).post(read_url(notice), {"next": LIST + "?page=1"})
    assert response.status_code == 302 and response.url == LIST + "?page=1"
    notice.refresh_from_db()
    assert notice.read_at is not None


def test_marking_another_users_notice_is_404_and_changes_nothing(city, client_for):
    theirs = note(city.other_reviewer)
    for user in (city.reviewer, city.clerk, city.office, city.auditor):
        assert client_for(user).post(read_url(theirs)).status_code == 404
    assert client_for(city.reviewer).post(reverse("notifications:notice_mark_read", args=[999999])).status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_marking_read_needs_a_post(city, client_for):
    notice = note(city.clerk)
    assert client_for(city.clerk).get(read_url(notice)).status_code == 405
    assert client_for(city.clerk).get(READ_ALL).status_code == 405
    notice.refresh_from_db()
    assert notice.read_at is None


def test_an_outside_next_is_ignored(city, client_for):
    notice = note(city.clerk)
    response = client_for(city.clerk).post(read_url(notice), {"next": "https://evil.example/"})
    assert response.url == LIST


def test_htmx_mark_read_returns_the_row_and_the_new_badge(city, client_for):
    notice, _ = note(city.clerk, title="甲"), note(city.clerk, title="乙")
    response = client_for(city.clerk).post(read_url(notice), **HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert f'id="notice-{notice.pk}"' in html and "已读" in html and "<html" not in html
    assert 'id="notice-badge"' in html and 'hx-swap-oob="true"' in html and ">1<" in html


def test_mark_all_read_touches_only_my_notices(city, client_for):
    mine = [note(city.reviewer), note(city.reviewer)]
    theirs = note(city.other_reviewer)
    response = client_for(city.reviewer).post(READ_ALL, follow=True)
    assert "已将2条通知标为已读" in response.content.decode()
    assert Notice.objects.filter(pk__in=[n.pk for n in mine], read_at__isnull=True).count() == 0
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_htmx_mark_all_read_returns_the_list(city, client_for):
    note(city.reviewer, title="待审核事项")
    response = client_for(city.reviewer).post(READ_ALL, **HTMX)
    html = response.content.decode()
    assert response.status_code == 200 and 'id="notice-list"' in html and "<html" not in html
    assert "标为已读</button>" not in html


def test_the_unread_count_is_one_query_and_only_when_used(city, django_assert_num_queries):
    note(city.clerk)
    note(city.clerk)
    Notice.objects.filter(pk=note(city.clerk).pk).update(read_at="2026-01-01T00:00:00+08:00")
    note(city.reviewer)
    request = RequestFactory().get("/")
    request.user = city.clerk
    with django_assert_num_queries(0):
        context = unread_notices(request)
    with django_assert_num_queries(1):
        assert int(str(context["unread_notice_count"])) == 2
        assert context["unread_notice_count"] > 1  # templates compare it; the value is cached


def test_the_unread_count_of_an_anonymous_visitor_is_zero(db, django_assert_num_queries):
    from django.contrib.auth.models import AnonymousUser

    request = RequestFactory().get("/")
    request.user = AnonymousUser()
    with django_assert_num_queries(0):
        assert unread_notices(request) == {"unread_notice_count": 0}
