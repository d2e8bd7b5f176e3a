"""Dual monitoring through the API (DESIGN §2.4, §2.6, §4): a report filled with a red light, the
reason it needs, the review chain to a rectification due in 7 working days, its answer and
confirmation; funding actions; rounds; bad bodies refused with Chinese messages and nothing
written; explainable lights; filters; query counts."""

from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone

from monitoring import permissions, services, treasury
from monitoring.api import MonitoringReportViewSet, RectificationViewSet
from monitoring.choices import FundingActionStatus, Light, RectificationStatus, ReportStatus
from monitoring.models import (
    FundingAction,
    MonitoringReport,
    MonitoringRound,
    MonitoringRow,
    Rectification,
    TreasuryImport,
)
from projects.calendar import add_working_days
from workflow.models import AuditEvent, ReviewRecord

from . import factories as f
from .api_matrix import CHINESE

# ``media`` sends uploads to the test's own directory: an autouse fixture, active by being imported.
from .test_api_monitoring_permissions import media, treasury_xlsx, upload_body  # noqa: F401
from .test_api_targets import queries_for  # (count, body) of one GET with the user's token

RO = "/api/v1/monitoring-rounds/"
R = "/api/v1/monitoring-reports/"
W = "/api/v1/monitoring-rows/"
TI = "/api/v1/treasury-imports/"
C = "/api/v1/rectifications/"
F = "/api/v1/funding-actions/"


@pytest.fixture
def report(city):
    """The draft Q3 report of a unit_a1 project (f.MONITORING_ROWS: ≥, ≤, qualitative, ≥)."""
    project = f.ProjectFactory(fiscal_year=city.year, unit=city.unit_a1, name="校舍改造工程")
    return f.open_q3(city, project).reports.get()


def rows_of(report) -> list[MonitoringRow]:
    return list(report.rows.select_related("indicator").order_by("position"))


def post(client, url, body=None):
    return client.post(url, body or {}, format="json")


def patch(client, url, body):
    return client.patch(url, body, format="json")


def detail_of(response) -> str:
    body = response.json()
    assert CHINESE.search(str(body)), body
    return body["detail"]


# --- the journey ----------------------------------------------------------------------------


