"""Monitoring pages (DESIGN §2.4, §2.6) for every persona: allowed, forbidden (403 with the reason),
out of scope (404); the journey from a round to a confirmed rectification through the pages; the
funding actions; a target adjustment that the report follows; fixed query counts."""

import datetime
import re
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from monitoring import services
from monitoring.choices import FundingActionStatus, Light, RectificationStatus, ReportStatus
from monitoring.models import FundingAction, MonitoringReport, MonitoringRound, Rectification
from targets import services as target_services
from workflow.models import AuditEvent, ReviewRecord
from workflow.services import perform_transition

from . import factories as f
from .test_project_pages import ROLES, assert_answer, user_of

ALL_SEE = dict.fromkeys(ROLES, 200) | {"anonymous": "login"}
# A report of unit_a1 (dept_a): its unit, its department, finance and audit; agencies and experts
# have no part in monitoring.
IN_SCOPE = {
    "clerk": 200, "reviewer": 200, "other_clerk": 404, "finance": 200, "office": 200,
    "expert": 404, "evaluator": 404, "auditor": 200, "anonymous": "login",
}  # fmt: skip
STAFF = IN_SCOPE | {"other_clerk": 200}
CLERK_ONLY = IN_SCOPE | {"reviewer": 403, "finance": 403, "office": 403, "auditor": 403}
OFFICE_ONLY = dict.fromkeys(ROLES, 403) | {"office": 200, "anonymous": "login"}
OFFICE_IN_SCOPE = IN_SCOPE | {"clerk": 403, "reviewer": 403, "finance": 403, "auditor": 403}


@pytest.fixture
def project(city):
    return f.ProjectFactory(
        fiscal_year=city.year, unit=city.unit_a1, name="校舍改造工程", budget_amount=Decimal("1000000")
    )


@pytest.fixture
def report(city, project):
    return f.open_q3(city, project).reports.get()


def get(client_for, city, role, url, **params):
    return client_for(user_of(city, role)).get(url, params)


def post(client_for, city, role, url, data=None):
    return client_for(user_of(city, role)).post(url, data or {})


def walk(report, city, *steps):
    for action, user, opinion in steps:
        perform_transition(report, action, user, opinion)
    report.refresh_from_db()
    return report


def submitted(report, city):
    services.save_report(report, city.clerk, f.filled(report))
    report.refresh_from_db()
    return walk(report, city, ("submit", city.clerk, ""), ("approve", city.reviewer, "同意"))


def rectifying(report, city):
    submitted(report, city)
    return walk(report, city, ("rectify", city.finance, "建设进度滞后，资金支付偏慢"))


# --- who sees what ------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_round_list(client_for, city, report, role):
    response = get(client_for, city, role, reverse("monitoring:round_list"))
    assert_answer(response, ALL_SEE[role])
    if response.status_code == 200:
        assert ("2026年第三季度绩效监控" in response.content.decode()) == (STAFF[role] == 200)


@pytest.mark.parametrize("role", ROLES)
def test_round_open_page(client_for, city, role):
    response = get(client_for, city, role, reverse("monitoring:round_open"))
    assert_answer(response, OFFICE_ONLY[role])
    if response.status_code == 403:
        assert "监控批次由财政绩效管理科开启和结束" in response.content.decode()


@pytest.mark.parametrize("role", ROLES)
def test_round_overview_shows_each_scope_its_own_reports(client_for, city, report, role):
    response = get(client_for, city, role, report.round.get_absolute_url())
    assert_answer(response, STAFF[role])
    if response.status_code == 200:
        assert ("校舍改造工程" in response.content.decode()) == (IN_SCOPE[role] == 200)


@pytest.mark.parametrize("role", ROLES)
def test_closing_a_round_is_for_the_office(client_for, city, report, role):
    response = post(client_for, city, role, reverse("monitoring:round_close", args=[report.round.pk]))
    expected = STAFF[role]
    if role == "office":
        assert response.status_code == 302
    else:
        assert_answer(response, 403 if expected == 200 else expected)
    report.round.refresh_from_db()
    assert report.round.is_open == (role != "office")


