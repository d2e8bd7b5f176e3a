"""REST API v1 (DESIGN §4): one router for every app's viewsets, plus the token exchange.

Workflow actions are POSTs on the object (``/projects/<id>/submit/`` …), generated from each
chain by ``workflow.api_mixins.WorkflowActionsMixin``.
"""

from django.urls import path
from rest_framework.routers import DefaultRouter

from accounts.api import AgencyViewSet, ExpertViewSet, ObtainTokenView, OrganizationViewSet
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

app_name = "api"
urlpatterns = [
    path("auth/token/", ObtainTokenView.as_view(), name="token"),
    *router.urls,
]
