"""Writes to the expert pool, the agency pool and user accounts (DESIGN §2.5, §1).

Only the performance office manages these. Every write happens in one transaction together with
its audit event, and every function takes the acting user — never a request (STYLE habit 8).
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from workflow.audit import AuditEventKind, record_event, snapshot

from .choices import OrganizationKind, Role
from .models import Agency, Expert, Organization, User

POOL_READ_ROLES = (Role.FINANCE_REVIEWER, Role.PERFORMANCE_OFFICE, Role.AUDITOR)
POOL_WRITE_ROLES = (Role.PERFORMANCE_OFFICE,)


def can_read_pools(user) -> tuple[bool, str]:
    if user.is_superuser or user.has_role(*POOL_READ_ROLES):
        return True, ""
    return False, "专家库和第三方机构库仅限财政部门和审计人员查看。"


def can_manage_pools(user) -> tuple[bool, str]:
    if user.is_superuser or user.has_role(*POOL_WRITE_ROLES):
        return True, ""
    return False, "专家库、第三方机构库和用户账号由财政绩效管理科维护，您的角色只能查看。"


def _require_manager(actor, what: str):
    allowed, reason = can_manage_pools(actor)
    if not allowed:
        record_event(AuditEventKind.PERMISSION_DENIED, user=actor, success=False, message=f"{what}: {reason}")
        refusal = PermissionDenied(reason)
        refusal.audited = True  # handler403 must not record it twice
        raise refusal


def bar_reason_error(is_barred: bool, reason: str) -> str:
    """The 失信惩戒 rule: barring an agency must say why (also a database constraint)."""
    if is_barred and not (reason or "").strip():
        return "禁入第三方机构须填写禁入原因。"
    return ""


def _save(obj, actor, *, before: dict):
    """Validate, save and audit one pool row inside the caller's transaction."""
    creating = obj._state.adding
    obj.full_clean()
    obj.save()
    record_event(
        AuditEventKind.CREATE if creating else AuditEventKind.UPDATE,
        user=actor,
        obj=obj,
        before=before,
        after=snapshot(obj),
        message=f"{obj._meta.verbose_name}·{'新建' if creating else '修改'}",
    )
    return obj


def save_expert(expert: Expert, actor) -> Expert:
    """Create or update an expert of the pool (专家库)."""
    _require_manager(actor, "维护专家库")
    with transaction.atomic():
        before = {} if expert._state.adding else snapshot(Expert.objects.select_for_update().get(pk=expert.pk))
        return _save(expert, actor, before=before)


def save_agency(agency: Agency, actor, *, name: str, code: str) -> Agency:
    """Create or update an agency of the pool (第三方机构库) with its organisation node.

    A new agency gets its own organisation of kind 第三方机构 (its evaluators belong to it).
    """
    _require_manager(actor, "维护第三方机构库")
    message = bar_reason_error(agency.is_barred, agency.barred_reason)
    if message:
        raise ValidationError({"barred_reason": message})
    if not agency.is_barred:
        agency.barred_reason = ""
    with transaction.atomic():
        if agency._state.adding:
            before = {}
            org = Organization(name=name, code=code, kind=OrganizationKind.AGENCY)
            org.full_clean(exclude=["path"])
            org.save()
            record_event(AuditEventKind.CREATE, user=actor, obj=org, after=snapshot(org), message="新建第三方机构组织")
            agency.organization = org
        else:
            before = snapshot(Agency.objects.select_for_update().get(pk=agency.pk))
            org = Organization.objects.select_for_update().get(pk=agency.organization_id)
            if (org.name, org.code) != (name, code):
                org_before = snapshot(org)
                org.name, org.code = name, code
                org.full_clean(exclude=["path"])
                org.save()
                record_event(
                    AuditEventKind.UPDATE, user=actor, obj=org, before=org_before, after=snapshot(org),
                    message="修改第三方机构名称/编码",
                )
            agency.organization = org
        return _save(agency, actor, before=before)


def set_user_active(user_id: int, active: bool, actor) -> User:
    """Enable or disable an account. A disabled account's sessions end at its next request."""
    _require_manager(actor, "启用/停用账号")
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user_id)
        if user.pk == actor.pk and not active:
            raise ValidationError("不能停用自己的账号。")
        if user.is_active == active:
            return user
        before = snapshot(user, ["is_active"])
        User.objects.filter(pk=user.pk).update(is_active=active)
        user.is_active = active
        record_event(
            AuditEventKind.UPDATE,
            user=actor,
            obj=user,
            before=before,
            after=snapshot(user, ["is_active"]),
            message="启用账号" if active else "停用账号",
        )
    return user
