"""Every API endpoint × every persona: allowed, forbidden (403 with a reason) or out of scope (404).

The samples belong to unit_a1 (dept_a): the clerk's own unit, the reviewer's department, outside
other_clerk's department. Experts and the agency see a project only through a pre-assessment
commissioned to them. See tests/api_matrix.py for how the table is run.
"""

import re
from decimal import Decimal

from projects.choices import PreAssessmentMode, PreAssessmentStatus, ProjectStatus
from projects.models import FiscalYear, Project
from workflow.audit import AuditEventKind, record_event

from . import factories as f
from .api_matrix import (
    CREATED,
    FORBIDDEN,
    LISTED,
    NOT_FOUND,
    NOT_LISTED,
    OK,
    APIMatrix,
    Endpoint,
    personas,
    rejected,
)

# --- samples ------------------------------------------------------------------------------


def project_in(status=ProjectStatus.DRAFT):
    """A project of unit_a1 that needs no pre-assessment (not new, 100万元)."""

    def build(city):
        return f.ProjectFactory(fiscal_year=city.year, unit=city.unit_a1, status=status, created_by=city.clerk)

    return build


def preassessment(status=PreAssessmentStatus.DRAFT, mode=PreAssessmentMode.SELF):
    """The pre-assessment (five dimensions filled) of a new 600万元 project of unit_a1."""

    def build(city):
        project = f.ProjectFactory(
            fiscal_year=city.year, unit=city.unit_a1, is_new=True, budget_amount=Decimal("6000000")
        )
        pa = f.PreAssessmentFactory(project=project, dimensions=True, status=status, mode=mode)
        if mode == PreAssessmentMode.AGENCY:
            pa.agency = city.agency
            pa.save(update_fields=["agency"])
        elif mode == PreAssessmentMode.EXPERTS:
            pa.experts.add(city.expert)
        return pa

    return build


def project_of(pa_builder):
    def build(city):
        return pa_builder(city).project

    return build


def unit_a1(city):
    return city.unit_a1


def current_year(city):
    return city.year


def expert(city):
    return city.expert


def agency(city):
    return city.agency


def audit_event(city):
    return record_event(AuditEventKind.LOGIN, user=city.clerk, obj=city.clerk, message="登录成功")


def new_project_body(city, obj):
    return {
        "fiscal_year": city.year.pk,
        "code": "XM-API-001",
        "name": "校园安全改造",
        "unit": city.unit_a1.pk,
        "responsible_person": "王五",
        "budget_amount": "1200000.00",
        "period_start": "2026-03-01",
        "period_end": "2026-12-31",
    }


SCORES = {"scores": [{"dimension": "necessity", "score": 18, "opinion": "必要性充分"}]}

# Who sees a unit_a1 object at all: the unit, its department, finance and audit.
IN_SCOPE = {"clerk", "reviewer", "finance", "office", "auditor"}
HIDDEN = {"other_clerk": NOT_FOUND, "expert": NOT_FOUND, "evaluator": NOT_FOUND}
UNLISTED = {"other_clerk": NOT_LISTED, "expert": NOT_LISTED, "evaluator": NOT_LISTED}


def readers(outcome=OK, **overrides):
    """Every persona in scope gets ``outcome``; out of scope is 404 (or not listed)."""
    hidden = UNLISTED if outcome is LISTED else HIDDEN
    return personas(outcome, **{**hidden, **overrides})


def only(allowed: dict, **hidden):
    """The personas in ``allowed`` get their outcome; other personas in scope 403; out of scope 404."""
    return personas(FORBIDDEN, **{**HIDDEN, **hidden, **allowed})


# --- the table ------------------------------------------------------------------------------

P = "/api/v1/projects/"
PA = "/api/v1/preassessments/"
AGENCY_PA = preassessment(mode=PreAssessmentMode.AGENCY)
EXPERT_PA = preassessment(mode=PreAssessmentMode.EXPERTS)


