"""Target sheets in the admin: readable always, never changed once approved (DESIGN §2.3 — the lock
holds in the admin as on the page, the API and the import)."""

from django.contrib import admin

from .models import ExpertReview, Indicator, IndicatorTemplate, TargetSheet


def _locked(sheet) -> bool:
    return sheet is not None and sheet.is_locked


@admin.register(IndicatorTemplate)
class IndicatorTemplateAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "level1", "level2", "scope", "field", "comparator", "unit", "status")
    list_filter = ("status", "scope", "field", "level1", "level2")
    search_fields = ("code", "name")
    list_select_related = ("proposed_by",)
    raw_id_fields = ("proposed_by",)


class IndicatorInline(admin.TabularInline):
    model = Indicator
    extra = 0
    fields = (
        "period", "position", "level1", "level2", "name", "comparator", "target_value", "target_text", "unit",
        "weight", "last_year_actual", "note",
    )

    # ``obj`` is the sheet: rows of a locked sheet are shown, not editable.
    def has_add_permission(self, request, obj=None):
        return not _locked(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return not _locked(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return not _locked(obj) and super().has_delete_permission(request, obj)


class ExpertReviewInline(admin.TabularInline):
    model = ExpertReview
    extra = 0
    fields = ("expert", "score", "comment", "submitted_at")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(TargetSheet)
class TargetSheetAdmin(admin.ModelAdmin):
    list_display = ("project", "version", "status", "is_current", "publish", "approved_at", "updated_at")
    list_filter = ("status", "is_current", "publish", "project__fiscal_year")
    search_fields = ("project__code", "project__name")
    list_select_related = ("project",)
    raw_id_fields = ("project", "adjustment_of", "created_by")
    # The state, the version chain and the disclosure move only through the services.
    readonly_fields = (
        "status", "state_changed_at", "version", "is_current", "adjustment_of", "approved_at", "publish",
        "published_snapshot", "created_by", "created_at", "updated_at",
    )
    inlines = [IndicatorInline, ExpertReviewInline]

    def has_change_permission(self, request, obj=None):
        return not _locked(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return not _locked(obj) and super().has_delete_permission(request, obj)
