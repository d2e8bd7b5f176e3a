"""The journey of issue 4 in a real browser: the performance office opens the Q3 monitoring round; a
unit clerk fills her project's report with a red row and is stopped until she gives its reason and
measures, then submits; the department passes it; the finance business office accepts it with a
rectification request; the clerk answers with measures and evidence; finance confirms; the round's
overview shows the counts and the chart.

The same journey through the Django test client is
tests/test_monitoring_pages.py::test_from_opening_a_round_to_a_confirmed_rectification; this one
asserts what a person sees, clicking through the pages (the editor's live lights included).
"""

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from monitoring.models import MonitoringReport, Rectification
from tests import factories as f

from .test_preassessment_journey import act, card, flash, heading, snap
from .test_targets_journey import type_in, without_aborted_checks

# serialized_rollback: later transactional tests still find the role groups and the calendar.
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

NAME = "校舍改造工程"
RED_ROW = "新建教室数量"
REASON = "主体工程招标延期两个月，施工队8月才进场"
# No spaces: the live check is recognised by its form-encoded value (tests/browser/test_targets_journey.py).
MEASURES = "增派两个施工班组，四季度集中施工，12月底前完成全部20间教室"
ISSUES = "新建教室进度严重滞后，资金支付低于序时进度"


def open_inbox_item(page, label: str):
    """From 我的待办, follow an item (e.g. “绩效监控表待填报”) that lists exactly one row."""
    page.get_by_role("link", name="我的待办").click()
    item = page.get_by_role("listitem").filter(has=page.get_by_role("link", name=label, exact=True))
    expect(item).to_have_text(re.compile(rf"^\s*{label}\s*1\s*$"))
    item.get_by_role("link", name=label, exact=True).click()


def editor_row(page, name: str):
    return page.locator("tbody.editor-row").filter(has=page.locator(".row-name", has_text=name))