class TestProjectAPI(APIMatrix):
    endpoints = [
        Endpoint("list", "get", P, sample=project_in(), expect=readers(LISTED)),
        Endpoint("retrieve", "get", P + "{pk}/", sample=project_in(), expect=readers()),
        Endpoint(
            "retrieve-commissioned-to-agency", "get", P + "{pk}/", sample=project_of(AGENCY_PA),
            expect=readers(evaluator=OK),
        ),
        Endpoint(
            "retrieve-commissioned-to-expert", "get", P + "{pk}/", sample=project_of(EXPERT_PA),
            expect=readers(expert=OK),
        ),
        Endpoint(
            # other_clerk names a unit outside her scope: it reads as an unknown id.
            "create", "post", P, data=new_project_body, model=Project,
            expect=personas(FORBIDDEN, clerk=CREATED, other_clerk=rejected("unit")),
        ),
        Endpoint(
            "update", "patch", P + "{pk}/", sample=project_in(), data={"name": "改名后的项目"},
            expect=only({"clerk": OK}),
        ),
        Endpoint("submit", "post", P + "{pk}/submit/", sample=project_in(), expect=only({"clerk": OK})),
        Endpoint(
            "approve", "post", P + "{pk}/approve/", sample=project_in(ProjectStatus.DEPT_REVIEW),
            data={"opinion": "同意入库"}, expect=only({"reviewer": OK}),
        ),
        Endpoint(
            "return", "post", P + "{pk}/return/", sample=project_in(ProjectStatus.DEPT_REVIEW),
            data={"opinion": "请补充测算依据"}, expect=only({"reviewer": OK}),
        ),
        Endpoint("history", "get", P + "{pk}/history/", sample=project_in(), expect=readers()),
        Endpoint("actions", "get", P + "{pk}/actions/", sample=project_in(), expect=readers()),
        Endpoint(
            "start-preassessment", "post", P + "{pk}/start-preassessment/", sample=project_in(),
            expect=only({"clerk": CREATED, "office": CREATED}),
        ),
    ]


class TestPreAssessmentAPI(APIMatrix):
    endpoints = [
        Endpoint("list", "get", PA, sample=preassessment(), expect=readers(LISTED)),
        Endpoint(
            "list-commissioned-to-agency", "get", PA, sample=AGENCY_PA, expect=readers(LISTED, evaluator=LISTED)
        ),
        Endpoint("retrieve", "get", PA + "{pk}/", sample=preassessment(), expect=readers()),
        Endpoint(
            "retrieve-commissioned-to-agency", "get", PA + "{pk}/", sample=AGENCY_PA, expect=readers(evaluator=OK)
        ),
        Endpoint(
            "retrieve-commissioned-to-expert", "get", PA + "{pk}/", sample=EXPERT_PA, expect=readers(expert=OK)
        ),
        Endpoint("fill", "patch", PA + "{pk}/", sample=preassessment(), data=SCORES, expect=only({"clerk": OK})),
        Endpoint(
            "fill-commissioned-to-agency", "patch", PA + "{pk}/", sample=AGENCY_PA, data=SCORES,
            expect=only({"evaluator": OK}),
        ),
        Endpoint(
            "fill-commissioned-to-expert", "patch", PA + "{pk}/", sample=EXPERT_PA, data=SCORES,
            expect=only({"expert": OK}),
        ),
        Endpoint(
            "commission", "post", PA + "{pk}/commission/", sample=preassessment(),
            data=lambda city, pa: {"mode": "agency", "agency": city.agency.pk}, expect=only({"office": OK}),
        ),
        Endpoint("submit", "post", PA + "{pk}/submit/", sample=preassessment(), expect=only({"clerk": OK})),
        Endpoint(
            "submit-commissioned-to-agency", "post", PA + "{pk}/submit/", sample=AGENCY_PA,
            expect=only({"evaluator": OK}),
        ),
        Endpoint(
            "approve", "post", PA + "{pk}/approve/", sample=preassessment(PreAssessmentStatus.DEPT_REVIEW),
            expect=only({"reviewer": OK}),
        ),
        Endpoint(
            "return", "post", PA + "{pk}/return/", sample=preassessment(PreAssessmentStatus.DEPT_REVIEW),
            data={"opinion": "经济性论证不足"}, expect=only({"reviewer": OK}),
        ),
        Endpoint(
            "return-by-finance", "post", PA + "{pk}/return/", sample=preassessment(PreAssessmentStatus.FINANCE_REVIEW),
            data={"opinion": "请补充绩效目标"}, expect=only({"office": OK}),
        ),
        Endpoint(
            "conclude", "post", PA + "{pk}/conclude/", sample=preassessment(PreAssessmentStatus.FINANCE_REVIEW),
            data={"conclusion": "support", "opinion": "予以支持"}, expect=only({"office": OK}),
        ),
        Endpoint("history", "get", PA + "{pk}/history/", sample=preassessment(), expect=readers()),
        Endpoint("actions", "get", PA + "{pk}/actions/", sample=preassessment(), expect=readers()),
    ]


