from django.urls import path

from . import file_views, treasury_views, views

app_name = "monitoring"
urlpatterns = [
    # Rounds and the finance overview
    path("", views.RoundListView.as_view(), name="round_list"),
    path("rounds/new/", views.RoundOpenView.as_view(), name="round_open"),
    path("rounds/<int:pk>/", views.RoundOverviewView.as_view(), name="round_detail"),
    path("rounds/<int:pk>/close/", views.RoundCloseView.as_view(), name="round_close"),
    # Reports
    path("reports/", views.ReportListView.as_view(), name="report_list"),
    path("reports/export/", file_views.ReportExportView.as_view(), name="report_export"),
    path("reports/<int:pk>/", views.ReportDetailView.as_view(), name="report_detail"),
    path("reports/<int:pk>/edit/", views.ReportEditView.as_view(), name="report_edit"),
    path("reports/<int:pk>/edit/check/", views.ReportCheckView.as_view(), name="report_check"),
    path("reports/<int:pk>/transition/<slug:action>/", views.ReportTransitionView.as_view(), name="report_transition"),
    # Rectifications
    path("rectifications/", views.RectificationListView.as_view(), name="rectification_list"),
    path("rectifications/<int:pk>/", views.RectificationDetailView.as_view(), name="rectification_detail"),
    path("rectifications/<int:pk>/answer/", views.RectificationAnswerView.as_view(), name="rectification_answer"),
    path(
        "rectifications/<int:pk>/transition/<slug:action>/",
        views.RectificationTransitionView.as_view(),
        name="rectification_transition",
    ),
    # Funding actions
    path("funding/", views.FundingListView.as_view(), name="funding_list"),
    path("funding/new/<int:project_pk>/", views.FundingCreateView.as_view(), name="funding_create"),
    path("funding/<int:pk>/", views.FundingDetailView.as_view(), name="funding_detail"),
    path("funding/<int:pk>/lift/", views.FundingLiftView.as_view(), name="funding_lift"),
    # Treasury payment data (monitoring/treasury_views.py)
    path("treasury/", treasury_views.TreasuryImportView.as_view(), name="treasury_import"),
    path("treasury/template/", treasury_views.TreasuryTemplateView.as_view(), name="treasury_template"),
    path("treasury/<int:pk>/", treasury_views.TreasuryImportDetailView.as_view(), name="treasury_import_detail"),
    path(
        "treasury/<int:pk>/progress/", treasury_views.TreasuryProgressView.as_view(), name="treasury_import_progress"
    ),
]
