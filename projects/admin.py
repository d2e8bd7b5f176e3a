from django.contrib import admin

from workflow.admin import ReadOnlyAdmin

from .models import Attachment, CalendarDay, CalendarYear, DimensionScore, FiscalYear, PreAssessment, Project


@admin.register(FiscalYear)
class FiscalYearAdmin(admin.ModelAdmin):
    list_display = ("year", "is_current", "preassessment_threshold", "project_submission_deadline")
    ordering = ("-year",)


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    list_display = (
        "code", "name", "fiscal_year", "department", "unit", "budget_amount", "status", "is_new", "is_major", "is_key"
    )
    list_filter = ("fiscal_year", "status", "budget_type", "kind", "is_new", "is_major", "is_key")
    search_fields = ("code", "name", "responsible_person")
    list_select_related = ("fiscal_year", "department", "unit")
    raw_id_fields = ("department", "unit", "created_by")
    readonly_fields = ("status", "state_changed_at", "created_by", "created_at", "updated_at")


class DimensionScoreInline(admin.TabularInline):
    model = DimensionScore
    extra = 0
    max_num = 5


@admin.register(PreAssessment)
class PreAssessmentAdmin(admin.ModelAdmin):
    list_display = ("project", "mode", "status", "conclusion", "updated_at")
    list_filter = ("status", "mode", "conclusion")
    search_fields = ("project__code", "project__name")
    list_select_related = ("project",)
    raw_id_fields = ("project",)
    filter_horizontal = ("experts",)
    # The state moves only along the review chain (perform_transition), never by hand.
    readonly_fields = ("status", "state_changed_at", "conclusion", "conclusion_opinion", "created_at", "updated_at")
    inlines = [DimensionScoreInline]


@admin.register(CalendarYear)
class CalendarYearAdmin(admin.ModelAdmin):
    list_display = ("year", "complete", "source")


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    list_display = ("date", "is_workday", "name")
    list_filter = ("is_workday",)
    date_hierarchy = "date"


@admin.register(Attachment)
class AttachmentAdmin(ReadOnlyAdmin):
    list_display = ("original_name", "content_type", "object_id", "kind", "size", "uploaded_by", "uploaded_at")
    list_filter = ("kind", "content_type")
    search_fields = ("original_name", "sha256")
