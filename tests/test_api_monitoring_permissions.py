"""Every dual-monitoring endpoint × every persona (DESIGN §5): allowed, forbidden (403 with a
reason), out of scope (404 / not listed) or refused by the object's state (409).

The samples belong to unit_a1 (dept_a): the clerk's own unit, the reviewer's department, outside
other_clerk's department; experts and the agency have no part in monitoring. Rounds are the city's
reporting calendar, read by every staff role. Treasury payment data is finance's: other roles are
told so (403), the auditor reads it. See tests/api_matrix.py for how the tables are run;
tests/test_api_permissions.py checks every routed endpoint has a row.
"""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

from monitoring import services, treasury
from monitoring.choices import FundingActionKind, RectificationStatus, ReportStatus
from monitoring.models import FundingAction, MonitoringReport, MonitoringRound, Rectification, TreasuryImport

from . import factories as f
from .api_matrix import (
    CREATED,
    FORBIDDEN,
    LISTED,
    NOT_FOUND,
    NOT_LISTED,
    OK,
    PERSONAS,
    APIMatrix,
    Endpoint,
    Outcome,
    client_as,
    personas,
    rejected,
)

# Who sees a unit_a1 object is as for projects (functions only, so that module's tables run once).
from .test_api_permissions import only, readers

CONFLICT = Outcome("conflict", 409)
ACCEPTED = Outcome("accepted", 202)
IN_SCOPE = ("clerk", "reviewer", "finance", "office", "auditor")

@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    """Uploads go to a fresh directory per test, never into var/media."""
    root = tmp_path / "media"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(root)}},
    }
    return root


# --- samples ------------------------------------------------------------------------------


def report_in(status=ReportStatus.DRAFT, *, filled=True):
    """The Q3 report of a unit_a1 project (f.MONITORING_ROWS), filled green: nothing blocks it."""

    def build(city):
        report = f.open_q3(city, f.ProjectFactory(fiscal_year=city.year, unit=city.unit_a1)).reports.get()
        if filled:
            services.save_report(report, city.clerk, f.filled(report, reasons=False))
        if status != ReportStatus.DRAFT:
            MonitoringReport.objects.filter(pk=report.pk).update(status=status)
        return MonitoringReport.objects.get(pk=report.pk)

    return build


def row_of_report(city):
    return report_in()(city).rows.order_by("position").first()


def rectification_in(status=RectificationStatus.ISSUED, *, answered=True):
    """Finance's rectification request on an accepted report (due in 7 working days)."""

    def build(city):
        report = report_in(ReportStatus.ACCEPTED_RECTIFY)(city)
        rectification = services.issue_rectification(
            report, city.finance, issues="预算执行进度偏慢", requirements="加快支付"
        )
        answer = {"measures": "已督促施工方加快进度", "outcome": "支付进度已达 80%"} if answered else {}
        Rectification.objects.filter(pk=rectification.pk).update(status=status, **answer)
        return Rectification.objects.get(pk=rectification.pk)

    return build


def funding_action(kind=FundingActionKind.SUSPEND):
    def build(city):
        project = f.ProjectFactory(fiscal_year=city.year, unit=city.unit_a1)
        return services.record_funding_action(city.office, project, kind=kind, amount="200000", reason="资金闲置严重")

    return build


def treasury_import(city):
    return TreasuryImport.objects.create(
        fiscal_year=city.year, file="treasury/2026/10/sample", original_name="国库支付数据.xlsx", size=2048,
        uploaded_by=city.finance,
    )


PAYMENT = ("XM202699999", "2026-09-10", "150000.00", "ZF2026000001", "示例建设公司", "工程款")


