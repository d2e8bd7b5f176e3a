"""REST API v1 (DESIGN §4): one router for every app's viewsets, plus the token exchange.

Workflow actions are POSTs on the object (``/projects/<id>/submit/`` …), generated from each
chain by ``workflow.api_mixins.WorkflowActionsMixin``.
"""

from django.urls import path
from rest_framework.routers import DefaultRouter

from accounts.api import AgencyViewSet, ExpertViewSet, ObtainTokenView, OrganizationViewSet
from monitoring.api import (
    FundingActionViewSet,
    MonitoringReportViewSet,
    MonitoringRoundViewSet,
    MonitoringRowViewSet,
    RectificationViewSet,
    TreasuryImportViewSet,
)
from projects.api import FiscalYearViewSet, PreAssessmentViewSet, ProjectViewSet
from targets.api import ExpertReviewViewSet, IndicatorTemplateViewSet, IndicatorViewSet, TargetSheetViewSet
from workflow.api import AuditEventViewSet

router = DefaultRouter()
router.register("organizations", OrganizationViewSet, basename="organization")
router.register("fiscal-years", FiscalYearViewSet, basename="fiscalyear")
router.register("projects", ProjectViewSet, basename="project")
router.register("preassessments", PreAssessmentViewSet, basename="preassessment")
router.register("experts", ExpertViewSet, basename="expert")
router.register("agencies", AgencyViewSet, basename="agency")
router.register("audit-events", AuditEventViewSet, basename="auditevent")
router.register("indicator-templates", IndicatorTemplateViewSet, basename="indicatortemplate")
router.register("target-sheets", TargetSheetViewSet, basename="targetsheet")
router.register("indicators", IndicatorViewSet, basename="indicator")
router.register("expert-reviews", ExpertReviewViewSet, basename="expertreview")
router.register("monitoring-rounds", MonitoringRoundViewSet, basename="monitoringround")
router.register("monitoring-reports", MonitoringReportViewSet, basename="monitoringreport")
router.register("monitoring-rows", MonitoringRowViewSet, basename="monitoringrow")
router.register("treasury-imports", TreasuryImportViewSet, basename="treasuryimport")
router.register("rectifications", RectificationViewSet, basename="rectification")
router.register("funding-actions", FundingActionViewSet, basename="fundingaction")

app_name = "api"
urlpatterns = [
    path("auth/token/", ObtainTokenView.as_view(), name="token"),
    *router.urls,
]