def test_a_red_row_needs_its_reason_then_the_report_goes_to_a_rectification(city, api, report):
    clerk, reviewer, finance = api(city.clerk), api(city.reviewer), api(city.finance)
    classrooms, *others = rows_of(report)
    url = f"{R}{report.pk}/"

    # 5 of 20 classrooms at Q3: 5 ÷ (20 × 75 %) × 100 = 33.33 — red.
    saved = patch(clerk, url, f.filled(report, reasons=False, 新建教室数量={"actual_value": "5"}))
    assert saved.status_code == 200, saved.json()
    data = saved.json()["object"]
    assert (data["light"], data["budget_light"], data["judgement"]) == (Light.RED, Light.GREEN, "serious")
    row = data["rows"][0]
    indicator = (row["name"], row["level1"], row["comparator"], row["target_value"], row["unit"])
    assert indicator == ("新建教室数量", "output", "gte", "20.0000", "间")
    assert (row["light"], row["ratio"], row["achieved_pct"]) == (Light.RED, "33.33", "25.00")
    assert row["explanation"]["formula"] == "5 ÷（20 × 75%）× 100 = 33.33"
    assert "低于 60 红灯" in row["explanation"]["rule"]
    assert data["budget_explanation"]["formula"] == "预算执行率 60% ÷ 时间进度 75% × 100 = 80"
    assert any("第1行「新建教室数量」为红灯" in p["message"] for p in saved.json()["problems"])

    refused = post(clerk, url + "submit/")
    assert refused.status_code == 400
    assert "第1行「新建教室数量」为红灯，须选择偏差原因类别并填写偏差原因和纠偏措施" in detail_of(refused)
    assert MonitoringReport.objects.get(pk=report.pk).status == ReportStatus.DRAFT

    reason = {"id": classrooms.pk, "cause": "funding", "reason": "资金晚到两个月", "measures": "加快招标进度"}
    assert patch(clerk, url, {"rows": [reason]}).status_code == 200
    assert clerk.get(url + "problems/").json() == []
    submitted = post(clerk, url + "submit/")
    assert submitted.status_code == 200, submitted.json()
    assert submitted.json()["object"]["status"] == ReportStatus.DEPT_REVIEW
    assert submitted.json()["record"]["decision"] == "提交"

    assert post(reviewer, url + "approve/", {"opinion": "同意"}).status_code == 200
    assert [a["action"] for a in finance.get(url + "actions/").json()] == ["accept", "rectify", "return"]

    rectified = post(finance, url + "rectify/", {"opinion": "新建教室进度严重滞后", "requirements": "十月底前完成招标"})
    assert rectified.status_code == 200, rectified.json()
    assert rectified.json()["object"]["status"] == ReportStatus.ACCEPTED_RECTIFY
    rectification = Rectification.objects.get(object_id=report.pk)
    assert (rectification.issues, rectification.requirements) == ("新建教室进度严重滞后", "十月底前完成招标")
    assert rectification.due_date == add_working_days(timezone.localdate(), 7).date
    assert rectification.confirmer_role == "finance_reviewer"
    history = clerk.get(url + "history/").json()
    assert [r["action"] for r in history] == ["submit", "approve", "rectify"]

    # The department answers and submits; the finance office that asked confirms.
    c_url = f"{C}{rectification.pk}/"
    listed = clerk.get(C).json()
    assert [r["id"] for r in listed["results"]] == [rectification.pk]
    assert listed["results"][0]["due_rule"] == "7个工作日"
    early = post(clerk, c_url + "submit/")
    assert early.status_code == 400 and "请先填写整改措施和整改情况" in detail_of(early)
    answered = patch(clerk, c_url, {"measures": "已完成招标", "outcome": "十月二十日签订合同"})
    assert answered.status_code == 200, answered.json()
    assert answered.json()["measures"] == "已完成招标"
    assert post(api(city.reviewer), c_url + "submit/").status_code == 200
    assert post(api(city.office), c_url + "confirm/").status_code == 403  # finance asked, finance confirms
    confirmed = post(finance, c_url + "confirm/")
    assert confirmed.status_code == 200, confirmed.json()
    assert confirmed.json()["object"]["status"] == RectificationStatus.CONFIRMED
    late = patch(clerk, c_url, {"outcome": "补充说明"})
    assert late.status_code == 409 and "已完成整改" in detail_of(late)


def test_rectify_needs_the_problems_found_and_changes_nothing_without_them(city, api, report):
    MonitoringReport.objects.filter(pk=report.pk).update(status=ReportStatus.FINANCE_REVIEW)
    records = ReviewRecord.objects.count()
    response = post(api(city.finance), f"{R}{report.pk}/rectify/", {"requirements": "加快进度"})
    assert response.status_code == 400
    assert response.json()["opinion"] == ["请写明发现的问题。"]
    assert MonitoringReport.objects.get(pk=report.pk).status == ReportStatus.FINANCE_REVIEW
    assert (ReviewRecord.objects.count(), Rectification.objects.count()) == (records, 0)


def test_a_returned_report_is_filled_again_and_a_closed_round_refuses_it(city, api, report):
    clerk = api(city.clerk)
    url = f"{R}{report.pk}/"
    assert patch(clerk, url, f.filled(report)).status_code == 200
    assert post(clerk, url + "submit/").status_code == 200
    returned = post(api(city.reviewer), url + "return/", {"opinion": "请补充总体情况说明"})
    assert returned.json()["object"]["status"] == ReportStatus.RETURNED
    assert patch(clerk, url, {"summary": "已补充"}).status_code == 200

    assert post(api(city.office), f"{RO}{report.round_id}/close/").status_code == 200
    closed = patch(clerk, url, {"summary": "结束后修改"})
    assert closed.status_code == 409 and "该监控批次已结束" in detail_of(closed)
    assert MonitoringReport.objects.get(pk=report.pk).summary == "已补充"


# --- bad bodies -------------------------------------------------------------------------------


