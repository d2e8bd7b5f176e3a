from django.urls import path

from . import file_views, views

app_name = "projects"
urlpatterns = [
    # Project library
    path("", views.ProjectListView.as_view(), name="project_list"),
    path("new/", views.ProjectFormView.as_view(), name="project_create"),
    path("<int:pk>/", views.ProjectDetailView.as_view(), name="project_detail"),
    path("<int:pk>/edit/", views.ProjectFormView.as_view(), name="project_edit"),
    path("<int:pk>/key/", views.SetKeyProjectView.as_view(), name="project_set_key"),
    path(
        "<int:pk>/transition/<slug:action>/", views.ProjectTransitionView.as_view(), name="project_transition"
    ),
    path("<int:pk>/preassessment/start/", views.StartPreAssessmentView.as_view(), name="preassessment_start"),
    # Excel and attachments (projects/file_views.py)
    path("import/", file_views.ProjectImportView.as_view(), name="project_import"),
    path("export/", file_views.ProjectExportView.as_view(), name="project_export"),
    path("template/", file_views.ProjectTemplateView.as_view(), name="project_template"),
    path(
        "attachments/upload/<str:model>/<int:pk>/",
        file_views.AttachmentUploadView.as_view(),
        name="attachment_upload",
    ),
    path("attachments/<int:pk>/", file_views.AttachmentDownloadView.as_view(), name="attachment_download"),
    # Pre-assessment
    path("preassessments/", views.PreAssessmentListView.as_view(), name="preassessment_list"),
    path("preassessments/<int:pk>/", views.PreAssessmentDetailView.as_view(), name="preassessment_detail"),
    path("preassessments/<int:pk>/edit/", views.PreAssessmentEditView.as_view(), name="preassessment_edit"),
    path(
        "preassessments/<int:pk>/commission/", views.CommissionView.as_view(), name="preassessment_commission"
    ),
    path(
        "preassessments/<int:pk>/transition/<slug:action>/",
        views.PreAssessmentTransitionView.as_view(),
        name="preassessment_transition",
    ),
    # Fiscal years and the working-day calendar
    path("years/", views.FiscalYearListView.as_view(), name="fiscalyear_list"),
    path("years/<int:pk>/edit/", views.FiscalYearEditView.as_view(), name="fiscalyear_edit"),
    path("calendar/", views.CalendarView.as_view(), name="calendar"),
    path("calendar/day/", views.CalendarDayView.as_view(), name="calendar_day"),
    path("calendar/year/", views.CalendarYearView.as_view(), name="calendar_year"),
    path("calendar/sync/", views.CalendarSyncView.as_view(), name="calendar_sync"),
]
