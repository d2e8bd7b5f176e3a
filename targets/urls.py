from django.urls import path

from . import file_views, views

app_name = "targets"
urlpatterns = [
    # Target sheets
    path("", views.SheetListView.as_view(), name="sheet_list"),
    path("approve/", views.BatchApproveView.as_view(), name="batch_approve"),
    path("new/<int:project_pk>/", views.CreateSheetView.as_view(), name="sheet_create"),
    path("<int:pk>/", views.SheetDetailView.as_view(), name="sheet_detail"),
    path("<int:pk>/edit/", views.SheetEditView.as_view(), name="sheet_edit"),
    path("<int:pk>/edit/check/", views.SheetCheckView.as_view(), name="sheet_check"),
    path("<int:pk>/edit/row/", views.SheetRowView.as_view(), name="sheet_row"),
    path("<int:pk>/transition/<slug:action>/", views.SheetTransitionView.as_view(), name="sheet_transition"),
    path("<int:pk>/adjust/", views.AdjustmentView.as_view(), name="sheet_adjust"),
    path("<int:pk>/experts/", views.SendToExpertsView.as_view(), name="send_to_experts"),
    path("<int:pk>/expert-review/", views.ExpertReviewView.as_view(), name="expert_review"),
    path("<int:pk>/diff/<int:other_pk>/", views.SheetDiffView.as_view(), name="sheet_diff"),
    # Indicator library
    path("library/", views.LibraryView.as_view(), name="library"),
    path("library/search/", views.LibrarySearchView.as_view(), name="library_search"),
    path("library/new/", views.TemplateFormView.as_view(mode="create"), name="template_create"),
    path("library/propose/", views.TemplateFormView.as_view(mode="propose"), name="template_propose"),
    path("library/<int:pk>/edit/", views.TemplateFormView.as_view(mode="edit"), name="template_edit"),
    path("library/<int:pk>/confirm/", views.TemplateDecisionView.as_view(confirm=True), name="template_confirm"),
    path("library/<int:pk>/reject/", views.TemplateDecisionView.as_view(confirm=False), name="template_reject"),
    # Excel and print (targets/file_views.py)
    path("excel/template/", file_views.SheetTemplateView.as_view(), name="sheet_template"),
    path("excel/import/", file_views.SheetImportView.as_view(), name="sheet_import"),
    path("excel/export/", file_views.SheetExportView.as_view(), name="sheet_export"),
    path("<int:pk>/form.xlsx", file_views.SheetFormView.as_view(kind="xlsx"), name="sheet_form_xlsx"),
    path("<int:pk>/form.pdf", file_views.SheetFormView.as_view(kind="pdf"), name="sheet_form_pdf"),
    path("library/export/", file_views.LibraryExportView.as_view(), name="library_export"),
    path("library/import/", file_views.LibraryImportView.as_view(), name="library_import"),
]