def test_a_q3_report_with_a_red_row_goes_from_opening_to_a_confirmed_rectification(page, login, city):
    page.on("dialog", lambda dialog: dialog.accept())  # data-confirm forms ask first
    problems = []  # script errors, refused resources (CSP) and server errors on any page
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("console", lambda message: message.type == "error" and problems.append(message.text))
    page.on("response", lambda r: r.status >= 500 and problems.append(f"{r.status} {r.request.method} {r.url}"))
    project = f.ProjectFactory(
        fiscal_year=city.year, unit=city.unit_a1, name=NAME, code="XM-MON-001", budget_amount=Decimal("1000000")
    )
    f.approved_sheet(project)

    # 1. The performance office opens the mandatory Q3 round.
    login(city.office)
    page.get_by_role("link", name="双监控").click()
    expect(heading(page)).to_have_text("双监控 · 监控批次")
    page.get_by_role("link", name="开启监控批次").click()
    expect(page.get_by_label("监控期间")).to_have_value("quarter-3")
    page.get_by_role("button", name="开启并生成监控表").click()
    expect(flash(page, "已开启2026年第三季度绩效监控，生成绩效监控表 1 张")).to_be_visible()
    expect(heading(page)).to_contain_text("2026年第三季度绩效监控")
    expect(page.get_by_text("报送截止 2026-10-15")).to_be_visible()

    # 2. The clerk finds the report in her inbox and fills it: 5 of 20 classrooms by the end of
    #    September is red (5 ÷ (20 × 75 %) = 33.33 < 60), and the editor says so as she types.
    login(city.clerk)
    open_inbox_item(page, "绩效监控表待填报")
    page.get_by_role("link", name=NAME).click()
    expect(heading(page)).to_contain_text("填报中")
    page.get_by_role("link", name="填报", exact=True).click()
    type_in(page, page.get_by_label("截至 9月30日 支付金额（万元）"), "60")
    expect(page.locator("#budget-light")).to_contain_text("绿灯")  # 60 % ÷ 75 % = 80
    rows = {
        RED_ROW: ("5", "18"),
        "生均改造成本": ("3600", "4900"),
        "学生家长满意度": ("91", "92"),
    }
    for name, (actual, expected) in rows.items():
        row = editor_row(page, name)
        row.get_by_label("全年预计完成值").fill(expected)
        row.get_by_label("预计完成情况").select_option(label="有可能完成" if name == RED_ROW else "确定能完成")
        type_in(page, row.get_by_label("截至期末完成值"), actual)
    qualitative = editor_row(page, "办学条件明显改善")
    qualitative.get_by_label("预计完成情况").select_option(label="确定能完成")
    with page.expect_response(lambda r: r.url.endswith("/edit/check/")):
        qualitative.get_by_label("完成情况", exact=True).select_option(label="达成")
    red = editor_row(page, RED_ROW)
    expect(red.locator(".light-badge")).to_have_text("红灯")
    expect(red).to_contain_text("5 ÷（20 × 75%）× 100 = 33.33")
    check = page.locator("#report-check")
    expect(check).to_contain_text(f"第1行「{RED_ROW}」为红灯，须选择偏差原因类别并填写偏差原因和纠偏措施。")
    snap(page, "monitoring-1-editor-red-row")

    # 3. She saves without a reason: saved, but 报送 is refused and the page names the row.
    page.get_by_role("button", name="保存").click()
    expect(flash(page, "已保存。报送前还须处理 1 项")).to_be_visible()
    expect(card(page, "报送前检查（1 项）")).to_contain_text(f"第1行「{RED_ROW}」为红灯")
    act(page, "报送")
    expect(page.locator("#workflow-actions").get_by_role("alert").first).to_contain_text(f"第1行「{RED_ROW}」为红灯")
    expect(heading(page)).to_contain_text("填报中")

    # 4. With the cause, reason and measures the report goes to the department.
    page.get_by_role("link", name="填报", exact=True).click()
    red = editor_row(page, RED_ROW)
    red.get_by_label("偏差原因类别").select_option(label="制度保障")
    red.get_by_label("偏差原因", exact=True).fill(REASON)
    type_in(page, red.get_by_label("纠偏措施"), MEASURES)
    expect(page.locator("#check-ok")).to_be_visible()
    page.get_by_role("button", name="保存").click()
    expect(flash(page, "已保存，检查通过，可以报送主管部门。")).to_be_visible()
    act(page, "报送")
    expect(heading(page)).to_contain_text("主管部门审核中")

    # 5. The department passes it to finance.
    login(city.reviewer)
    open_inbox_item(page, "绩效监控表待审核")
    page.get_by_role("link", name=NAME).click()
    expect(page.locator("#row-table")).to_contain_text(REASON)
    act(page, "审核通过", "同意报送财政")
    expect(heading(page)).to_contain_text("财政审核中")

    # 6. Finance accepts it with a rectification request, due in 7 working days.
    login(city.finance)
    open_inbox_item(page, "绩效监控表待审核")
    page.get_by_role("link", name=NAME).click()
    page.locator("#workflow-actions").get_by_label(re.compile("^整改要求")).fill("报送赶工计划和资金支付计划")
    act(page, "通过并要求整改", ISSUES)
    expect(heading(page)).to_contain_text("通过·须整改")
    rectification = Rectification.objects.get()
    expect(page.locator("#rectification-card")).to_contain_text(ISSUES)
    expect(page.locator("#rectification-card")).to_contain_text(f"{rectification.due_date:%Y-%m-%d}（7个工作日）")
    snap(page, "monitoring-2-accepted-with-rectification")

    # 7. The clerk answers with measures, outcome and evidence, and submits.
    login(city.clerk)
    open_inbox_item(page, "整改待报送")
    page.get_by_role("link", name=NAME).click()
    expect(page.locator("#rectification-due")).to_contain_text(f"{rectification.due_date.year}年")
    page.get_by_role("link", name="填写整改情况").click()
    page.get_by_label("整改措施").fill(MEASURES)
    page.get_by_label("整改情况").fill("已与施工单位签订赶工协议，10 月支付进度款 20 万元")
    page.get_by_role("button", name="保存").click()
    expect(flash(page, "已保存整改情况")).to_be_visible()
    pdf = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF"
    attachments = page.locator("[id^=attachments-rectification-]")
    attachments.locator("input[type=file]").set_input_files(
        {"name": "赶工计划.pdf", "mimeType": "application/pdf", "buffer": pdf}
    )
    attachments.get_by_role("button", name="上传").click()
    expect(attachments).to_contain_text("赶工计划.pdf")
    act(page, "报送整改情况")
    expect(heading(page)).to_contain_text("待确认")

    # 8. Finance confirms it.
    login(city.finance)
    open_inbox_item(page, "整改待确认")
    page.get_by_role("link", name=NAME).click()
    act(page, "确认整改完成", "整改措施具体，佐证材料齐全")
    expect(heading(page)).to_contain_text("已完成整改")
    history = card(page, "审核记录")
    for row, (step, decision) in enumerate((("待整改", "提交"), ("待确认", "确认"))):
        expect(history.locator("tbody tr").nth(row)).to_contain_text(step)
        expect(history.locator("tbody tr").nth(row)).to_contain_text(decision)
    expect(history).to_contain_text("整改措施具体，佐证材料齐全")

    # 9. The overview counts the red report, by department, with the chart drawn.
    login(city.office)
    page.get_by_role("link", name="双监控").click()
    page.get_by_role("link", name="2026年第三季度绩效监控").click()
    expect(page.locator("#count-reports")).to_have_text("1")
    expect(page.locator("#count-red")).to_have_text("1")
    department = page.locator("#department-table tbody tr").filter(has_text="示例市教育局")
    expect(department).to_contain_text("60%")
    expect(page.locator("#execution-chart svg")).to_be_visible()
    snap(page, "monitoring-3-overview")

    report = MonitoringReport.objects.get()
    assert (report.status, report.light, report.paid_to_date) == ("accepted_rectify", "red", Decimal("600000.00"))
    assert Rectification.objects.get().attachments.get().original_name == "赶工计划.pdf"
    assert without_aborted_checks(problems) == []