@pytest.mark.parametrize("role", ROLES)
def test_report_list(client_for, city, report, role):
    response = get(client_for, city, role, reverse("monitoring:report_list"))
    assert_answer(response, ALL_SEE[role])
    if response.status_code == 200:
        assert ("校舍改造工程" in response.content.decode()) == (IN_SCOPE[role] == 200)


@pytest.mark.parametrize("role", ROLES)
def test_report_detail(client_for, city, report, role):
    assert_answer(get(client_for, city, role, report.get_absolute_url()), IN_SCOPE[role])


@pytest.mark.parametrize("role", ROLES)
def test_report_editor_and_its_live_check(client_for, city, report, role):
    response = get(client_for, city, role, reverse("monitoring:report_edit", args=[report.pk]))
    assert_answer(response, CLERK_ONLY[role])
    if response.status_code == 403:
        assert "绩效监控表由项目单位填报" in response.content.decode()
    check = post(client_for, city, role, reverse("monitoring:report_check", args=[report.pk]), {"paid_wan": "10"})
    assert_answer(check, CLERK_ONLY[role])


@pytest.mark.parametrize("role", ROLES)
def test_report_export_holds_only_the_scope(client_for, city, report, role):
    response = get(client_for, city, role, reverse("monitoring:report_export"))
    assert_answer(response, ALL_SEE[role])
    if response.status_code == 200:
        import io

        import openpyxl

        sheet = openpyxl.load_workbook(io.BytesIO(response.content), read_only=True).worksheets[0]
        names = [row[2] for row in sheet.iter_rows(min_row=2, values_only=True)]
        assert names == (["校舍改造工程"] if IN_SCOPE[role] == 200 else [])


@pytest.mark.parametrize("role", ROLES)
def test_submitting_is_the_units_and_refusals_change_nothing(client_for, city, report, role):
    services.save_report(report, city.clerk, f.filled(report))
    client = client_for(user_of(city, role))
    url = reverse("monitoring:report_transition", args=[report.pk, "submit"])
    response = client.post(url)
    report.refresh_from_db()
    if role == "clerk":
        assert response.status_code == 302 and report.status == ReportStatus.DEPT_REVIEW
    else:
        assert report.status == ReportStatus.DRAFT
        if IN_SCOPE[role] == 200:  # in scope, wrong role: back to the report with the reason
            assert response.status_code == 302 and response["Location"] == report.get_absolute_url()
            assert "您的角色不能执行“报送”" in client.get(response["Location"]).content.decode()
        else:
            assert_answer(response, IN_SCOPE[role])


@pytest.mark.parametrize("role", ROLES)
def test_rectification_pages(client_for, city, report, role):
    rectifying(report, city)
    rectification = Rectification.objects.get()
    assert_answer(get(client_for, city, role, reverse("monitoring:rectification_list")), ALL_SEE[role])
    assert_answer(get(client_for, city, role, rectification.get_absolute_url()), IN_SCOPE[role])
    answer = get(client_for, city, role, reverse("monitoring:rectification_answer", args=[rectification.pk]))
    answerers = CLERK_ONLY | {"reviewer": 200}  # the department may answer too
    assert_answer(answer, answerers[role])


@pytest.mark.parametrize("role", ROLES)
def test_confirming_a_rectification_is_the_finance_reviewers(client_for, city, report, role):
    rectifying(report, city)
    rectification = Rectification.objects.get()
    rectification = services.answer_rectification(
        rectification, city.clerk, measures="增派施工力量", outcome="已追回进度"
    )
    perform_transition(rectification, "submit", city.clerk)
    url = reverse("monitoring:rectification_transition", args=[rectification.pk, "confirm"])
    response = post(client_for, city, role, url)
    rectification.refresh_from_db()
    confirmed = rectification.status == RectificationStatus.CONFIRMED
    assert confirmed == (role == "finance")
    if IN_SCOPE[role] != 200:
        assert_answer(response, IN_SCOPE[role])


