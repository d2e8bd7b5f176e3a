"""Target pages (DESIGN §2.3, §2.8) for every persona: allowed, forbidden (403 with the reason), out
of scope (404); the journey from the project page to an approved, locked sheet and its adjustment;
batch approval; expert review of key projects; the library; the admin lock; fixed query counts."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from targets import services
from targets.choices import LEVEL2_PARENT, Level1, Level2, SheetStatus, TemplateScope, TemplateStatus
from targets.models import LOCKED_MESSAGE, Indicator, IndicatorTemplate, TargetSheet
from workflow.inbox import inbox_for
from workflow.models import AuditEvent, ReviewRecord
from workflow.services import perform_transition

from . import factories as f
from .test_project_pages import ROLES, assert_answer, user_of
from .test_target_editor import editor_data, page_text, with_changes


@pytest.fixture
def sheet(city):
    """A draft sheet of unit_a1 (a continuing project: no pre-assessment needed)."""
    project = f.ProjectFactory(fiscal_year=city.year, unit=city.unit_a1, name="校舍改造工程")
    return f.TargetSheetFactory(project=project, rows=True)


def approve_through(sheet, city):
    perform_transition(sheet, "submit", city.clerk)
    perform_transition(sheet, "approve", city.reviewer)
    perform_transition(sheet, "approve", city.finance)
    perform_transition(sheet, "approve", city.office, "同意，与预算同步批复")
    sheet.refresh_from_db()
    return sheet


def at_step(sheet, status):
    TargetSheet.objects.filter(pk=sheet.pk).update(status=status)
    sheet.refresh_from_db()
    return sheet


def transition(client, sheet, action, **data):
    return client.post(reverse("targets:sheet_transition", args=[sheet.pk, action]), data, follow=True)


# --- who sees what ----------------------------------------------------------------------------

ALL_SEE = dict.fromkeys(ROLES, 200) | {"anonymous": "login"}
# The sheet belongs to unit_a1 of dept_a; the expert was not assigned it, agencies never see targets.
IN_SCOPE = {
    "clerk": 200, "reviewer": 200, "other_clerk": 404, "finance": 200, "office": 200,
    "expert": 404, "evaluator": 404, "auditor": 200, "anonymous": "login",
}
CLERK_ONLY = {
    "clerk": 200, "reviewer": 403, "other_clerk": 404, "finance": 403, "office": 403,
    "expert": 404, "evaluator": 404, "auditor": 403, "anonymous": "login",
}
OFFICE_ONLY = dict.fromkeys(ROLES, 403) | {"office": 200, "anonymous": "login"}
PROPOSERS = OFFICE_ONLY | {"office": 403, "clerk": 200, "reviewer": 200, "other_clerk": 200}


def get(client_for, city, role, url, **params):
    return client_for(user_of(city, role)).get(url, params)


@pytest.mark.parametrize("role", ROLES)
def test_sheet_list(client_for, city, sheet, role):
    response = get(client_for, city, role, reverse("targets:sheet_list"))
    assert_answer(response, ALL_SEE[role])
    if response.status_code == 200:
        assert (sheet.project.name in response.content.decode()) == (IN_SCOPE[role] == 200)


@pytest.mark.parametrize("role", ROLES)
def test_sheet_detail(client_for, city, sheet, role):
    assert_answer(get(client_for, city, role, sheet.get_absolute_url()), IN_SCOPE[role])


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("url_name", ["targets:sheet_edit", "targets:sheet_row"])
def test_sheet_editor_pages(client_for, city, sheet, role, url_name):
    response = get(client_for, city, role, reverse(url_name, args=[sheet.pk]))
    assert_answer(response, CLERK_ONLY[role])
    if response.status_code == 403:
        assert "绩效目标由项目单位填报" in response.content.decode()


@pytest.mark.parametrize("role", ROLES)
def test_sheet_check_endpoint(client_for, city, sheet, role):
    client = client_for(user_of(city, role))
    response = client.post(reverse("targets:sheet_check", args=[sheet.pk]), editor_data(f.VALID_ROWS))
    assert_answer(response, CLERK_ONLY[role])


@pytest.mark.parametrize("role", ROLES)
def test_sheet_adjust_page(client_for, city, sheet, role):
    approve_through(sheet, city)
    response = get(client_for, city, role, reverse("targets:sheet_adjust", args=[sheet.pk]))
    assert_answer(response, CLERK_ONLY[role])


@pytest.mark.parametrize("role", ROLES)
def test_sheet_diff_page(client_for, city, sheet, role):
    approve_through(sheet, city)
    v2 = services.request_adjustment(sheet, city.clerk, "调整")
    response = get(client_for, city, role, reverse("targets:sheet_diff", args=[sheet.pk, v2.pk]))
    assert_answer(response, IN_SCOPE[role])


@pytest.mark.parametrize("role", ROLES)
def test_create_sheet_from_the_project(client_for, city, role):
    project = f.ProjectFactory(fiscal_year=city.year, unit=city.unit_a1)
    response = client_for(user_of(city, role)).post(reverse("targets:sheet_create", args=[project.pk]))
    expected = CLERK_ONLY[role]
    if expected == 200:
        created = TargetSheet.objects.get(project=project)
        assert response.status_code == 302 and response["Location"] == reverse("targets:sheet_edit", args=[created.pk])
    else:
        assert_answer(response, expected)
        assert not TargetSheet.objects.filter(project=project).exists()


@pytest.mark.parametrize("role", ROLES)
def test_library_pages(client_for, city, role):
    template = f.IndicatorTemplateFactory(name="学位新增数")
    response = get(client_for, city, role, reverse("targets:library"))
    assert_answer(response, ALL_SEE[role])
    if response.status_code == 200:
        assert "学位新增数" in response.content.decode()
    assert_answer(get(client_for, city, role, reverse("targets:library_search"), q="学位"), ALL_SEE[role])
    assert_answer(get(client_for, city, role, reverse("targets:template_create")), OFFICE_ONLY[role])
    assert_answer(get(client_for, city, role, reverse("targets:template_edit", args=[template.pk])), OFFICE_ONLY[role])
    response = get(client_for, city, role, reverse("targets:template_propose"))
    assert_answer(response, PROPOSERS[role])


BATCH = dict.fromkeys(ROLES, 403) | {"reviewer": 200, "finance": 200, "office": 200, "anonymous": "login"}


@pytest.mark.parametrize("role", ROLES)
def test_batch_approval_is_for_reviewers(client_for, city, sheet, role):
    at_step(sheet, SheetStatus.DEPT_REVIEW)
    response = client_for(user_of(city, role)).post(reverse("targets:batch_approve"), {"sheets": [sheet.pk]})
    assert_answer(response, BATCH[role])
    sheet.refresh_from_db()
    assert (sheet.status == SheetStatus.FINANCE_REVIEW) == (role == "reviewer")


def test_every_target_url_sends_the_public_to_the_login_page(client_for, city, sheet):
    client = client_for(None)
    for url in (
        reverse("targets:sheet_list"), sheet.get_absolute_url(), reverse("targets:sheet_edit", args=[sheet.pk]),
        reverse("targets:library"), reverse("targets:library_search"),
    ):
        assert_answer(client.get(url), "login")
    assert_answer(client.post(reverse("targets:sheet_transition", args=[sheet.pk, "submit"])), "login")


def test_an_agency_evaluator_sees_nothing(client_for, city, sheet):
    client = client_for(city.evaluator)
    page = page_text(client.get(reverse("targets:sheet_list")))
    assert "没有符合条件的绩效目标表" in page and sheet.project.name not in page
    for action in ("submit", "approve"):
        assert client.post(reverse("targets:sheet_transition", args=[sheet.pk, action])).status_code == 404
    assert client.post(reverse("targets:expert_review", args=[sheet.pk]), {"score": "90"}).status_code == 404


def test_a_clerk_of_another_department_gets_404_on_every_sheet_url(client_for, city, sheet):
    client = client_for(city.other_clerk)
    for url in (
        sheet.get_absolute_url(),
        reverse("targets:sheet_edit", args=[sheet.pk]),
        reverse("targets:sheet_row", args=[sheet.pk]),
        reverse("targets:sheet_adjust", args=[sheet.pk]),
    ):
        assert client.get(url).status_code == 404
    assert client.post(reverse("targets:sheet_transition", args=[sheet.pk, "submit"])).status_code == 404
    assert client.post(reverse("targets:sheet_edit", args=[sheet.pk]), editor_data(f.VALID_ROWS)).status_code == 404


def test_transitions_are_post_only(client_for, city, sheet):
    assert client_for(city.clerk).get(reverse("targets:sheet_transition", args=[sheet.pk, "submit"])).status_code == 405
    assert client_for(city.reviewer).get(reverse("targets:batch_approve")).status_code == 405


# --- the journey -------------------------------------------------------------------------------


def library_rows():
    """8 rows picked from the library: 4 output, 3 effect, 1 satisfaction; weights 50/30/10."""
    specs = [
        (Level2.QUANTITY, "新建教室数量", "间", "20", "15"),
        (Level2.QUANTITY, "改造运动场面积", "平方米", "3000", "10"),
        (Level2.QUALITY, "工程验收合格率", "%", "100", "15"),
        (Level2.TIMELINESS, "按期完工率", "%", "100", "10"),
        (Level2.SOCIAL, "新增学位数", "个", "900", "15"),
        (Level2.SOCIAL, "大班额比例下降", "百分点", "5", "10"),
        (Level2.SUSTAINABILITY, "设施使用年限", "年", "20", "5"),
        (Level2.SERVICE_SATISFACTION, "学生家长满意度", "%", "90", "10"),
    ]
    rows = []
    for level2, name, unit, value, weight in specs:
        template = f.IndicatorTemplateFactory(
            name=name, level1=LEVEL2_PARENT[level2], level2=level2, unit=unit, suggested_value=value
        )
        rows.append({"level2": level2, "name": name, "comparator": "gte", "target_value": value, "unit": unit,
                     "weight": weight, "template": str(template.pk)})
    return rows


def test_the_journey_from_the_project_page_to_an_adjusted_second_version(client_for, city):
    clerk, reviewer = client_for(city.clerk), client_for(city.reviewer)
    finance, office = client_for(city.finance), client_for(city.office)
    project = f.ProjectFactory(fiscal_year=city.year, unit=city.unit_a1, name="智慧校园建设")
    rows = library_rows()

    # The project page offers 填报绩效目标; the clerk lands in the editor.
    page = page_text(clerk.get(project.get_absolute_url()))
    assert "绩效目标" in page and "填报绩效目标" in page
    assert "填报绩效目标" not in page_text(reviewer.get(project.get_absolute_url()))
    response = clerk.post(reverse("targets:sheet_create", args=[project.pk]), follow=True)
    sheet = TargetSheet.objects.get(project=project)
    assert "已创建绩效目标表" in page_text(response)

    # A library row comes prefilled; the clerk builds 8 rows and gets the weight error.
    row = clerk.get(reverse("targets:sheet_row", args=[sheet.pk]), {"template": rows[0]["template"]})
    assert 'value="新建教室数量"' in row.content.decode()
    wrong = with_changes(rows, 学生家长满意度={"weight": "5"})
    response = clerk.post(reverse("targets:sheet_edit", args=[sheet.pk]), editor_data(wrong), follow=True)
    assert "指标权重合计应为 90，当前为 85" in page_text(response)
    assert "尚有" in page_text(transition(clerk, sheet, "submit"))  # refused, still a draft
    sheet.refresh_from_db()
    assert sheet.status == SheetStatus.DRAFT and sheet.indicators.count() == 8

    # Fixed; submitted; the department returns it with an opinion the clerk then reads.
    clerk.post(reverse("targets:sheet_edit", args=[sheet.pk]), editor_data(rows))
    assert "已提交" in page_text(transition(clerk, sheet, "submit", opinion="请审核"))
    assert "须填写意见" in page_text(transition(reviewer, sheet, "return"))
    transition(reviewer, sheet, "return", opinion="大班额比例指标请改为可量化口径")
    assert "大班额比例指标请改为可量化口径" in page_text(clerk.get(sheet.get_absolute_url()))

    # Fix, resubmit; department, finance (in a batch) and the performance office approve.
    fixed = with_changes(rows, 大班额比例下降={"note": "按教育统计口径"})
    clerk.post(reverse("targets:sheet_edit", args=[sheet.pk]), editor_data(fixed))
    transition(clerk, sheet, "submit")
    assert "已通过" in page_text(transition(reviewer, sheet, "approve"))
    response = finance.post(reverse("targets:batch_approve"), {"sheets": [sheet.pk], "opinion": "同意"})
    assert "通过 1 张" in page_text(response)
    refused = page_text(transition(finance, sheet, "approve"))
    assert "您的角色不能执行“批复”" in refused
    assert "已批复" in page_text(transition(office, sheet, "approve", opinion="与预算同步批复"))

    # 已批复, locked, with its history; an edit attempt is refused.
    sheet.refresh_from_db()
    page = page_text(clerk.get(sheet.get_absolute_url()))
    assert sheet.status == SheetStatus.APPROVED and "已批复" in page and "已锁定" in page and LOCKED_MESSAGE in page
    assert [r.decision for r in ReviewRecord.objects.for_object(sheet)] == [
        "提交", "退回", "提交", "通过", "通过", "批复"
    ]
    assert "大班额比例指标请改为可量化口径" in page and "与预算同步批复" in page
    response = clerk.get(reverse("targets:sheet_edit", args=[sheet.pk]))
    assert response.status_code == 403 and LOCKED_MESSAGE in response.content.decode()

    # An adjustment: reason → version 2 in the editor → the same chain → version 2 in force.
    assert "申请调整" in page
    response = clerk.post(reverse("targets:sheet_adjust", args=[sheet.pk]), {"reason": "建设内容调整，学位数下调"})
    v2 = TargetSheet.objects.get(project=project, version=2)
    assert response["Location"] == reverse("targets:sheet_edit", args=[v2.pk])
    assert "申请调整" not in page_text(clerk.get(sheet.get_absolute_url()))  # one at a time
    adjusted = with_changes(fixed, 新增学位数={"target_value": "800"})
    adjusted = [r for r in adjusted if r["name"] != "设施使用年限"] + [
        {"level2": Level2.ECOLOGICAL, "name": "节能改造节电率", "comparator": "gte", "target_value": "10",
         "unit": "%", "weight": "5"}
    ]
    clerk.post(reverse("targets:sheet_edit", args=[v2.pk]), editor_data(adjusted))
    transition(clerk, v2, "submit")
    transition(reviewer, v2, "approve")
    transition(finance, v2, "approve")
    transition(office, v2, "approve")
    sheet.refresh_from_db()
    v2.refresh_from_db()
    assert (v2.status, v2.is_current, sheet.status, sheet.is_current) == (
        SheetStatus.APPROVED, True, SheetStatus.SUPERSEDED, False
    )

    # Both versions stay readable; the diff shows what changed.
    page = page_text(clerk.get(v2.get_absolute_url()))
    assert "第1版" in page and "第2版" in page and "与第1版对比" in page
    diff = clerk.get(reverse("targets:sheet_diff", args=[sheet.pk, v2.pk]))
    html = diff.content.decode()
    text = page_text(diff)
    assert "新增 1 行" in text and "删除 1 行" in text and "修改 1 行" in text
    assert re.search(r"指标值 ?： ?≥900个 ?→ ?≥800个", text)
    assert re.search(r'class="diff-added table-success">.*?节能改造节电率', html, re.S)
    assert re.search(r'class="diff-removed table-danger">.*?设施使用年限', html, re.S)
    assert "建设内容调整，学位数下调" in text
    # The project page shows the version in force.
    assert "第2版" in page_text(clerk.get(project.get_absolute_url()))


def test_a_finance_reviewer_cannot_take_the_performance_offices_step(client_for, city, sheet):
    at_step(sheet, SheetStatus.OFFICE_REVIEW)
    client = client_for(city.finance)
    assert "您的角色不能执行“批复”。" in page_text(transition(client, sheet, "approve"))
    results = page_text(client.post(reverse("targets:batch_approve"), {"sheets": [sheet.pk]}))
    assert "未通过 1 张" in results and "您的角色不能执行“批复”。" in results
    sheet.refresh_from_db()
    assert sheet.status == SheetStatus.OFFICE_REVIEW
    # The page shows her no approve button at that step either.
    assert "批复</button>" not in client.get(sheet.get_absolute_url()).content.decode()


# --- batch approval ---------------------------------------------------------------------------


def test_batch_approval_lists_each_result_and_writes_one_record_each(client_for, city):
    at_finance = [
        at_step(f.TargetSheetFactory(project__fiscal_year=city.year, project__unit=unit, rows=True),
                SheetStatus.FINANCE_REVIEW)
        for unit in (city.unit_a1, city.unit_a2, city.unit_b1)
    ]
    draft = f.TargetSheetFactory(project__fiscal_year=city.year, project__unit=city.unit_a1, rows=True)
    client = client_for(city.finance)
    page = client.get(reverse("targets:sheet_list")).content.decode()
    for s in at_finance:
        assert f'name="sheets" value="{s.pk}"' in page
    assert f'name="sheets" value="{draft.pk}"' not in page and "批量审核通过" in page

    ids = [s.pk for s in at_finance] + [draft.pk, 999999]
    response = client.post(reverse("targets:batch_approve"), {"sheets": ids, "opinion": "同意"})
    text = page_text(response)
    assert "共 5 张：通过 3 张，未通过 2 张" in text
    assert "当前状态为“填报中”，不能执行“审核通过”。" in text and "未找到该记录。" in text
    for s in at_finance:
        s.refresh_from_db()
        assert s.status == SheetStatus.OFFICE_REVIEW
        assert ReviewRecord.objects.for_object(s).get().opinion == "同意"


def test_batch_approval_without_a_selection_or_with_junk_is_a_message(client_for, city):
    client = client_for(city.reviewer)
    response = client.post(reverse("targets:batch_approve"), {"sheets": ["x", ""]}, follow=True)
    assert "请先勾选要审核通过的绩效目标表" in page_text(response)


def test_clerks_see_no_batch_checkboxes(client_for, city, sheet):
    page = client_for(city.clerk).get(reverse("targets:sheet_list")).content.decode()
    assert 'name="sheets"' not in page and "批量审核通过" not in page


# --- list filters and versions ----------------------------------------------------------------


def test_the_list_hides_superseded_versions_unless_asked_and_filters(client_for, city, sheet):
    approve_through(sheet, city)
    v2 = services.request_adjustment(sheet, city.clerk, "调整")
    approve_through(v2, city)
    other = f.TargetSheetFactory(project__fiscal_year=city.year, project__unit=city.unit_a2, project__is_key=True)
    client = client_for(city.reviewer)
    url = reverse("targets:sheet_list")
    page = page_text(client.get(url))
    html = client.get(url).content.decode()
    superseded_badge = ">已被调整替代</span>"
    assert html.count(sheet.project.name) == 1 and superseded_badge not in html and "v2" in page
    assert superseded_badge in client.get(url, {"versions": "all"}).content.decode()
    keyed = page_text(client.get(url, {"is_key": "true"}))
    assert other.project.name in keyed and sheet.project.name not in keyed
    by_status = page_text(client.get(url, {"status": SheetStatus.DRAFT}))
    assert other.project.name in by_status and sheet.project.name not in by_status
    by_year = page_text(client.get(url, {"year": "2025"}))
    assert "没有符合条件的绩效目标表" in by_year
    assert client.get(url, {"year": "abc", "page": "x", "department": "zz"}).status_code == 200


# --- expert review of key projects -----------------------------------------------------------


@pytest.fixture
def key_sheet(city, sheet):
    type(sheet.project).objects.filter(pk=sheet.project.pk).update(is_key=True)
    sheet.refresh_from_db()
    return at_step(sheet, SheetStatus.OFFICE_REVIEW)


def test_the_office_sends_a_key_sheet_to_experts_who_score_it(client_for, city, key_sheet):
    office, expert = client_for(city.office), client_for(city.expert_user)
    page = page_text(office.get(key_sheet.get_absolute_url()))
    assert "送专家评审" in page and "来自示例市教育局的专家须回避" in page
    assert expert.get(key_sheet.get_absolute_url()).status_code == 404  # not assigned yet

    # The generic button is not a way round choosing experts.
    transition(office, key_sheet, "send_to_experts")
    key_sheet.refresh_from_db()
    assert key_sheet.status == SheetStatus.OFFICE_REVIEW

    conflicted = f.ExpertFactory(name="王回避", own_department=city.dept_a)
    url = reverse("targets:send_to_experts", args=[key_sheet.pk])
    assert "须回避" in page_text(office.post(url, {"experts": [conflicted.pk]}, follow=True))
    response = office.post(url, {"experts": [city.expert.pk], "opinion": "请评审"}, follow=True)
    assert "已送专家评审" in page_text(response)
    key_sheet.refresh_from_db()
    assert key_sheet.status == SheetStatus.EXPERT_REVIEW

    # The assigned expert sees the sheet, scores it; a bad score is a message.
    page = page_text(expert.get(key_sheet.get_absolute_url()))
    assert "提交评审意见" in page and "待评审" in page
    review_url = reverse("targets:expert_review", args=[key_sheet.pk])
    response = expert.post(review_url, {"score": "120", "comment": "好"}, follow=True)
    assert "评分须为 0–100 之间的数字" in page_text(response)
    response = expert.post(review_url, {"score": "88", "comment": "指标设置合理"}, follow=True)
    assert "已提交评审意见" in page_text(response)
    key_sheet.refresh_from_db()
    assert key_sheet.status == SheetStatus.OFFICE_REVIEW

    # Others cannot score it; the office approves and the sheet is marked for publication.
    assert client_for(city.finance).post(review_url, {"score": "1", "comment": "x"}).status_code == 403
    page = page_text(office.get(key_sheet.get_absolute_url()))
    assert "88 分" in page and "指标设置合理" in page
    transition(office, key_sheet, "approve")
    key_sheet.refresh_from_db()
    assert key_sheet.publish and key_sheet.published_snapshot["project_name"] == "校舍改造工程"
    page = page_text(client_for(city.clerk).get(key_sheet.get_absolute_url()))
    assert "公开" in page and "信息公开" in page
    assert "公开" in page_text(client_for(city.clerk).get(reverse("targets:sheet_list")))


@pytest.mark.parametrize("role", ["clerk", "reviewer", "finance", "auditor"])
def test_only_the_office_sends_to_experts(client_for, city, key_sheet, role):
    response = client_for(city.users()[role]).post(
        reverse("targets:send_to_experts", args=[key_sheet.pk]), {"experts": [city.expert.pk]}
    )
    assert response.status_code == 403 and "只有财政绩效管理科可以送专家评审" in response.content.decode()
    assert not key_sheet.expert_reviews.exists()


# --- adjustments ------------------------------------------------------------------------------


def test_an_adjustment_needs_a_reason_and_an_approved_version_in_force(client_for, city, sheet):
    client = client_for(city.clerk)
    url = reverse("targets:sheet_adjust", args=[sheet.pk])
    response = client.post(url, {"reason": "改"}, follow=True)  # a draft is edited, not adjusted
    assert "只有已批复且现行有效的绩效目标表可以申请调整" in page_text(response)
    approve_through(sheet, city)
    response = client.post(url, {"reason": "  "})
    assert response.status_code == 200 and "该字段是必填项" in page_text(response)
    assert TargetSheet.objects.filter(project=sheet.project).count() == 1


def test_the_diff_of_two_projects_is_404(client_for, city, sheet):
    other = f.TargetSheetFactory(project__fiscal_year=city.year, project__unit=city.unit_a1)
    response = client_for(city.clerk).get(reverse("targets:sheet_diff", args=[sheet.pk, other.pk]))
    assert response.status_code == 404


# --- the indicator library --------------------------------------------------------------------


def test_the_library_groups_level1_then_level2_and_filters(client_for, city):
    f.IndicatorTemplateFactory(name="满意度甲", level1=Level1.SATISFACTION, level2=Level2.SERVICE_SATISFACTION)
    f.IndicatorTemplateFactory(name="效益甲", level1=Level1.EFFECT, level2=Level2.SOCIAL, field="health")
    f.IndicatorTemplateFactory(name="产出甲", level1=Level1.OUTPUT, level2=Level2.QUANTITY, scope=TemplateScope.COMMON)
    client = client_for(city.clerk)
    text = page_text(client.get(reverse("targets:library"))).split("数据来源 状态", 1)[1]  # the table
    headings = ("产出指标 数量指标", "效益指标 社会效益指标", "满意度指标 服务对象满意度指标")
    positions = [text.index(h) for h in headings]
    assert positions == sorted(positions)
    filtered = page_text(client.get(reverse("targets:library"), {"field": "health"}))
    assert "效益甲" in filtered and "产出甲" not in filtered
    assert "产出甲" in page_text(client.get(reverse("targets:library"), {"scope": "common"}))
    assert "满意度甲" in page_text(client.get(reverse("targets:library"), {"q": "满意度"}))


def test_the_office_creates_and_edits_templates(client_for, city):
    client = client_for(city.office)
    data = {"code": "", "name": "生均公用经费保障率", "level1": Level1.OUTPUT, "level2": Level2.COST,
            "scope": TemplateScope.FIELD, "field": "education", "comparator": "gte", "unit": "%",
            "suggested_value": "100", "data_source": "教育统计年报", "scoring_note": "达标得满分"}
    response = client.post(reverse("targets:template_create"), data, follow=True)
    template = IndicatorTemplate.objects.get(name="生均公用经费保障率")
    assert template.code.startswith("ZB") and template.status == TemplateStatus.CONFIRMED
    assert "已保存" in page_text(response)
    bad = client.post(reverse("targets:template_edit", args=[template.pk]), {**data, "level2": Level2.SOCIAL})
    assert "二级指标与一级指标不匹配" in page_text(bad)
    client.post(reverse("targets:template_edit", args=[template.pk]), {**data, "code": template.code, "unit": "％"})
    template.refresh_from_db()
    assert template.unit == "％" and template.level2 == Level2.COST
    assert AuditEvent.objects.filter(kind="update", object_type="targets.indicatortemplate").exists()


def test_a_department_proposes_and_the_office_confirms_or_rejects(client_for, city):
    data = {"name": "课后服务参与率", "level1": Level1.EFFECT, "level2": Level2.SOCIAL, "field": "education",
            "comparator": "gte", "unit": "%", "suggested_value": "80"}
    response = client_for(city.reviewer).post(reverse("targets:template_propose"), data, follow=True)
    assert "待财政绩效管理科确认" in page_text(response)
    proposal = IndicatorTemplate.objects.get(name="课后服务参与率")
    assert (proposal.status, proposal.proposed_by, proposal.scope) == (
        TemplateStatus.PROPOSED, city.dept_a, TemplateScope.FIELD
    )
    # Seen by its department and the office, not by others (nor offered in the editor's search).
    assert "课后服务参与率" in page_text(client_for(city.clerk).get(reverse("targets:library")))
    assert "课后服务参与率" not in page_text(client_for(city.other_clerk).get(reverse("targets:library")))
    search = reverse("targets:library_search")
    assert "课后服务参与率" not in page_text(client_for(city.clerk).get(search, {"q": "课后"}))
    office = client_for(city.office)
    assert "待确认提议" in page_text(office.get(reverse("targets:library")))
    # Only the office decides.
    response = client_for(city.reviewer).post(reverse("targets:template_confirm", args=[proposal.pk]))
    assert response.status_code == 403
    office.post(reverse("targets:template_confirm", args=[proposal.pk]))
    proposal.refresh_from_db()
    assert proposal.status == TemplateStatus.CONFIRMED
    assert "课后服务参与率" in page_text(client_for(city.other_clerk).get(search, {"q": "课后"}))
    # A decided template cannot be decided again.
    response = office.post(reverse("targets:template_reject", args=[proposal.pk]), follow=True)
    assert "只能确认或不采纳“待确认”的指标" in page_text(response)

    second = IndicatorTemplate.objects.create(
        code="P2", name="家校满意度", level1=Level1.SATISFACTION, level2=Level2.SERVICE_SATISFACTION,
        comparator="gte", status=TemplateStatus.PROPOSED, proposed_by=city.dept_a,
    )
    office.post(reverse("targets:template_reject", args=[second.pk]), {"opinion": "与现有指标重复"})
    second.refresh_from_db()
    assert second.status == TemplateStatus.REJECTED
    assert AuditEvent.objects.filter(object_id=str(second.pk), message="不采纳：与现有指标重复").exists()


# --- the admin keeps the lock -------------------------------------------------------------------


def test_the_admin_cannot_change_or_delete_an_approved_sheet(client_for, city, sheet):
    root = f.UserFactory(username="root", is_staff=True, is_superuser=True)
    client = client_for(root)
    draft_url = reverse("admin:targets_targetsheet_change", args=[sheet.pk])
    assert "_save" in client.get(draft_url).content.decode()  # a draft is editable there
    approve_through(sheet, city)
    page = client.get(draft_url)
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()
    response = client.post(draft_url, {"overall_goal": "改了", "indicators-TOTAL_FORMS": "0",
                                       "indicators-INITIAL_FORMS": "0", "expert_reviews-TOTAL_FORMS": "0",
                                       "expert_reviews-INITIAL_FORMS": "0"})
    assert response.status_code == 403
    delete = client.post(reverse("admin:targets_targetsheet_delete", args=[sheet.pk]), {"post": "yes"})
    assert delete.status_code == 403
    sheet.refresh_from_db()
    assert sheet.overall_goal != "改了" and sheet.indicators.count() == 4


# --- the project page ---------------------------------------------------------------------------


def test_the_project_page_shows_the_sheet_version_and_status(client_for, city, sheet):
    page = page_text(client_for(city.reviewer).get(sheet.project.get_absolute_url()))
    assert "绩效目标 第1版 填报中" in page and "查看绩效目标" in page
    lonely = f.ProjectFactory(fiscal_year=city.year, unit=city.unit_a1)
    assert "尚未填报" in page_text(client_for(city.reviewer).get(lonely.get_absolute_url()))


def _project_page_queries(client, project) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(project.get_absolute_url()).status_code == 200
    return len(queries)


def test_the_project_page_query_count_does_not_grow_with_versions(client_for, city, sheet):
    client = client_for(city.clerk)
    client.get(sheet.project.get_absolute_url())
    one = _project_page_queries(client, sheet.project)
    approve_through(sheet, city)
    for _ in range(3):
        current = TargetSheet.objects.get(project=sheet.project, is_current=True)
        approve_through(services.request_adjustment(current, city.clerk, "调"), city)
    assert _project_page_queries(client, sheet.project) == one


# --- query counts -------------------------------------------------------------------------------


def _list_queries(client, n_sheets, city) -> int:
    units = (city.unit_a1, city.unit_a2)
    for i in range(TargetSheet.objects.count(), n_sheets):
        s = f.TargetSheetFactory(project__fiscal_year=city.year, project__unit=units[i % 2], rows=True)
        if i % 3 == 0:
            at_step(s, SheetStatus.DEPT_REVIEW)
            Indicator.objects.filter(sheet=s, name="新建教室数量").update(last_year_actual=30)  # flagged
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("targets:sheet_list"))
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize("role", ["clerk", "reviewer", "finance", "office"])
def test_list_query_count_does_not_grow_with_sheets(client_for, city, role):
    client = client_for(city.users()[role])
    client.get(reverse("targets:sheet_list"))  # warm the session and content types
    small = _list_queries(client, 10, city)
    large = _list_queries(client, 60, city)
    assert small == large


def _detail_queries(client, sheet, n_rows) -> int:
    existing = sheet.indicators.count()
    Indicator.objects.bulk_create(
        Indicator(sheet=sheet, position=i, level1=Level1.OUTPUT, level2=Level2.QUANTITY, name=f"指标{i}",
                  comparator="gte", target_value=10, unit="个", weight=1, last_year_actual=20 if i % 2 else None)
        for i in range(existing + 1, n_rows + 1)
    )
    with CaptureQueriesContext(connection) as queries:
        response = client.get(sheet.get_absolute_url())
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize("role", ["clerk", "reviewer", "office"])
def test_sheet_page_query_count_does_not_grow_with_rows(client_for, city, sheet, role):
    at_step(sheet, SheetStatus.DEPT_REVIEW if role != "office" else SheetStatus.OFFICE_REVIEW)
    client = client_for(city.users()[role])
    client.get(sheet.get_absolute_url())
    assert _detail_queries(client, sheet, 8) == _detail_queries(client, sheet, 40)


def test_the_editor_query_count_does_not_grow_with_rows(client_for, city, sheet):
    client = client_for(city.clerk)
    url = reverse("targets:sheet_edit", args=[sheet.pk])
    client.get(url)
    with CaptureQueriesContext(connection) as small:
        client.get(url)
    _detail_queries(client, sheet, 40)
    with CaptureQueriesContext(connection) as large:
        client.get(url)
    assert len(small) == len(large)


# --- 我的待办 -----------------------------------------------------------------------------------


def _items(user):
    return {item.label: item for item in inbox_for(user)}


def test_inbox_counts_and_links_for_each_role(client_for, city, sheet):
    at_step(f.TargetSheetFactory(project__fiscal_year=city.year, project__unit=city.unit_a1), SheetStatus.RETURNED)
    review = at_step(
        f.TargetSheetFactory(project__fiscal_year=city.year, project__unit=city.unit_a2), SheetStatus.DEPT_REVIEW
    )
    for status in (SheetStatus.DEPT_REVIEW, SheetStatus.FINANCE_REVIEW):  # another department's
        at_step(f.TargetSheetFactory(project__fiscal_year=city.year, project__unit=city.unit_b1), status)

    clerk = _items(city.clerk)
    assert clerk["绩效目标待填报"].count == 1 and clerk["绩效目标被退回"].count == 1
    assert clerk["绩效目标被退回"].url == reverse("targets:sheet_list") + "?status=returned"
    reviewer = _items(city.reviewer)
    assert reviewer["绩效目标待审核"].count == 1
    page = page_text(client_for(city.reviewer).get(reviewer["绩效目标待审核"].url))
    assert review.project.name in page and sheet.project.name not in page
    assert _items(city.finance)["绩效目标待审核"].count == 1
    assert "绩效目标待批复" not in _items(city.office)
    assert not any(label.startswith("绩效目标") for label in _items(city.evaluator))
    assert not any(label.startswith("绩效目标") for label in _items(city.auditor))


def test_inbox_query_count_does_not_grow_with_sheets(city):
    def queries(user):
        fresh = type(user).objects.get(pk=user.pk)
        with CaptureQueriesContext(connection) as captured:
            inbox_for(fresh)
        return len(captured)

    before = {role: queries(city.users()[role]) for role in ("clerk", "reviewer", "office", "expert")}
    for unit in (city.unit_a1, city.unit_a2, city.unit_b1) * 4:
        at_step(f.TargetSheetFactory(project__fiscal_year=city.year, project__unit=unit), SheetStatus.DEPT_REVIEW)
    assert {role: queries(city.users()[role]) for role in before} == before


def test_an_htmx_refusal_returns_the_action_panel_with_the_message_and_the_opinion(client_for, city, sheet):
    at_step(sheet, SheetStatus.DEPT_REVIEW)
    url = reverse("targets:sheet_transition", args=[sheet.pk, "return"])
    response = client_for(city.reviewer).post(url, {"opinion": " "}, HTTP_HX_REQUEST="true")
    page = response.content.decode()
    assert response.status_code == 200 and 'id="workflow-actions"' in page and "<html" not in page
    assert "“退回”须填写意见" in page and "审核通过" in page
    response = client_for(city.reviewer).post(url, {"opinion": "请补充测算"}, HTTP_HX_REQUEST="true")
    assert response["HX-Redirect"] == sheet.get_absolute_url()
    sheet.refresh_from_db()
    assert sheet.status == SheetStatus.RETURNED