def test_unreadable_figures_are_refused_naming_the_row_and_nothing_is_written(city, api, report):
    classrooms, cost, quality, _ = rows_of(report)
    events = AuditEvent.objects.count()
    body = {
        "paid_to_date": "一百万",
        "rows": [
            {"id": classrooms.pk, "actual_value": "十五"},
            {"id": cost.pk, "actual_value": "-3"},
            {"id": quality.pk, "progress": "done"},
            {"id": 999999, "actual_value": "1"},
        ],
    }
    response = patch(api(city.clerk), f"{R}{report.pk}/", body)
    assert response.status_code == 400
    detail = detail_of(response)
    assert "截至期末支付金额须为数字（当前为“一百万”）" in detail
    assert "第1行「新建教室数量」：截至期末完成值须为数字（当前为“十五”）" in detail
    assert "第2行「生均改造成本」：截至期末完成值不能为负数" in detail
    assert "第3行「办学条件明显改善」：完成情况无效" in detail
    assert "不属于本监控表" in detail
    fresh = MonitoringReport.objects.get(pk=report.pk)
    assert fresh.paid_to_date is None and fresh.light == ""
    assert not MonitoringRow.objects.filter(report=report).exclude(actual_value=None).exists()
    assert AuditEvent.objects.count() == events


def test_a_fill_body_of_the_wrong_shape_gets_field_messages(city, api, report):
    response = patch(api(city.clerk), f"{R}{report.pk}/", {"rows": {"id": 1}, "summary": ["a"]})
    assert response.status_code == 400
    body = response.json()
    assert set(body) == {"rows", "summary"} and CHINESE.search(str(body)), body


def test_a_round_is_opened_once_and_its_rules_are_told(city, api):
    office = api(city.office)
    project = f.ProjectFactory(fiscal_year=city.year, unit=city.unit_a1)
    f.approved_sheet(project)
    opened = post(office, RO, {"fiscal_year": city.year.pk, "kind": "quarter", "number": 3})
    assert opened.status_code == 201, opened.json()
    data = opened.json()
    assert (data["period_label"], data["due_date"], data["time_progress"]) == ("第三季度", "2026-10-15", "75.00")
    assert data["is_mandatory"] is True
    assert data["reports"]["total"] == 1 and data["reports"]["unlit"] == 1
    assert {c["value"]: c["count"] for c in data["reports"]["by_status"]}["draft"] == 1

    again = post(office, RO, {"fiscal_year": city.year.pk, "kind": "quarter", "number": 3})
    assert again.status_code == 400 and detail_of(again) == "该年度的这一期监控已经开启。"
    late = post(office, RO, {"fiscal_year": city.year.pk, "kind": "quarter", "number": 3, "due_date": "2026-10-31"})
    assert late.status_code == 400  # same round: refused either way, never a second one
    assert MonitoringRound.objects.count() == 1 and MonitoringReport.objects.count() == 1


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({}, "fiscal_year", "该字段是必填项"),
        ({"kind": "week", "number": 1}, "kind", "不是合法选项"),
        ({"kind": "quarter", "number": 5}, "number", "季度监控的期次须为 1–4"),
        ({"kind": "quarter", "number": 3, "due_date": "2026-10-16"}, "due_date", "不得晚于 2026-10-15"),
        ({"kind": "month", "number": 9, "due_date": "2026-09-30"}, "due_date", "须晚于期末"),
    ],
)
def test_a_bad_round_body_is_refused_with_a_chinese_message_on_its_field(city, api, body, field, message):
    if body:
        body = {"fiscal_year": city.year.pk, **body}
    response = post(api(city.office), RO, body)
    assert response.status_code == 400
    assert message in str(response.json()[field]), response.json()
    assert MonitoringRound.objects.count() == 0


def test_only_the_office_opens_rounds_and_it_is_told_before_its_body(city, api):
    response = post(api(city.finance), RO, {"kind": "nonsense"})
    assert response.status_code == 403 and detail_of(response) == "监控批次由财政绩效管理科开启和结束。"


# --- funding actions ---------------------------------------------------------------------------