@pytest.mark.parametrize("role", ROLES)
def test_funding_pages(client_for, city, report, role):
    action = services.record_funding_action(
        city.office, report.project, kind="suspend", amount="100000", reason="进度严重滞后", report=report
    )
    response = get(client_for, city, role, reverse("monitoring:funding_list"))
    assert_answer(response, ALL_SEE[role])
    if response.status_code == 200:
        assert ("校舍改造工程" in response.content.decode()) == (IN_SCOPE[role] == 200)
    assert_answer(get(client_for, city, role, action.get_absolute_url()), IN_SCOPE[role])
    create = get(client_for, city, role, reverse("monitoring:funding_create", args=[report.project.pk]))
    assert_answer(create, OFFICE_IN_SCOPE[role])
    if create.status_code == 403:
        assert "由财政绩效管理科办理" in create.content.decode()


@pytest.mark.parametrize("role", ROLES)
def test_lifting_a_suspension_is_the_offices(client_for, city, report, role):
    action = services.record_funding_action(city.office, report.project, kind="suspend", amount="1", reason="滞后")
    response = post(
        client_for, city, role, reverse("monitoring:funding_lift", args=[action.pk]), {"lift_reason": "已整改"}
    )
    action.refresh_from_db()
    assert (action.status == FundingActionStatus.LIFTED) == (role == "office")
    if role != "office":
        assert_answer(response, OFFICE_IN_SCOPE[role])


def test_every_monitoring_url_sends_the_public_to_the_login_page(client_for, city, report):
    anonymous = client_for(None)
    for url in (
        reverse("monitoring:round_list"),
        report.round.get_absolute_url(),
        report.get_absolute_url(),
        reverse("monitoring:report_edit", args=[report.pk]),
        reverse("monitoring:rectification_list"),
        reverse("monitoring:funding_list"),
        reverse("monitoring:report_export"),
    ):
        assert_answer(anonymous.get(url), "login")


# --- the journey through the pages ------------------------------------------------------------------


