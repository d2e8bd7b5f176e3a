from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from workflow.audit import AuditEventKind, record_event, snapshot

from .models import Agency, Expert, Organization, User


class AuditedAdmin(admin.ModelAdmin):
    """Changes made in the admin are audited like changes made in the pages."""

    def save_model(self, request, obj, form, change):
        before = snapshot(type(obj).objects.get(pk=obj.pk)) if change else {}
        super().save_model(request, obj, form, change)
        after = snapshot(obj)
        for secret in ("password",):  # never copy a hash into the log
            before.pop(secret, None)
            after.pop(secret, None)
        record_event(
            AuditEventKind.UPDATE if change else AuditEventKind.CREATE,
            user=request.user,
            obj=obj,
            before=before,
            after=after,
            message="管理后台",
        )


@admin.register(Organization)
class OrganizationAdmin(AuditedAdmin):
    list_display = ("name", "code", "kind", "parent", "is_active")
    list_filter = ("kind", "is_active")
    search_fields = ("name", "code")
    readonly_fields = ("path",)
    autocomplete_fields = ("parent",)


@admin.register(User)
class UserAdmin(AuditedAdmin, DjangoUserAdmin):
    list_display = ("username", "last_name", "first_name", "organization", "is_active", "last_login")
    list_filter = ("is_active", "groups", "organization__kind")
    search_fields = ("username", "last_name", "first_name", "email")
    autocomplete_fields = ("organization",)
    fieldsets = (
        *DjangoUserAdmin.fieldsets,
        ("所属组织", {"fields": ("organization", "phone")}),
    )
    add_fieldsets = (
        *DjangoUserAdmin.add_fieldsets,
        ("所属组织", {"fields": ("last_name", "first_name", "organization", "groups")}),
    )


@admin.register(Expert)
class ExpertAdmin(AuditedAdmin):
    list_display = ("name", "title", "fields", "own_department", "is_active")
    list_filter = ("is_active",)
    search_fields = ("name", "fields", "employer")
    autocomplete_fields = ("own_department", "user")


@admin.register(Agency)
class AgencyAdmin(AuditedAdmin):
    list_display = ("__str__", "qualification", "credit_code", "is_barred")
    list_filter = ("qualification", "is_barred")
    search_fields = ("organization__name", "credit_code")
    autocomplete_fields = ("organization",)