class TestReferenceDataAPI(APIMatrix):
    """Fiscal years are read by everyone signed in; organisations by scope; the pools by finance and audit."""

    endpoints = [
        Endpoint("fiscal-years-list", "get", "/api/v1/fiscal-years/", sample=current_year, expect=personas(LISTED)),
        Endpoint(
            "fiscal-years-retrieve", "get", "/api/v1/fiscal-years/{pk}/", sample=current_year, expect=personas(OK)
        ),
        Endpoint(
            "fiscal-years-create", "post", "/api/v1/fiscal-years/", data={"year": 2027}, model=FiscalYear,
            expect=personas(FORBIDDEN, office=CREATED),
        ),
        Endpoint(
            "fiscal-years-update", "patch", "/api/v1/fiscal-years/{pk}/", sample=current_year,
            data={"preassessment_review_days": 10}, expect=personas(FORBIDDEN, office=OK),
        ),
        Endpoint("organizations-list", "get", "/api/v1/organizations/", sample=unit_a1, expect=readers(LISTED)),
        Endpoint("organizations-retrieve", "get", "/api/v1/organizations/{pk}/", sample=unit_a1, expect=readers()),
        *(
            row
            for name, sample in (("experts", expert), ("agencies", agency))
            for row in (
                Endpoint(
                    f"{name}-list", "get", f"/api/v1/{name}/", sample=sample,
                    expect=personas(FORBIDDEN, finance=LISTED, office=LISTED, auditor=LISTED),
                ),
                Endpoint(
                    f"{name}-retrieve", "get", f"/api/v1/{name}/{{pk}}/", sample=sample,
                    expect=personas(FORBIDDEN, finance=OK, office=OK, auditor=OK),
                ),
            )
        ),
        Endpoint(
            "audit-events-list", "get", "/api/v1/audit-events/", sample=audit_event,
            expect=personas(FORBIDDEN, office=LISTED, auditor=LISTED),
        ),
        Endpoint(
            "audit-events-retrieve", "get", "/api/v1/audit-events/{pk}/", sample=audit_event,
            expect=personas(FORBIDDEN, office=OK, auditor=OK),
        ),
    ]


def test_the_matrix_covers_every_routed_endpoint():
    """A new route without a row in the tables above fails here (PUT counts as covered by PATCH)."""
    from config.api_urls import router

    from . import test_api_monitoring_permissions as monitoring_tables  # modules, so their tables run only there
    from . import test_api_targets_permissions as targets_tables

    declared = {
        (e.method, e.url)
        for table in (
            TestProjectAPI, TestPreAssessmentAPI, TestReferenceDataAPI, *targets_tables.TABLES,
            *monitoring_tables.TABLES,
        )
        for e in table.endpoints
    }
    routed = set()
    for prefix, viewset, _ in router.registry:
        base = f"/api/v1/{prefix}/"
        for name, method, url in (
            ("list", "get", base),
            ("create", "post", base),
            ("retrieve", "get", base + "{pk}/"),
            ("partial_update", "patch", base + "{pk}/"),
        ):
            if hasattr(viewset, name):
                routed.add((method, url))
        for extra in viewset.get_extra_actions():
            for method in extra.mapping:
                routed.add((method, base + ("{pk}/" if extra.detail else "") + extra.url_path + "/"))
    # A path argument after the pk reads the same in both: "(?P<other_id>\d+)" routed, "{obj.…}" declared.
    def shape(url):
        return re.sub(r"\(\?P<\w+>[^)]*\)|\{obj\.\w+\}", "{arg}", url)

    assert {(m, shape(u)) for m, u in routed} - {(m, shape(u)) for m, u in declared} == set()


def test_each_workflow_viewset_declares_its_models_chain():
    from projects.api import PreAssessmentViewSet, ProjectViewSet
    from projects.models import PreAssessment

    assert ProjectViewSet.workflow_chain is Project().workflow_chain
    assert PreAssessmentViewSet.workflow_chain is PreAssessment().workflow_chain
