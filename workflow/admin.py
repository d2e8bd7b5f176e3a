from django.contrib import admin

from .models import AuditEvent, ReviewRecord


class ReadOnlyAdmin(admin.ModelAdmin):
    """The audit trail and review records can be read in the admin, never changed or deleted."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ("at", "kind", "username", "role", "ip", "object_type", "object_repr", "success")
    list_filter = ("kind", "success", "role")
    search_fields = ("username", "object_repr", "message")
    date_hierarchy = "at"


@admin.register(ReviewRecord)
class ReviewRecordAdmin(ReadOnlyAdmin):
    list_display = ("at", "chain", "step", "decision", "actor", "opinion")
    list_filter = ("chain", "decision")