def test_funding_actions_are_recorded_and_suspensions_lifted_but_recoveries_not(city, api, report):
    office = api(city.office)
    body = {"project": report.project_id, "kind": "suspend", "amount": "300000.00", "reason": "执行进度严重滞后",
            "report": report.pk}
    created = post(office, F, body)
    assert created.status_code == 201, created.json()
    data = created.json()
    assert (data["kind_display"], data["amount"], data["status"], data["is_liftable"]) == (
        "暂缓拨款", "300000.00", FundingActionStatus.ACTIVE, True,
    )
    assert data["project"]["id"] == report.project_id and data["report"] == report.pk

    # The clerk sees what was done to her project.
    assert [a["id"] for a in api(city.clerk).get(F).json()["results"]] == [data["id"]]

    no_reason = post(office, f"{F}{data['id']}/lift/", {"lift_reason": "  "})
    assert no_reason.status_code == 400 and no_reason.json()["lift_reason"] == ["请写明解除原因。"]
    lifted = post(office, f"{F}{data['id']}/lift/", {"lift_reason": "已整改到位"})
    assert lifted.status_code == 200, lifted.json()
    assert (lifted.json()["status"], lifted.json()["lift_reason"]) == (FundingActionStatus.LIFTED, "已整改到位")
    twice = post(office, f"{F}{data['id']}/lift/", {"lift_reason": "再次解除"})
    assert twice.status_code == 409 and "已经解除" in detail_of(twice)

    recovered = post(office, F, {**body, "kind": "recover", "amount": "50000"})
    assert recovered.status_code == 201
    refused = post(office, f"{F}{recovered.json()['id']}/lift/", {"lift_reason": "误操作"})
    assert refused.status_code == 400 and detail_of(refused) == "收回资金已执行，不能解除。"
    assert FundingAction.objects.get(pk=recovered.json()["id"]).status == FundingActionStatus.ACTIVE


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"amount": "abc"}, "amount", "金额须为数字"),
        ({"amount": "0"}, "amount", "请填写大于 0 的金额"),
        ({"amount": "1000000.01"}, "amount", "金额不能超过项目预算（1,000,000.00 元）"),
        ({"amount": "100.001"}, "amount", "金额最多精确到分"),
        ({"reason": ""}, "reason", "请写明处置原因"),
        ({"kind": "freeze"}, "kind", "不是合法选项"),
        ({"project": None}, "project", "该字段不能为 null"),
    ],
)
def test_a_bad_funding_body_is_refused_on_its_field_and_nothing_is_written(city, api, change, field, message):
    project = f.ProjectFactory(fiscal_year=city.year, unit=city.unit_a1)
    body = {"project": project.pk, "kind": "stop", "amount": "1000", "reason": "资金闲置", **change}
    response = post(api(city.office), F, body)
    assert response.status_code == 400
    assert message in str(response.json()[field]), response.json()
    assert FundingAction.objects.count() == 0


def test_an_unknown_project_or_a_report_of_another_project_is_a_field_error(city, api, report):
    response = post(api(city.office), F, {"project": 999999, "kind": "stop", "amount": "1", "reason": "x"})
    assert response.status_code == 400 and "project" in response.json()
    other = f.ProjectFactory(fiscal_year=city.year, unit=city.unit_b1)
    mismatch = post(api(city.office), F, {"project": other.pk, "kind": "stop", "amount": "1", "reason": "x",
                                          "report": report.pk})
    assert mismatch.status_code == 400 and mismatch.json()["report"] == ["所选监控表不属于该项目。"]


# --- reading ----------------------------------------------------------------------------------


def test_filters_of_the_pages_work_on_the_api(city, api, report):
    services.save_report(report, city.clerk, f.filled(report, paid="100000"))  # budget red
    other = f.ProjectFactory(fiscal_year=city.year, unit=city.unit_a2)
    f.approved_sheet(other)
    services.create_reports(report.round)
    office = api(city.office)

    def ids(url):
        return [r["id"] for r in office.get(url).json()["results"]]

    assert len(ids(f"{R}?round={report.round_id}")) == 2
    assert ids(f"{R}?light=red") == [report.pk]
    assert ids(f"{R}?budget_light=red&unit={city.unit_a1.pk}") == [report.pk]
    assert ids(f"{R}?q=校舍") == [report.pk]
    assert ids(f"{R}?status=dept_review") == []
    assert len(ids(f"{W}?report={report.pk}")) == 4
    assert len(ids(f"{W}?report={report.pk}&light=green")) == 4
    assert ids(f"{RO}?year=2026&kind=quarter") == [report.round_id]
    # A reviewer filtering by another department's id gets a field message, not their data.
    foreign = api(city.reviewer).get(f"{R}?department={city.dept_b.pk}")
    assert foreign.status_code == 400 and "department" in foreign.json()


def test_a_round_counts_only_the_reports_its_reader_sees(city, api, report):
    other = f.ProjectFactory(fiscal_year=city.year, unit=city.unit_b1)
    f.approved_sheet(other)
    services.create_reports(report.round)
    assert api(city.office).get(f"{RO}{report.round_id}/").json()["reports"]["total"] == 2
    assert api(city.clerk).get(f"{RO}{report.round_id}/").json()["reports"]["total"] == 1
    assert api(city.other_clerk).get(f"{RO}{report.round_id}/").json()["reports"]["total"] == 1