def treasury_xlsx(rows=(PAYMENT,)) -> bytes:
    """A treasury payment export (国库集中支付数据) with the template's headers."""
    book = Workbook()
    sheet = book.active
    sheet.title = treasury.DATA_SHEET
    sheet.append([column.header for column in treasury.COLUMNS])
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def upload_body(city, obj=None, content=None, name="国库支付数据.xlsx") -> dict:
    return {
        "fiscal_year": city.year.pk,
        "file": SimpleUploadedFile(
            name, treasury_xlsx() if content is None else content,
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
    }


def new_funding_body(city, obj):
    project = f.ProjectFactory(fiscal_year=city.year, unit=city.unit_a1)
    return {"project": project.pk, "kind": "suspend", "amount": "100000", "reason": "项目实施严重滞后"}


# --- the tables ---------------------------------------------------------------------------

RO = "/api/v1/monitoring-rounds/"
R = "/api/v1/monitoring-reports/"
W = "/api/v1/monitoring-rows/"
TI = "/api/v1/treasury-imports/"
C = "/api/v1/rectifications/"
F = "/api/v1/funding-actions/"

NO_MONITORING = {"expert": NOT_FOUND, "evaluator": NOT_FOUND}
# A step taken out of order: 409 for everyone who sees the report.
OUT_OF_ORDER = only({}, **{p: CONFLICT for p in IN_SCOPE})


class TestMonitoringRoundAPI(APIMatrix):
    endpoints = [
        Endpoint(
            "list", "get", RO, sample=f.open_q3,
            expect=personas(LISTED, expert=NOT_LISTED, evaluator=NOT_LISTED),
        ),
        Endpoint("retrieve", "get", RO + "{pk}/", sample=f.open_q3, expect=personas(OK, **NO_MONITORING)),
        Endpoint(
            "create", "post", RO, data=lambda city, obj: {"fiscal_year": city.year.pk, "kind": "quarter", "number": 3},
            model=MonitoringRound, expect=personas(FORBIDDEN, office=CREATED),
        ),
        Endpoint(
            "close", "post", RO + "{pk}/close/", sample=f.open_q3,
            expect=personas(FORBIDDEN, office=OK, **NO_MONITORING),
        ),
    ]


class TestMonitoringReportAPI(APIMatrix):
    endpoints = [
        Endpoint("list", "get", R, sample=report_in(), expect=readers(LISTED)),
        Endpoint("retrieve", "get", R + "{pk}/", sample=report_in(), expect=readers()),
        Endpoint(
            "fill", "patch", R + "{pk}/", sample=report_in(filled=False), data={"summary": "项目按计划推进"},
            expect=only({"clerk": OK}),
        ),
        Endpoint(
            "fill-under-review", "patch", R + "{pk}/", sample=report_in(ReportStatus.DEPT_REVIEW),
            data={"summary": "审核中修改"}, expect=only({"clerk": CONFLICT}),
        ),
        Endpoint(
            "fill-accepted", "patch", R + "{pk}/", sample=report_in(ReportStatus.ACCEPTED),
            data={"summary": "审核通过后修改"}, expect=only({"clerk": CONFLICT}),
        ),
        Endpoint("problems", "get", R + "{pk}/problems/", sample=report_in(filled=False), expect=readers()),
        Endpoint("submit", "post", R + "{pk}/submit/", sample=report_in(), expect=only({"clerk": OK})),
        Endpoint(
            # Nothing filled: the clerk is told what blocks it; other roles hear about their role first.
            "submit-incomplete", "post", R + "{pk}/submit/", sample=report_in(filled=False),
            expect=only({"clerk": rejected("detail")}),
        ),
        Endpoint(
            "submit-out-of-order", "post", R + "{pk}/submit/", sample=report_in(ReportStatus.FINANCE_REVIEW),
            expect=OUT_OF_ORDER,
        ),
        Endpoint(
            "approve", "post", R + "{pk}/approve/", sample=report_in(ReportStatus.DEPT_REVIEW),
            data={"opinion": "同意"}, expect=only({"reviewer": OK}),
        ),
        Endpoint(
            "return", "post", R + "{pk}/return/", sample=report_in(ReportStatus.DEPT_REVIEW),
            data={"opinion": "偏差原因不充分"}, expect=only({"reviewer": OK}),
        ),
        Endpoint(
            "return-by-finance", "post", R + "{pk}/return/", sample=report_in(ReportStatus.FINANCE_REVIEW),
            data={"opinion": "支付数与国库数据不符"}, expect=only({"finance": OK}),
        ),
        Endpoint(
            "accept", "post", R + "{pk}/accept/", sample=report_in(ReportStatus.FINANCE_REVIEW),
            data={"opinion": "同意"}, expect=only({"finance": OK}),
        ),
        Endpoint(
            "accept-accepted", "post", R + "{pk}/accept/", sample=report_in(ReportStatus.ACCEPTED),
            expect=OUT_OF_ORDER,
        ),
        Endpoint(
            "rectify", "post", R + "{pk}/rectify/", sample=report_in(ReportStatus.FINANCE_REVIEW),
            data={"opinion": "预算执行进度偏慢", "requirements": "十月底前支付进度达到 80%"},
            expect=only({"finance": OK}),
        ),
        Endpoint("history", "get", R + "{pk}/history/", sample=report_in(), expect=readers()),
        Endpoint("actions", "get", R + "{pk}/actions/", sample=report_in(), expect=readers()),
    ]


class TestMonitoringRowAPI(APIMatrix):
    endpoints = [
        Endpoint("list", "get", W, sample=row_of_report, expect=readers(LISTED)),
        Endpoint("retrieve", "get", W + "{pk}/", sample=row_of_report, expect=readers()),
    ]


FINANCE_READS = {"finance": OK, "office": OK, "auditor": OK}


class TestTreasuryImportAPI(APIMatrix):
    endpoints = [
        Endpoint(
            "list", "get", TI, sample=treasury_import,
            expect=personas(FORBIDDEN, finance=LISTED, office=LISTED, auditor=LISTED),
        ),
        Endpoint("retrieve", "get", TI + "{pk}/", sample=treasury_import, expect=personas(FORBIDDEN, **FINANCE_READS)),
    ]


class TestTreasuryUploadAPI(APIMatrix):
    """An upload is multipart, not JSON: the matrix's checks, with the file sent as a form."""

    endpoints = [
        Endpoint(
            "create", "post", TI, data=upload_body, model=TreasuryImport,
            expect=personas(FORBIDDEN, finance=ACCEPTED, office=ACCEPTED),
        ),
    ]

    def test_access(self, endpoint, persona, city):
        assert set(endpoint.expect) == set(PERSONAS), f"{endpoint.name}: declare every persona"
        outcome = endpoint.expect[persona]
        before = TreasuryImport.objects.count()
        response = client_as(city, persona).post(endpoint.url, endpoint.body(city, None), format="multipart")
        outcome.check(response, None)
        assert TreasuryImport.objects.count() == before + (0 if outcome.refused else 1)


class TestRectificationAPI(APIMatrix):
    endpoints = [
        Endpoint("list", "get", C, sample=rectification_in(), expect=readers(LISTED)),
        Endpoint("retrieve", "get", C + "{pk}/", sample=rectification_in(), expect=readers()),
        Endpoint(
            "answer", "patch", C + "{pk}/", sample=rectification_in(answered=False),
            data={"measures": "调整支付计划", "outcome": "已完成支付 80%"},
            expect=only({"clerk": OK, "reviewer": OK}),
        ),
        Endpoint(
            "answer-confirmed", "patch", C + "{pk}/", sample=rectification_in(RectificationStatus.CONFIRMED),
            data={"outcome": "确认后修改"}, expect=only({"clerk": CONFLICT, "reviewer": CONFLICT}),
        ),
        Endpoint(
            "submit", "post", C + "{pk}/submit/", sample=rectification_in(),
            expect=only({"clerk": OK, "reviewer": OK}),
        ),
        Endpoint(
            # The finance role that asked confirms: the performance office is refused (403).
            "confirm", "post", C + "{pk}/confirm/", sample=rectification_in(RectificationStatus.SUBMITTED),
            expect=only({"finance": OK}),
        ),
        Endpoint(
            "send_back", "post", C + "{pk}/send_back/", sample=rectification_in(RectificationStatus.SUBMITTED),
            data={"opinion": "佐证材料不足"}, expect=only({"finance": OK}),
        ),
        Endpoint(
            "confirm-out-of-order", "post", C + "{pk}/confirm/", sample=rectification_in(),
            expect=only({}, **{p: CONFLICT for p in IN_SCOPE}),
        ),
        Endpoint("history", "get", C + "{pk}/history/", sample=rectification_in(), expect=readers()),
        Endpoint("actions", "get", C + "{pk}/actions/", sample=rectification_in(), expect=readers()),
    ]


class TestFundingActionAPI(APIMatrix):
    endpoints = [
        Endpoint("list", "get", F, sample=funding_action(), expect=readers(LISTED)),
        Endpoint("retrieve", "get", F + "{pk}/", sample=funding_action(), expect=readers()),
        Endpoint(
            # The office alone acts on funds: every other role is refused before the body is read.
            "create", "post", F, data=new_funding_body, model=FundingAction,
            expect=personas(FORBIDDEN, office=CREATED),
        ),
        Endpoint(
            "lift", "post", F + "{pk}/lift/", sample=funding_action(), data={"lift_reason": "项目已恢复正常实施"},
            expect=only({"office": OK}),
        ),
        Endpoint(
            "lift-recovered", "post", F + "{pk}/lift/", sample=funding_action(FundingActionKind.RECOVER),
            data={"lift_reason": "误操作"}, expect=only({"office": rejected("detail")}),
        ),
    ]


TABLES = (
    TestMonitoringRoundAPI, TestMonitoringReportAPI, TestMonitoringRowAPI, TestTreasuryImportAPI,
    TestTreasuryUploadAPI, TestRectificationAPI, TestFundingActionAPI,
)
