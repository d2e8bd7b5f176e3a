from django.urls import path

from . import views

app_name = "workflow"
# Read and export only: the audit log has no edit or delete view (DESIGN issue 2, 等保).
urlpatterns = [
    path("", views.AuditListView.as_view(), name="audit_list"),
    path("export/", views.AuditExportView.as_view(), name="audit_export"),
]