def test_a_row_read_on_its_own_explains_its_light(city, api, report):
    services.save_report(report, city.clerk, f.filled(report))
    cost = rows_of(report)[1]
    row = api(city.reviewer).get(f"{W}{cost.pk}/").json()
    assert (row["report"], row["name"], row["comparator_display"], row["light"]) == (
        report.pk, "生均改造成本", "≤", Light.GREEN,
    )
    assert row["explanation"]["formula"] == "反向指标：200 − 3750 ÷ 年度目标 5000 × 100 = 200 − 75 = 125"


# --- treasury imports ----------------------------------------------------------------------------


def test_a_treasury_upload_is_answered_202_and_its_progress_and_result_read_back(city, api, report):
    finance = api(city.finance)
    paid = (report.project.code, "2026-09-10", "450000.00", "ZF2026000001", "示例建设公司", "工程款")
    unknown = ("XM-NOT-HERE", "2026-09-12", "1000.00", "ZF2026000002", "", "")

    def upload(*rows):
        response = finance.post(TI, upload_body(city, content=treasury_xlsx(rows)), format="multipart")
        assert response.status_code == 202, response.json()
        assert (response.json()["status"], response.json()["percent"]) == ("queued", 0)
        treasury.run_import(TreasuryImport.objects.get(pk=response.json()["id"]))  # what the queued task does
        return finance.get(f"{TI}{response.json()['id']}/").json()

    failed = upload(paid, unknown)  # all or nothing: one unknown code, nothing imported
    assert (failed["status"], failed["percent"], failed["unmatched_codes"]) == ("failed", 100, ["XM-NOT-HERE"])
    assert "XM-NOT-HERE" in str(failed["errors"]) and CHINESE.search(failed["message"])

    done = upload(paid)
    assert (done["status"], done["created_count"], done["reports_updated"]) == ("succeeded", 1, 1)
    assert (done["processed"], done["total"], done["errors"], done["unmatched_codes"]) == (1, 1, [], [])
    # The report's paid amount now comes from the treasury: 45 % ÷ 75 % × 100 = 60, yellow.
    read = api(city.clerk).get(f"{R}{report.pk}/").json()
    assert (read["paid_to_date"], read["paid_source"], read["budget_light"]) == ("450000.00", "treasury", "yellow")

    listed = api(city.auditor).get(TI).json()["results"]
    assert [i["id"] for i in listed] == [done["id"], failed["id"]] and "errors" not in listed[0]


@pytest.mark.parametrize(
    ("content", "name"), [(b"voucher,amount\nZF1,100\n", "payments.csv"), (b"not a workbook", "国库支付.xlsx")]
)
def test_a_file_that_is_not_an_xlsx_is_refused_and_nothing_is_stored(city, api, settings, content, name):
    response = api(city.finance).post(TI, upload_body(city, content=content, name=name), format="multipart")
    assert response.status_code == 400
    assert CHINESE.search(detail_of(response)), response.json()
    assert TreasuryImport.objects.count() == 0
    media_root = Path(settings.STORAGES["default"]["OPTIONS"]["location"])
    assert not [p for p in media_root.rglob("*") if p.is_file()]


def test_a_treasury_upload_needs_a_file_and_a_year(city, api):
    response = api(city.office).post(TI, {}, format="multipart")
    assert response.status_code == 400
    assert set(response.json()) == {"file", "fiscal_year"} and CHINESE.search(str(response.json()))


def test_treasury_data_is_refused_to_other_roles_with_the_reason(city, api):
    response = api(city.reviewer).get(TI)  # the same reason the import pages give
    assert response.status_code == 403 and detail_of(response) == permissions.can_view_treasury(city.reviewer)[1]
    assert "仅财政部门和审计可以查看" in detail_of(response)
    audit = api(city.auditor).post(TI, upload_body(city), format="multipart")
    assert audit.status_code == 403 and detail_of(audit) == "国库支付数据由财政部门导入。"


# --- query counts ------------------------------------------------------------------------------


