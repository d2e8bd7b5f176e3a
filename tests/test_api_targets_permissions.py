"""Every targets endpoint × every persona (DESIGN §5): allowed, forbidden (403 with a reason),
out of scope (404 / not listed) or refused by the sheet's state (409).

The samples belong to unit_a1 (dept_a): the clerk's own unit, the reviewer's department, outside
other_clerk's department. An expert sees a sheet only when it was given to them for review; the
agency evaluator sees no targets at all. The indicator library is shared reference data:
confirmed templates are read by everyone signed in. See tests/api_matrix.py for how the tables
are run; tests/test_api_permissions.py checks every routed endpoint has a row.
"""

from django.utils import timezone

from targets.choices import SheetStatus, TemplateScope, TemplateStatus
from targets.models import ExpertReview, IndicatorTemplate, TargetSheet

from . import factories as f
from .api_matrix import CREATED, FORBIDDEN, LISTED, OK, APIMatrix, Endpoint, Outcome, personas, rejected

# Who sees a unit_a1 object is as for projects: the unit, its department, finance and audit
# (functions only are imported, so that module's tables do not run twice).
from .test_api_permissions import only, readers

CONFLICT = Outcome("conflict", 409)

# --- samples ------------------------------------------------------------------------------


def sheet_in(status=SheetStatus.DRAFT, *, key=False):
    """A valid sheet (VALID_ROWS) of a unit_a1 project that needs no pre-assessment."""

    def build(city):
        project = f.ProjectFactory(fiscal_year=city.year, unit=city.unit_a1, is_key=key)
        return f.TargetSheetFactory(project=project, rows=True, status=status, created_by=city.clerk)

    return build


def given_to_expert(submitted=False):
    """A key project's sheet in expert review, assigned to the persona ``expert``."""

    def build(city):
        sheet = sheet_in(SheetStatus.EXPERT_REVIEW, key=True)(city)
        ExpertReview.objects.create(
            sheet=sheet,
            expert=city.expert,
            score=88 if submitted else None,
            comment="指标设置合理" if submitted else "",
            submitted_at=timezone.now() if submitted else None,
        )
        return sheet

    return build


def adjustment(city):
    """Version 2 (draft) of an approved sheet."""
    approved = sheet_in(SheetStatus.APPROVED)(city)
    return f.TargetSheetFactory(
        project=approved.project, version=2, is_current=False, adjustment_of=approved, adjustment_reason="学位数下调",
        rows=True,
    )


def review_of_expert(city):
    return given_to_expert()(city).expert_reviews.get()


def indicator(city):
    return sheet_in()(city).indicators.first()


def template(status=TemplateStatus.CONFIRMED):
    def build(city):
        proposed = status != TemplateStatus.CONFIRMED
        return f.IndicatorTemplateFactory(
            status=status, proposed_by=city.dept_a if proposed else None, name="义务教育巩固率"
        )

    return build


def new_project(city, obj):
    return {"project": f.ProjectFactory(fiscal_year=city.year, unit=city.unit_a1).pk}


TEMPLATE_BODY = {
    "name": "校舍安全达标率",
    "level1": "output",
    "level2": "quality",
    "scope": TemplateScope.FIELD,
    "field": "education",
    "comparator": "gte",
    "unit": "%",
    "suggested_value": "100",
}

# --- the tables ---------------------------------------------------------------------------

S = "/api/v1/target-sheets/"
T = "/api/v1/indicator-templates/"
I = "/api/v1/indicators/"  # noqa: E741
R = "/api/v1/expert-reviews/"