def editor_post(report, **overrides) -> dict:
    """The editor form as the page posts it: 万元, and ``r<row id>-<field>`` for each row."""
    data = f.filled(report, reasons=False)
    form = {"paid_wan": str(Decimal(data["paid_to_date"]) / 10000), "summary": "总体按计划推进"}
    for row in data["rows"]:
        for name, value in row.items():
            if name != "id":
                form[f"r{row['id']}-{name}"] = value
    form.update(overrides)
    return form


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def test_from_opening_a_round_to_a_confirmed_rectification(client_for, city, project):
    office, clerk, reviewer, finance = (client_for(u) for u in (city.office, city.clerk, city.reviewer, city.finance))
    f.approved_sheet(project)
    f.ProjectFactory(fiscal_year=city.year, unit=city.unit_a1)  # no approved targets: no report

    # The office opens the Q3 round: one report, due Oct 15 (15 days after the quarter).
    response = office.post(reverse("monitoring:round_open"), {"fiscal_year": city.year.pk, "period": "quarter-3"})
    monitoring_round = MonitoringRound.objects.get()
    assert response.status_code == 302 and response["Location"] == monitoring_round.get_absolute_url()
    assert monitoring_round.due_date == datetime.date(2026, 10, 15)
    report = MonitoringReport.objects.get()

    # The clerk fills a red row (5 of 20 classrooms at 75 % time progress) without a reason: saved,
    # and submission is refused naming the row.
    rows = {r.indicator.name: r for r in report.rows.select_related("indicator")}
    red = rows["新建教室数量"].pk
    edit = reverse("monitoring:report_edit", args=[report.pk])
    response = clerk.post(edit, editor_post(report, **{f"r{red}-actual_value": "5"}))
    assert response.status_code == 302
    page = text(clerk.get(report.get_absolute_url(), follow=True))
    assert "第1行「新建教室数量」为红灯，须选择偏差原因类别并填写偏差原因和纠偏措施。" in page
    assert "5 ÷（20 × 75%）× 100 = 33.33" in page  # the inputs and the formula behind the light
    submit = reverse("monitoring:report_transition", args=[report.pk, "submit"])
    refused = text(clerk.post(submit, follow=True))
    assert "第1行「新建教室数量」为红灯" in refused
    report.refresh_from_db()
    assert report.status == ReportStatus.DRAFT and report.light == Light.RED

    # With the reason and measures it goes to the department, then to finance.
    fixed = editor_post(
        report,
        **{f"r{red}-actual_value": "5", f"r{red}-cause": "funding", f"r{red}-reason": "资金到位晚",
           f"r{red}-measures": "四季度集中施工"},
    )  # fmt: skip
    assert clerk.post(edit, fixed).status_code == 302
    assert clerk.post(submit).status_code == 302
    approve = reverse("monitoring:report_transition", args=[report.pk, "approve"])
    assert reviewer.post(approve, {"opinion": "同意报送"}).status_code == 302

    # Finance accepts with a rectification request: due in 7 working days.
    rectify = reverse("monitoring:report_transition", args=[report.pk, "rectify"])
    finance.post(rectify, {"opinion": "新建教室进度严重滞后", "requirements": "报送赶工计划"})
    report.refresh_from_db()
    assert report.status == ReportStatus.ACCEPTED_RECTIFY and report.decided_at is not None
    rectification = Rectification.objects.get()
    assert (rectification.issues, rectification.requirements) == ("新建教室进度严重滞后", "报送赶工计划")
    assert rectification.source == report and rectification.due_days == 7 and rectification.due_in_working_days

    # The clerk answers with measures and evidence, and submits; finance confirms.
    answer = reverse("monitoring:rectification_answer", args=[rectification.pk])
    clerk.post(answer, {"measures": "增派两个施工班组", "outcome": "11月底前完成剩余教室"})
    evidence = SimpleUploadedFile("赶工计划.pdf", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF")
    upload = reverse("projects:attachment_upload", args=["rectification", rectification.pk])
    assert clerk.post(upload, {"file": evidence}).status_code == 302
    assert rectification.attachments.count() == 1
    clerk.post(reverse("monitoring:rectification_transition", args=[rectification.pk, "submit"]))
    finance.post(
        reverse("monitoring:rectification_transition", args=[rectification.pk, "confirm"]), {"opinion": "整改到位"}
    )
    rectification.refresh_from_db()
    assert rectification.status == RectificationStatus.CONFIRMED and rectification.confirmed_at is not None

    # Every step is a review record and an audit event; the overview counts the report red.
    chain = [(r.chain, r.action) for r in ReviewRecord.objects.order_by("at", "id")]
    assert chain == [
        ("monitoring", "submit"), ("monitoring", "approve"), ("monitoring", "rectify"),
        ("rectification", "submit"), ("rectification", "confirm"),
    ]  # fmt: skip
    assert AuditEvent.objects.filter(object_type="monitoring.rectification", kind="create").exists()
    overview = text(office.get(monitoring_round.get_absolute_url()))
    assert re.search(r'id="count-red">1<', overview.replace(" ", ""))


def test_a_wrong_number_refuses_the_whole_save_naming_the_row(client_for, city, report):
    clerk = client_for(city.clerk)
    rows = {r.indicator.name: r.pk for r in report.rows.select_related("indicator")}
    data = editor_post(report, paid_wan="三十", **{f"r{rows['学生家长满意度']}-actual_value": "-1"})
    response = clerk.post(reverse("monitoring:report_edit", args=[report.pk]), data)
    assert response.status_code == 400
    page = text(response)
    assert "截至期末支付金额须为数字（当前为“三十”）。" in page
    assert "第4行「学生家长满意度」：截至期末完成值不能为负数。" in page
    report.refresh_from_db()
    assert report.paid_to_date is None and AuditEvent.objects.filter(kind="update").count() == 0


def test_the_live_check_lights_rows_from_what_is_typed_and_saves_nothing(client_for, city, report):
    rows = {r.indicator.name: r.pk for r in report.rows.select_related("indicator")}
    data = editor_post(report, **{f"r{rows['新建教室数量']}-actual_value": "24"})  # 120 % of 20: blue
    response = client_for(city.clerk).post(
        reverse("monitoring:report_check", args=[report.pk]), data, HTTP_HX_REQUEST="true"
    )
    page = text(response)
    assert f'<div id="light-{rows["新建教室数量"]}" hx-swap-oob="true">' in response.content.decode()
    assert "蓝灯" in page and "第1行「新建教室数量」为蓝灯" in page
    report.refresh_from_db()
    assert report.paid_to_date is None and report.light == ""


def test_the_mandatory_q3_round_cannot_be_due_later_than_the_rule(client_for, city):
    response = client_for(city.office).post(
        reverse("monitoring:round_open"), {"fiscal_year": city.year.pk, "period": "quarter-3", "due_date": "2026-10-20"}
    )
    assert response.status_code == 200
    assert "三季度监控须在季度结束后 15 日内报送，截止日不得晚于 2026-10-15。" in text(response)
    assert not MonitoringRound.objects.exists()


def test_an_optional_round_and_a_second_opening(client_for, city, project):
    f.approved_sheet(project)
    office = client_for(city.office)
    office.post(reverse("monitoring:round_open"), {"fiscal_year": city.year.pk, "period": "month-7"})
    july = MonitoringRound.objects.get()
    assert (july.period_end, july.due_date, july.time_progress) == (
        datetime.date(2026, 7, 31), datetime.date(2026, 8, 15), Decimal("58.33")
    )  # fmt: skip
    again = office.post(reverse("monitoring:round_open"), {"fiscal_year": city.year.pk, "period": "month-7"})
    assert "该年度的这一期监控已经开启。" in text(again)
    assert MonitoringRound.objects.count() == 1


def test_only_approved_targets_in_force_get_a_report(city):
    approved, draft, adjusted = (f.ProjectFactory(fiscal_year=city.year, unit=city.unit_a1) for _ in range(3))
    f.approved_sheet(approved)
    f.TargetSheetFactory(project=draft, rows=True)
    v1 = f.approved_sheet(adjusted)
    f.TargetSheetFactory(project=adjusted, version=2, is_current=False, adjustment_of=v1, rows=True)
    monitoring_round = f.open_q3(city)
    assert set(monitoring_round.reports.values_list("project", flat=True)) == {approved.pk, adjusted.pk}
    assert monitoring_round.reports.get(project=adjusted).target_sheet == v1
    assert monitoring_round.reports.get(project=approved).rows.count() == len(f.MONITORING_ROWS)


def test_an_approved_adjustment_is_followed_by_the_draft_report(city, report):
    """DESIGN §2.4: targets change during execution only through the adjustment request; once the
    new version is approved, the report being filled monitors it and keeps what was entered."""
    services.save_report(report, city.clerk, f.filled(report))
    sheet = report.target_sheet
    v2 = target_services.request_adjustment(sheet, city.clerk, "生源减少，教室数调整为16间")
    v2.indicators.filter(name="新建教室数量").update(target_value=16)  # what the editor would save
    for action, user in (("submit", city.clerk), ("approve", city.reviewer), ("approve", city.finance)):
        perform_transition(v2, action, user)
    perform_transition(v2, "approve", city.office, "同意调整")
    report.refresh_from_db()
    assert report.target_sheet_id == v2.pk
    row = report.rows.select_related("indicator").get(indicator__name="新建教室数量")
    assert row.indicator.sheet_id == v2.pk and row.actual_value == Decimal("15")  # kept
    assert row.ratio == Decimal("125.00")  # 15 ÷ (16 × 75 %) now
    assert AuditEvent.objects.filter(message__contains="绩效目标调整为第2版").exists()


def test_a_submitted_report_keeps_the_targets_it_was_submitted_with(city, report):
    submitted(report, city)
    sheet = report.target_sheet
    v2 = target_services.request_adjustment(sheet, city.clerk, "调整")
    for action, user in (("submit", city.clerk), ("approve", city.reviewer), ("approve", city.finance)):
        perform_transition(v2, action, user)
    perform_transition(v2, "approve", city.office)
    report.refresh_from_db()
    assert report.target_sheet_id == sheet.pk


def test_the_report_links_the_target_adjustment(client_for, city, report):
    page = text(client_for(city.clerk).get(report.get_absolute_url()))
    assert reverse("targets:sheet_adjust", args=[report.target_sheet_id]) in page
    assert reverse("targets:sheet_adjust", args=[report.target_sheet_id]) not in text(
        client_for(city.reviewer).get(report.get_absolute_url())
    )


def test_changing_the_years_bands_recomputes_the_reports_being_filled(
    city, report, django_capture_on_commit_callbacks, settings
):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    services.save_report(report, city.clerk, f.filled(report, paid="487500"))  # 48.75 % ÷ 75 = 65: yellow
    other = f.ProjectFactory(fiscal_year=city.year, unit=city.unit_a1)
    f.approved_sheet(other)
    services.create_reports(report.round)
    report.refresh_from_db()
    assert report.budget_light == Light.YELLOW and report.rules["red_below"] == 60
    with django_capture_on_commit_callbacks(execute=True):
        city.year.warn_red_below = 70
        city.year.save()
    report.refresh_from_db()
    assert report.budget_light == Light.RED and report.rules["red_below"] == 70


# --- funding actions ------------------------------------------------------------------------------


def test_the_office_records_and_lifts_a_suspension_seen_on_the_project(client_for, city, report):
    office = client_for(city.office)
    url = reverse("monitoring:funding_create", args=[report.project.pk])
    response = office.post(url, {"kind": "suspend", "amount_wan": "30", "report": report.pk, "reason": "进度严重滞后"})
    action = FundingAction.objects.get()
    assert response.status_code == 302 and (action.amount, action.report) == (Decimal("300000.00"), report)
    project_page = text(client_for(city.clerk).get(report.project.get_absolute_url()))
    assert "暂缓拨款" in project_page and "30.00 万元" in project_page
    office.post(reverse("monitoring:funding_lift", args=[action.pk]), {"lift_reason": "整改到位，恢复拨款"})
    action.refresh_from_db()
    assert action.status == FundingActionStatus.LIFTED and action.lifted_by == city.office
    kinds = list(AuditEvent.objects.filter(object_type="monitoring.fundingaction").values_list("kind", flat=True))
    assert sorted(kinds) == ["create", "update"]


def test_bad_funding_input_is_a_message_and_recovered_funds_stay_recovered(client_for, city, report):
    office = client_for(city.office)
    url = reverse("monitoring:funding_create", args=[report.project.pk])
    response = office.post(url, {"kind": "recover", "amount_wan": "500", "reason": "闲置资金"})
    assert "金额不能超过项目预算（1,000,000.00 元）。" in text(response)
    assert not FundingAction.objects.exists()
    action = services.record_funding_action(city.office, report.project, kind="recover", amount="200000", reason="闲置")
    office.post(reverse("monitoring:funding_lift", args=[action.pk]), {"lift_reason": "误操作"})
    action.refresh_from_db()
    assert action.status == FundingActionStatus.ACTIVE
    assert "收回资金已执行，不能解除。" in text(office.get(action.get_absolute_url()))


# --- query counts -----------------------------------------------------------------------------------


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def _city_round(city, n):
    projects = [f.ProjectFactory(fiscal_year=city.year, unit=(city.unit_a1, city.unit_b1)[i % 2]) for i in range(n)]
    monitoring_round = f.open_q3(city, *projects)
    for report in monitoring_round.reports.all()[: n // 2]:
        services.save_report(
            report, city.clerk if report.project.unit == city.unit_a1 else city.other_clerk, f.filled(report)
        )
    return monitoring_round


@pytest.mark.parametrize("role", ["office", "reviewer"])
def test_overview_and_report_list_query_counts_do_not_grow_with_reports(client_for, city, role):
    client = client_for(user_of(city, role))
    few = _city_round(city, 4)
    counts_few = (_queries(client, few.get_absolute_url()), _queries(client, reverse("monitoring:report_list")))
    more = [f.ProjectFactory(fiscal_year=city.year, unit=city.unit_a1) for _ in range(30)]
    for project in more:
        f.approved_sheet(project)
    services.create_reports(few)
    counts_many = (_queries(client, few.get_absolute_url()), _queries(client, reverse("monitoring:report_list")))
    assert counts_few == counts_many


def test_report_page_query_count_does_not_grow_with_rows(client_for, city):
    client = client_for(city.finance)
    small = f.ProjectFactory(fiscal_year=city.year, unit=city.unit_a1)
    large = f.ProjectFactory(fiscal_year=city.year, unit=city.unit_a1)
    f.approved_sheet(small)
    f.approved_sheet(large, rows=f.MONITORING_ROWS * 6)
    monitoring_round = f.open_q3(city)
    counts = [_queries(client, r.get_absolute_url()) for r in monitoring_round.reports.order_by("pk")]
    assert counts[0] == counts[1]