def add_reports(city, monitoring_round, count: int, start: int):
    for n in range(start, start + count):
        project = f.ProjectFactory(fiscal_year=city.year, unit=city.unit_a1, code=f"M{n:05d}")
        f.approved_sheet(project)
    services.create_reports(monitoring_round)


# Report list, 5 queries for the clerk:
#   1 token + user (TokenAuthentication)   2 the user's groups (User.roles)
#   3 the user's organisation (visible_to's subtree path)   4 COUNT for the page
#   5 the page, joined with round, its year, project, its year, department and unit, target sheet
# Report detail, 5 queries: 1–3 as above, 4 the report with the same joins, 5 its rows with their
#   indicators (prefetch) — the lights' explanations are computed from them.
LIST_QUERIES, DETAIL_QUERIES = 5, 5


def test_the_report_list_costs_the_same_for_10_or_200_reports(city):
    monitoring_round = f.open_q3(city)
    add_reports(city, monitoring_round, 10, start=0)
    small, body = queries_for(city.clerk, R)
    assert body["count"] == 10

    add_reports(city, monitoring_round, 190, start=10)
    large, body = queries_for(city.clerk, R + "?ordering=-updated_at")
    assert body["count"] == 200

    assert small == large == LIST_QUERIES
    assert queries_for(city.office, R)[0] == LIST_QUERIES - 1  # finance: no subtree to look up


def test_the_report_detail_costs_the_same_for_4_or_24_rows(city, report):
    small, body = queries_for(city.clerk, f"{R}{report.pk}/")
    assert len(body["rows"]) == 4

    project = f.ProjectFactory(fiscal_year=city.year, unit=city.unit_a1)
    f.approved_sheet(project, rows=f.MONITORING_ROWS * 6)
    services.create_reports(report.round)
    big = MonitoringReport.objects.get(project=project)
    services.save_report(big, city.clerk, f.filled(big))
    large, body = queries_for(city.clerk, f"{R}{big.pk}/")
    assert len(body["rows"]) == 24 and all(r["explanation"] for r in body["rows"])

    assert small == large == DETAIL_QUERIES


@pytest.mark.parametrize(
    ("url", "persona"), [(W, "clerk"), (C, "clerk"), (F, "clerk"), (RO, "clerk"), (TI, "finance")]
)
def test_the_other_lists_cost_the_same_for_few_or_many_rows(city, url, persona):
    monitoring_round = f.open_q3(city)
    user = city.users()[persona]

    def grow(start, count):
        add_reports(city, monitoring_round, count, start)
        for report in MonitoringReport.objects.filter(project__code__gte=f"M{start:05d}").select_related("round"):
            services.issue_rectification(report, city.finance, issues="进度滞后")
            services.record_funding_action(city.office, report.project, kind="stop", amount="1000", reason="滞后")
            TreasuryImport.objects.create(
                fiscal_year=city.year, file="treasury/x", original_name=f"{report.project.code}.xlsx",
                uploaded_by=city.finance, errors=[{"row": 2, "message": "金额无效"}],
            )

    grow(0, 3)
    small, body = queries_for(user, url)
    grow(3, 12)
    large, _ = queries_for(user, url)
    assert small == large, url


def test_a_rounds_counts_cost_one_query_whatever_its_reports(city):
    monitoring_round = f.open_q3(city)
    add_reports(city, monitoring_round, 2, start=0)
    small, body = queries_for(city.clerk, f"{RO}{monitoring_round.pk}/")
    add_reports(city, monitoring_round, 30, start=2)
    large, body = queries_for(city.clerk, f"{RO}{monitoring_round.pk}/")
    assert body["reports"]["total"] == 32
    # token + user, groups, organisation, the round with its year and opener, the counts.
    assert small == large == 5


def test_each_workflow_viewset_declares_its_models_chain():
    assert MonitoringReportViewSet.workflow_chain is MonitoringReport().workflow_chain
    assert RectificationViewSet.workflow_chain is Rectification().workflow_chain


def test_amounts_are_decimal_strings_in_yuan(city, api, report):
    services.save_report(report, city.clerk, {"paid_to_date": "123456.78"})
    data = api(city.finance).get(f"{R}{report.pk}/").json()
    assert (data["budget_amount"], data["paid_to_date"], data["execution_rate"]) == ("1000000.00", "123456.78", "12.35")
    assert Decimal(data["budget_ratio"]) == Decimal("16.47")