class TestTargetSheetAPI(APIMatrix):
    endpoints = [
        Endpoint("list", "get", S, sample=sheet_in(), expect=readers(LISTED)),
        Endpoint("list-given-to-expert", "get", S, sample=given_to_expert(), expect=readers(LISTED, expert=LISTED)),
        Endpoint("retrieve", "get", S + "{pk}/", sample=sheet_in(), expect=readers()),
        Endpoint("retrieve-given-to-expert", "get", S + "{pk}/", sample=given_to_expert(), expect=readers(expert=OK)),
        Endpoint(
            # other_clerk names a project outside her scope: it reads as an unknown id.
            "create", "post", S, data=new_project, model=TargetSheet,
            expect=personas(FORBIDDEN, clerk=CREATED, other_clerk=rejected("project")),
        ),
        Endpoint(
            "update", "patch", S + "{pk}/", sample=sheet_in(), data={"overall_goal": "新增学位 900 个"},
            expect=only({"clerk": OK}),
        ),
        Endpoint(
            "update-under-review", "patch", S + "{pk}/", sample=sheet_in(SheetStatus.DEPT_REVIEW),
            data={"overall_goal": "审核中修改"}, expect=only({"clerk": CONFLICT}),
        ),
        Endpoint(
            "update-approved", "patch", S + "{pk}/", sample=sheet_in(SheetStatus.APPROVED),
            data={"overall_goal": "批复后修改"}, expect=only({"clerk": CONFLICT}),
        ),
        Endpoint("submit", "post", S + "{pk}/submit/", sample=sheet_in(), expect=only({"clerk": OK})),
        Endpoint(
            "submit-out-of-order", "post", S + "{pk}/submit/", sample=sheet_in(SheetStatus.FINANCE_REVIEW),
            expect=only({}, **{p: CONFLICT for p in ("clerk", "reviewer", "finance", "office", "auditor")}),
        ),
        Endpoint(
            "approve-by-department", "post", S + "{pk}/approve/", sample=sheet_in(SheetStatus.DEPT_REVIEW),
            data={"opinion": "同意"}, expect=only({"reviewer": OK}),
        ),
        Endpoint(
            "approve-by-finance", "post", S + "{pk}/approve/", sample=sheet_in(SheetStatus.FINANCE_REVIEW),
            data={"opinion": "同意"}, expect=only({"finance": OK}),
        ),
        Endpoint(
            # The performance office's step: finance (who took the step before) is refused with 403.
            "approve-by-office", "post", S + "{pk}/approve/", sample=sheet_in(SheetStatus.OFFICE_REVIEW),
            data={"opinion": "与预算同步批复"}, expect=only({"office": OK}),
        ),
        Endpoint(
            "approve-approved", "post", S + "{pk}/approve/", sample=sheet_in(SheetStatus.APPROVED),
            expect=only({}, **{p: CONFLICT for p in ("clerk", "reviewer", "finance", "office", "auditor")}),
        ),
        Endpoint(
            "return", "post", S + "{pk}/return/", sample=sheet_in(SheetStatus.DEPT_REVIEW),
            data={"opinion": "产出指标不完整"}, expect=only({"reviewer": OK}),
        ),
        Endpoint(
            "return-by-office", "post", S + "{pk}/return/", sample=sheet_in(SheetStatus.OFFICE_REVIEW),
            data={"opinion": "效益指标偏低"}, expect=only({"office": OK}),
        ),
        Endpoint(
            "send_to_experts", "post", S + "{pk}/send_to_experts/",
            sample=sheet_in(SheetStatus.OFFICE_REVIEW, key=True),
            data=lambda city, sheet: {"experts": [city.expert.pk]}, expect=only({"office": OK}),
        ),
        Endpoint(
            "experts_done", "post", S + "{pk}/experts_done/", sample=given_to_expert(submitted=True),
            expect=only({"office": OK, "expert": OK}),
        ),
        Endpoint(
            "adjust", "post", S + "{pk}/adjust/", sample=sheet_in(SheetStatus.APPROVED),
            data={"reason": "实施方案调整"}, expect=only({"clerk": CREATED}),
        ),
        Endpoint(
            # Each id is answered on its own (200 with ok/message); the role gate is 403 for non-reviewers.
            "batch-approve", "post", S + "batch-approve/", sample=sheet_in(SheetStatus.FINANCE_REVIEW),
            data=lambda city, sheet: {"ids": [sheet.pk], "opinion": "同意"},
            expect=personas(FORBIDDEN, reviewer=OK, finance=OK, office=OK),
        ),
        Endpoint("versions", "get", S + "{pk}/versions/", sample=sheet_in(), expect=readers()),
        Endpoint("diff", "get", S + "{pk}/diff/{obj.adjustment_of_id}/", sample=adjustment, expect=readers()),
        Endpoint("problems", "get", S + "{pk}/problems/", sample=sheet_in(), expect=readers()),
        Endpoint("history", "get", S + "{pk}/history/", sample=sheet_in(), expect=readers()),
        Endpoint("actions", "get", S + "{pk}/actions/", sample=sheet_in(), expect=readers()),
    ]


class TestIndicatorAPI(APIMatrix):
    endpoints = [
        Endpoint("list", "get", I, sample=indicator, expect=readers(LISTED)),
        Endpoint("retrieve", "get", I + "{pk}/", sample=indicator, expect=readers()),
    ]


class TestExpertReviewAPI(APIMatrix):
    endpoints = [
        Endpoint("list", "get", R, sample=review_of_expert, expect=readers(LISTED, expert=LISTED)),
        Endpoint("retrieve", "get", R + "{pk}/", sample=review_of_expert, expect=readers(expert=OK)),
        Endpoint(
            # Submitting is the expert's alone: every other role is refused before the review is looked up.
            "submit", "post", R + "{pk}/submit/", sample=review_of_expert,
            data={"score": "88", "comment": "指标设置合理"}, expect=personas(FORBIDDEN, expert=OK),
        ),
    ]


OFFICE = personas(FORBIDDEN, office=OK)
PROPOSED = template(TemplateStatus.PROPOSED)


class TestIndicatorTemplateAPI(APIMatrix):
    endpoints = [
        Endpoint("list", "get", T, sample=template(), expect=personas(LISTED)),
        Endpoint("retrieve", "get", T + "{pk}/", sample=template(), expect=personas(OK)),
        # A proposal is seen by the department that made it and by finance, not by others.
        Endpoint("list-proposed", "get", T, sample=PROPOSED, expect=readers(LISTED)),
        Endpoint("retrieve-proposed", "get", T + "{pk}/", sample=PROPOSED, expect=readers()),
        Endpoint(
            "create", "post", T, data=TEMPLATE_BODY, model=IndicatorTemplate,
            expect=personas(FORBIDDEN, office=CREATED),
        ),
        Endpoint("update", "patch", T + "{pk}/", sample=template(), data={"unit": "个"}, expect=OFFICE),
        Endpoint(
            "propose", "post", T + "propose/", data=TEMPLATE_BODY, model=IndicatorTemplate,
            expect=personas(FORBIDDEN, clerk=CREATED, reviewer=CREATED, other_clerk=CREATED),
        ),
        Endpoint("confirm", "post", T + "{pk}/confirm/", sample=PROPOSED, expect=only({"office": OK})),
        Endpoint(
            "reject", "post", T + "{pk}/reject/", sample=PROPOSED, data={"opinion": "与共性指标重复"},
            expect=only({"office": OK}),
        ),
    ]


TABLES = (TestTargetSheetAPI, TestIndicatorAPI, TestExpertReviewAPI, TestIndicatorTemplateAPI)
