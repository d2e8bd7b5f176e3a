"""Targets through the API (DESIGN §2.3, §4): the journey to approval and adjustment, bad input,
expert review, batch approval, the indicator library, filters, and query counts."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from targets.choices import Comparator, Level1, Level2, SheetStatus, TemplateStatus
from targets.models import LOCKED_MESSAGE, ExpertReview, Indicator, TargetSheet
from workflow.models import AuditEvent, ReviewRecord

from . import factories as f

S = "/api/v1/target-sheets/"
T = "/api/v1/indicator-templates/"
R = "/api/v1/expert-reviews/"

LEVEL2_OF = {
    Level1.OUTPUT: Level2.QUANTITY, Level1.EFFECT: Level2.SOCIAL, Level1.SATISFACTION: Level2.SERVICE_SATISFACTION
}


def table(outputs=5, effects=2, satisfaction=1) -> list[dict]:
    """A valid year table under the default 50/30/10 split (the counts must divide the split)."""
    rows = []
    for level1, count, total in ((Level1.OUTPUT, outputs, 50), (Level1.EFFECT, effects, 30),
                                 (Level1.SATISFACTION, satisfaction, 10)):
        for n in range(count):
            rows.append({
                "level1": level1, "level2": LEVEL2_OF[level1], "name": f"{Level1(level1).label}{n + 1}",
                "comparator": Comparator.GTE, "target_value": "90", "unit": "%",
                "weight": str(Decimal(total) / count),
            })
    return rows


@pytest.fixture
def sheet(city):
    project = f.ProjectFactory(fiscal_year=city.year, unit=city.unit_a1)  # continuing: no pre-assessment
    return f.TargetSheetFactory(project=project, rows=True, created_by=city.clerk)


def post(client, url, body=None):
    return client.post(url, body or {}, format="json")


def approve_through(city, api, url):
    for user in (city.reviewer, city.finance, city.office):
        response = post(api(user), url + "approve/", {"opinion": "同意"})
        assert response.status_code == 200, response.json()
    return response


# --- the journey ----------------------------------------------------------------------------


def test_the_whole_target_journey_through_the_api(city, api):
    clerk, reviewer, finance = api(city.clerk), api(city.reviewer), api(city.finance)
    project = f.ProjectFactory(fiscal_year=city.year, unit=city.unit_a1, name="智慧校园建设")

    created = post(clerk, S, {"project": project.pk})
    assert created.status_code == 201, created.json()
    assert (created.json()["version"], created.json()["status"]) == (1, SheetStatus.DRAFT)
    url = f"{S}{created.json()['id']}/"

    # Eight rows with a weight wrong: saved (a draft may be incomplete), the problems say which.
    rows = table()
    rows[0]["weight"] = "5"
    saved = clerk.put(url, {"overall_goal": "建成智慧校园", "rows": rows}, format="json")
    assert saved.status_code == 200, saved.json()
    assert len(saved.json()["object"]["indicators"]) == 8 and saved.json()["object"]["weight_total"] == "85.00"
    messages = [p["message"] for p in saved.json()["problems"]]
    assert "指标权重合计应为 90，当前为 85。" in messages and "产出指标权重合计应为 50，当前为 45。" in messages
    refused = post(clerk, url + "submit/")
    assert refused.status_code == 400 and "指标权重合计应为 90，当前为 85" in refused.json()["detail"]

    rows[0]["weight"] = "10"
    fixed = clerk.patch(url, {"rows": rows}, format="json")
    assert fixed.status_code == 200 and fixed.json()["problems"] == []
    assert fixed.json()["object"]["overall_goal"] == "建成智慧校园"  # PATCH keeps what it does not name
    submitted = post(clerk, url + "submit/")
    assert submitted.status_code == 200 and submitted.json()["object"]["status"] == SheetStatus.DEPT_REVIEW

    # The department returns it: an opinion is required, and the clerk sees it in the history.
    assert post(reviewer, url + "return/", {"opinion": " "}).status_code == 400
    returned = post(reviewer, url + "return/", {"opinion": "效益指标不够具体"})
    assert returned.json()["object"]["status"] == SheetStatus.RETURNED
    assert clerk.get(url + "history/").json()[-1]["opinion"] == "效益指标不够具体"
    rows[5]["name"] = "学生信息化素养提升率"
    assert clerk.patch(url, {"rows": rows}, format="json").status_code == 200
    assert post(clerk, url + "submit/").status_code == 200

    for user, then in ((reviewer, SheetStatus.FINANCE_REVIEW), (finance, SheetStatus.OFFICE_REVIEW)):
        assert post(user, url + "approve/", {"opinion": "同意"}).json()["object"]["status"] == then
    # The next step is the performance office's: finance is told so, and nothing moves.
    not_hers = post(finance, url + "approve/", {"opinion": "同意"})
    assert not_hers.status_code == 403 and not_hers.json()["detail"] == "您的角色不能执行“批复”。"
    approved = post(api(city.office), url + "approve/", {"opinion": "与预算同步批复"})
    v1 = approved.json()["object"]
    assert (v1["status"], v1["status_display"], v1["is_locked"], v1["is_current"]) == (
        SheetStatus.APPROVED, "已批复", True, True
    )
    assert approved.json()["record"]["step"] == "绩效管理科审核中"

    # Locked: the clerk's edit is refused with the lock message.
    locked = clerk.patch(url, {"overall_goal": "改"}, format="json")
    assert (locked.status_code, locked.json()["detail"]) == (409, LOCKED_MESSAGE)

    # An adjustment is version 2: it runs through the same chain and replaces version 1.
    adjusted = post(clerk, url + "adjust/", {"reason": "实施方案调整，覆盖率下调"})
    assert adjusted.status_code == 201, adjusted.json()
    v2 = adjusted.json()
    assert (v2["version"], v2["status"], v2["adjustment_of"], v2["is_current"]) == (2, "draft", v1["id"], False)
    assert [s["id"] for s in clerk.get(S, {"adjustment": "true"}).json()["results"]] == [v2["id"]]
    v2_url = f"{S}{v2['id']}/"
    rows[0]["target_value"] = "80"
    assert clerk.patch(v2_url, {"rows": rows}, format="json").status_code == 200
    assert post(clerk, v2_url + "submit/").status_code == 200
    approve_through(city, api, v2_url)

    assert clerk.get(url).json()["status"] == SheetStatus.SUPERSEDED
    assert [(v["version"], v["is_current"]) for v in clerk.get(url + "versions/").json()] == [(1, False), (2, True)]
    diff = clerk.get(f"{v2_url}diff/{v1['id']}/").json()
    assert (diff["old"]["version"], diff["new"]["version"], diff["changed"], diff["added"]) == (1, 2, 1, 0)
    changed = next(r for r in diff["rows"] if r["kind"] == "changed")
    assert changed["changes"] == [{"label": "指标值", "old": "≥90%", "new": "≥80%"}]
    # The same comparison whichever version is named first.
    assert clerk.get(f"{url}diff/{v2['id']}/").json()["rows"] == diff["rows"]
    assert [s["version"] for s in clerk.get(S, {"is_current": "true"}).json()["results"]] == [2]


# --- bad input changes nothing --------------------------------------------------------------


def test_unreadable_rows_are_refused_with_each_rows_message_and_nothing_is_written(city, api, sheet):
    before = list(sheet.indicators.values_list("name", "weight"))
    rows = table()
    rows[0]["level1"] = "output-ish"
    rows[2]["target_value"] = "二十"
    rows[6]["weight"] = "三十"
    response = api(city.clerk).put(f"{S}{sheet.pk}/", {"overall_goal": "新目标", "rows": rows}, format="json")
    assert response.status_code == 400
    detail = response.json()["detail"]
    assert "第1行：请选择一级指标。" in detail and "第3行：指标值须为数字（当前为“二十”）" in detail
    assert "第7行：权重须为数字" in detail
    sheet.refresh_from_db()
    assert list(sheet.indicators.values_list("name", "weight")) == before
    assert sheet.overall_goal != "新目标"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"rows": "全部"}, "rows"),
        ({"rows": [["产出", "数量"]]}, "rows"),
        ({"overall_goal": ["a"]}, "overall_goal"),
    ],
)
def test_a_malformed_body_is_400_on_its_field(city, api, sheet, body, field):
    response = api(city.clerk).patch(f"{S}{sheet.pk}/", body, format="json")
    assert response.status_code == 400 and field in response.json()
    assert sheet.indicators.count() == 4


def test_a_template_the_clerk_cannot_see_cannot_be_linked(city, api, sheet):
    hidden = f.IndicatorTemplateFactory(status=TemplateStatus.PROPOSED, proposed_by=city.dept_b)
    rows = table()
    rows[0]["template"] = hidden.pk
    response = api(city.clerk).patch(f"{S}{sheet.pk}/", {"rows": rows}, format="json")
    assert response.status_code == 400 and str(hidden.pk) in str(response.json()["rows"])
    own = f.IndicatorTemplateFactory()
    rows[0]["template"] = own.pk
    linked = api(city.clerk).patch(f"{S}{sheet.pk}/", {"rows": rows}, format="json")
    assert linked.status_code == 200 and linked.json()["object"]["indicators"][0]["template"] == own.pk


def test_a_second_sheet_for_a_project_is_refused(city, api, sheet):
    response = post(api(city.clerk), S, {"project": sheet.project.pk})
    assert response.status_code == 400 and "已有绩效目标表" in response.json()["detail"]
    assert post(api(city.clerk), S, {"project": "第一个"}).status_code == 400
    assert TargetSheet.objects.count() == 1


def test_an_adjustment_needs_an_approved_current_sheet_and_a_reason(city, api, sheet):
    url = f"{S}{sheet.pk}/adjust/"
    assert post(api(city.clerk), url, {"reason": "调整"}).status_code == 400  # still a draft
    TargetSheet.objects.filter(pk=sheet.pk).update(status=SheetStatus.APPROVED)
    blank = post(api(city.clerk), url, {"reason": "  "})
    assert blank.status_code == 400 and "reason" in blank.json()
    assert post(api(city.clerk), url, {"reason": "调整"}).status_code == 201
    again = post(api(city.clerk), url, {"reason": "再调整"})
    assert again.status_code == 400 and "进行中的调整申请" in again.json()["detail"]
    assert TargetSheet.objects.count() == 2


def test_diff_names_a_version_of_the_same_project(city, api, sheet):
    other = f.TargetSheetFactory(project=f.ProjectFactory(fiscal_year=city.year, unit=city.unit_a1))
    elsewhere = f.TargetSheetFactory(project=f.ProjectFactory(fiscal_year=city.year, unit=city.unit_b1))
    clerk = api(city.clerk)
    assert clerk.get(f"{S}{sheet.pk}/diff/{other.pk}/").status_code == 400
    assert clerk.get(f"{S}{sheet.pk}/diff/{elsewhere.pk}/").status_code == 404  # out of scope: unknown
    assert clerk.get(f"{S}{sheet.pk}/diff/999999/").status_code == 404


def test_problems_lists_the_checks_with_rows_and_the_too_low_flag(city, api, sheet):
    Indicator.objects.filter(sheet=sheet, name="新增学位数").update(last_year_actual=Decimal("1200"))
    Indicator.objects.filter(sheet=sheet, name="新建教室数量").update(unit="")
    problems = api(city.reviewer).get(f"{S}{sheet.pk}/problems/").json()
    assert {"message": "第1行「新建教室数量」：定量指标须填写计量单位。", "row": 1, "blocking": True} in problems
    flag = next(p for p in problems if not p["blocking"])
    assert flag["row"] == 3 and "目标偏低" in flag["message"]
    detail = api(city.reviewer).get(f"{S}{sheet.pk}/").json()
    assert [bool(row["too_low"]) for row in detail["indicators"]] == [False, False, True, False]


# --- expert review, batch approval ----------------------------------------------------------


def test_a_key_project_goes_to_experts_who_score_it(city, api, sheet):
    sheet.project.is_key = True
    sheet.project.save()
    TargetSheet.objects.filter(pk=sheet.pk).update(status=SheetStatus.OFFICE_REVIEW)
    office, url = api(city.office), f"{S}{sheet.pk}/"
    assert [a["action"] for a in office.get(url + "actions/").json()] == ["send_to_experts", "approve", "return"]

    conflicted = f.ExpertFactory(name="王专家", own_department=city.dept_a)
    recused = post(office, url + "send_to_experts/", {"experts": [conflicted.pk]})
    assert recused.status_code == 400 and "王专家来自项目主管部门，须回避" in recused.json()["detail"]
    assert post(office, url + "send_to_experts/", {"experts": []}).status_code == 400
    early = post(office, url + "approve/")
    assert early.status_code == 400 and "专家评审" in early.json()["detail"]
    assert not ExpertReview.objects.exists() and ReviewRecord.objects.for_object(sheet).count() == 0

    sent = post(office, url + "send_to_experts/", {"experts": [city.expert.pk], "opinion": "请专家评审"})
    assert sent.status_code == 200 and sent.json()["object"]["status"] == SheetStatus.EXPERT_REVIEW
    assert sent.json()["record"]["decision"] == "送专家评审"

    expert = api(city.expert_user)
    assert expert.get(url).status_code == 200  # the sheet given to him
    mine = expert.get(R).json()["results"]
    assert [(r["sheet"], r["is_submitted"]) for r in mine] == [(sheet.pk, False)]
    review_url = f"{R}{mine[0]['id']}/submit/"
    bad = post(expert, review_url, {"score": "一百二", "comment": "好"})
    assert bad.status_code == 400 and "score" in bad.json()
    no_comment = post(expert, review_url, {"score": "88", "comment": ""})
    assert no_comment.status_code == 400 and "comment" in no_comment.json()
    done = post(expert, review_url, {"score": "88.5", "comment": "指标设置合理"})
    assert done.status_code == 200 and done.json()["score"] == "88.50"
    assert post(expert, review_url, {"score": "90", "comment": "再评"}).status_code == 400

    # The last score hands the sheet back to the office, which approves; a key project is published.
    assert office.get(url).json()["status"] == SheetStatus.OFFICE_REVIEW
    approved = post(office, url + "approve/", {"opinion": "批复"}).json()["object"]
    assert approved["status"] == SheetStatus.APPROVED and approved["publish"] is True
    assert [r["score"] for r in approved["expert_reviews"]] == ["88.50"]


def test_send_to_experts_is_only_for_key_projects(city, api, sheet):
    TargetSheet.objects.filter(pk=sheet.pk).update(status=SheetStatus.OFFICE_REVIEW)
    response = post(api(city.office), f"{S}{sheet.pk}/send_to_experts/", {"experts": [city.expert.pk]})
    assert response.status_code == 409 and "送专家评审" in response.json()["detail"]


def test_batch_approval_answers_each_sheet_and_records_each_step(city, api):
    def sheet_of(unit, status):
        project = f.ProjectFactory(fiscal_year=city.year, unit=unit)
        return f.TargetSheetFactory(project=project, rows=True, status=status)

    ready = [sheet_of(city.unit_a1, SheetStatus.FINANCE_REVIEW) for _ in range(3)]
    early = sheet_of(city.unit_a2, SheetStatus.DEPT_REVIEW)
    ids = [s.pk for s in ready] + [early.pk, 999999]
    response = post(api(city.finance), S + "batch-approve/", {"ids": ids, "opinion": "同意"})
    assert response.status_code == 200
    answers = {r["id"]: (r["ok"], r["message"]) for r in response.json()}
    assert all(answers[s.pk] == (True, "已通过") for s in ready)
    assert answers[early.pk] == (False, "您的角色不能执行“审核通过”。")  # the department's step
    assert answers[999999] == (False, "未找到该记录。")
    assert TargetSheet.objects.filter(status=SheetStatus.OFFICE_REVIEW).count() == 3
    assert ReviewRecord.objects.filter(opinion="同意").count() == 3  # one record per sheet

    # A department reviewer batches only within her scope: another department's sheet is unknown.
    elsewhere = sheet_of(city.unit_b1, SheetStatus.DEPT_REVIEW)
    answer = post(api(city.reviewer), S + "batch-approve/", {"ids": [early.pk, elsewhere.pk]}).json()
    assert [(r["id"], r["ok"]) for r in answer] == [(early.pk, True), (elsewhere.pk, False)]
    assert post(api(city.finance), S + "batch-approve/", {"ids": []}).status_code == 400
    assert post(api(city.finance), S + "batch-approve/", {"ids": "1,2"}).status_code == 400


# --- the indicator library ------------------------------------------------------------------

TEMPLATE = {
    "name": "校舍安全达标率", "level1": "output", "level2": "quality", "field": "education",
    "comparator": "gte", "unit": "%", "suggested_value": "100",
}


def test_the_office_keeps_the_library_and_departments_propose(city, api):
    office = api(city.office)
    created = post(office, T, TEMPLATE)
    assert created.status_code == 201 and created.json()["code"].startswith("ZB")
    assert created.json()["status"] == TemplateStatus.CONFIRMED
    mismatch = post(office, T, {**TEMPLATE, "level2": "social"})
    assert mismatch.status_code == 400 and "二级指标与一级指标不匹配" in str(mismatch.json()["level2"])
    duplicate = post(office, T, {**TEMPLATE, "code": created.json()["code"]})
    assert duplicate.status_code == 400 and "code" in duplicate.json()
    edited = office.patch(f"{T}{created.json()['id']}/", {"suggested_value": "≥98"}, format="json")
    assert edited.status_code == 200 and edited.json()["suggested_value"] == "≥98"

    proposed = post(api(city.clerk), T + "propose/", {**TEMPLATE, "name": "课后服务覆盖率"})
    assert proposed.status_code == 201
    proposal = proposed.json()
    assert (proposal["status"], proposal["proposed_by"]) == (TemplateStatus.PROPOSED, city.dept_a.pk)
    # Until confirmed, the proposal is the proposing department's and finance's only.
    assert proposal["id"] in [t["id"] for t in api(city.reviewer).get(T, {"status": "proposed"}).json()["results"]]
    assert api(city.other_clerk).get(f"{T}{proposal['id']}/").status_code == 404
    confirmed = post(office, f"{T}{proposal['id']}/confirm/", {"opinion": "纳入教育领域指标"})
    assert confirmed.json()["status"] == TemplateStatus.CONFIRMED
    assert api(city.other_clerk).get(f"{T}{proposal['id']}/").status_code == 200
    again = post(office, f"{T}{proposal['id']}/reject/")
    assert again.status_code == 400 and "待确认" in again.json()["detail"]


def test_library_filters_and_search(city, api):
    f.IndicatorTemplateFactory(name="门诊患者满意度", field="health", level1="satisfaction",
                               level2="service_satisfaction")
    f.IndicatorTemplateFactory(name="义务教育巩固率", field="education", level1="effect", level2="social")
    f.IndicatorTemplateFactory(name="学生资助覆盖率", field="education")
    clerk = api(city.clerk)

    def names(**query):
        return sorted(t["name"] for t in clerk.get(T, query).json()["results"])

    assert names(field="education") == ["义务教育巩固率", "学生资助覆盖率"]
    assert names(level1="satisfaction") == ["门诊患者满意度"]
    assert names(q="覆盖") == ["学生资助覆盖率"]
    assert names(field="education", level2="social") == ["义务教育巩固率"]
    assert clerk.get(T, {"field": "astrology"}).status_code == 400


# --- filters and scope ----------------------------------------------------------------------


def test_sheet_filters_come_from_the_shared_filterset(city, api):
    def sheet_of(unit, name, status=SheetStatus.DRAFT, key=False, year=city.year):
        project = f.ProjectFactory(fiscal_year=year, unit=unit, name=name, is_key=key)
        return f.TargetSheetFactory(project=project, rows=True, status=status)

    school = sheet_of(city.unit_a1, "校舍维修", SheetStatus.FINANCE_REVIEW, key=True)
    canteen = sheet_of(city.unit_a2, "食堂改造")
    hospital = sheet_of(city.unit_b1, "医疗设备更新", SheetStatus.APPROVED)
    sheet_of(city.unit_a1, "旧年项目", year=f.FiscalYearFactory(year=2025, is_current=False))
    office = api(city.office)

    def ids(**query):
        response = office.get(S, query)
        assert response.status_code == 200, response.json()
        return sorted(s["id"] for s in response.json()["results"])

    assert ids(year=2026, department=city.dept_a.pk) == sorted([school.pk, canteen.pk])
    assert ids(unit=city.unit_b1.pk) == [hospital.pk]
    assert ids(status="finance_review") == [school.pk]
    assert ids(is_key="true") == [school.pk]
    assert ids(q="食堂") == [canteen.pk]
    assert ids(flagged="true") == []
    assert office.get(S, {"status": "lost"}).status_code == 400
    # A clerk's department filter cannot reach outside her scope.
    assert api(city.clerk).get(S, {"department": city.dept_b.pk}).status_code == 400


@pytest.mark.parametrize(
    ("comparator", "target", "actual", "flagged"),
    [
        (Comparator.GTE, "100", "120", True),  # beaten by exactly 20 %
        (Comparator.GTE, "100", "119.99", False),
        (Comparator.EQ, "50", "60", True),
        (Comparator.LTE, "10", "8", True),  # "at most 10", last year already 8: 20 % better
        (Comparator.LTE, "10", "8.5", False),
        (Comparator.QUALITATIVE, "100", "200", False),
        (Comparator.GTE, "0", "5", False),
    ],
)
def test_the_flagged_filter_is_the_too_low_check_in_sql(city, api, sheet, comparator, target, actual, flagged):
    Indicator.objects.filter(sheet=sheet, name="新增学位数").update(
        comparator=comparator, target_value=Decimal(target), last_year_actual=Decimal(actual)
    )
    listed = [s["id"] for s in api(city.office).get(S, {"flagged": "true"}).json()["results"]]
    assert (sheet.pk in listed) is flagged
    unflagged = [s["id"] for s in api(city.office).get(S, {"flagged": "false"}).json()["results"]]
    assert (sheet.pk in unflagged) is not flagged
    # The same answer as the check the reviewers read.
    problems = api(city.office).get(f"{S}{sheet.pk}/problems/").json()
    assert any("目标偏低" in p["message"] for p in problems) is flagged


def test_the_flagged_filter_follows_the_years_rule(city, api, sheet):
    Indicator.objects.filter(sheet=sheet, name="新增学位数").update(last_year_actual=Decimal("1000"))  # target 900
    office = api(city.office)
    assert [s["id"] for s in office.get(S, {"flagged": "true"}).json()["results"]] == []
    city.year.target_too_low_pct = 10
    city.year.save()
    assert [s["id"] for s in office.get(S, {"flagged": "true"}).json()["results"]] == [sheet.pk]


def test_the_agency_evaluator_sees_no_targets(city, api, sheet):
    ExpertReview.objects.create(sheet=sheet, expert=city.expert)
    evaluator = api(city.evaluator)
    for url in (S, "/api/v1/indicators/", R):
        response = evaluator.get(url)
        assert (response.status_code, response.json()["count"]) == (200, 0), url
    for url in (f"{S}{sheet.pk}/", f"{S}{sheet.pk}/history/", f"/api/v1/indicators/{sheet.indicators.first().pk}/"):
        assert evaluator.get(url).status_code == 404, url


def test_an_expert_sees_only_his_own_review(city, api, sheet):
    other = f.ExpertFactory(user=f.UserFactory(username="expert2", role="expert"))
    mine = ExpertReview.objects.create(sheet=sheet, expert=city.expert)
    theirs = ExpertReview.objects.create(sheet=sheet, expert=other, score=80, comment="可", submitted_at=timezone.now())
    expert = api(city.expert_user)
    assert [r["id"] for r in expert.get(R).json()["results"]] == [mine.pk]
    assert expert.get(f"{R}{theirs.pk}/").status_code == 404
    refused = post(expert, f"{R}{theirs.pk}/submit/", {"score": "90", "comment": "好"})
    assert refused.status_code == 404
    assert {r["id"] for r in api(city.office).get(R).json()["results"]} == {mine.pk, theirs.pk}


def test_refusals_are_audited(city, api, sheet):
    before = AuditEvent.objects.filter(success=False).count()
    post(api(city.finance), f"{S}{sheet.pk}/submit/")
    assert AuditEvent.objects.filter(success=False).count() == before + 1


# --- query counts (DESIGN §5, STYLE habit 7) ------------------------------------------------


def add_sheets(city, count: int, rows: int, start: int) -> list[TargetSheet]:
    """``count`` sheets of unit_a1 with ``rows`` indicators each and one expert review."""
    sheets = []
    split = {8: (5, 2, 1), 40: (25, 10, 5)}[rows]
    for n in range(start, start + count):
        project = f.ProjectFactory(fiscal_year=city.year, unit=city.unit_a1, code=f"Q{n:05d}")
        sheet = TargetSheet.objects.create(project=project, overall_goal="目标")
        Indicator.objects.bulk_create(
            Indicator(sheet=sheet, position=i, **{**row, "last_year_actual": Decimal("95")})
            for i, row in enumerate(table(*split), start=1)
        )
        ExpertReview.objects.create(sheet=sheet, expert=city.expert)
        sheets.append(sheet)
    return sheets


def queries_for(user, url) -> tuple[int, dict]:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries), response.json()


# Sheet list, 7 queries for the clerk:
#   1 token + user (TokenAuthentication)   2 the user's groups (User.roles)
#   3 the user's organisation (visible_to's subtree path)   4 COUNT for the page
#   5 the page, joined with project, its fiscal year, department and unit
#   6 the page's indicators (prefetch)   7 the page's expert reviews with their experts (prefetch)
# Sheet detail, 6 queries: 1–3 as above, then 4 the sheet with the same joins, 5 its indicators,
#   6 its expert reviews.
LIST_QUERIES, DETAIL_QUERIES = 7, 6


def test_the_sheet_list_costs_the_same_for_10_or_60_sheets_of_8_or_40_rows(city):
    add_sheets(city, 10, rows=8, start=0)
    small, body = queries_for(city.clerk, S)
    assert body["count"] == 10 and len(body["results"][0]["indicators"]) == 8

    add_sheets(city, 50, rows=40, start=10)
    large, body = queries_for(city.clerk, S + "?ordering=-created_at")
    assert body["count"] == 60 and len(body["results"][0]["indicators"]) == 40  # a page of 50 sheets

    assert small == large == LIST_QUERIES
    assert queries_for(city.office, S)[0] == LIST_QUERIES - 1  # citywide: no organisation lookup


def test_the_sheet_detail_costs_the_same_for_8_or_40_rows(city):
    few, = add_sheets(city, 1, rows=8, start=0)
    many, = add_sheets(city, 1, rows=40, start=1)
    small, body = queries_for(city.clerk, f"{S}{few.pk}/")
    assert len(body["indicators"]) == 8
    large, body = queries_for(city.clerk, f"{S}{many.pk}/")
    assert len(body["indicators"]) == 40
    assert small == large == DETAIL_QUERIES


def test_the_indicator_list_does_not_grow_with_rows(city):
    few, = add_sheets(city, 1, rows=8, start=0)
    many, = add_sheets(city, 1, rows=40, start=1)
    small, _ = queries_for(city.clerk, f"/api/v1/indicators/?sheet={few.pk}")
    large, body = queries_for(city.clerk, f"/api/v1/indicators/?sheet={many.pk}")
    assert body["count"] == 40 and small == large
