"""State changes of the indicator library 指标库 (DESIGN §2.3). Pages, API and imports call these.

The performance office keeps the library; a department (its reviewer or a unit clerk) may propose
a template for its field, which stays ``proposed`` — visible to the office and the proposing
department only — until the office confirms or rejects it.
"""

from django.db import transaction

from accounts.choices import Role
from workflow.audit import AuditEventKind, record_event, snapshot
from workflow.errors import RuleViolation, TransitionForbidden

from .choices import TemplateScope, TemplateStatus
from .models import IndicatorTemplate

TEMPLATE_FIELDS = (
    "code",
    "name",
    "level1",
    "level2",
    "scope",
    "field",
    "comparator",
    "unit",
    "suggested_value",
    "data_source",
    "scoring_note",
)
# What a department may say about its proposal (the office decides code and scope).
PROPOSAL_FIELDS = tuple(f for f in TEMPLATE_FIELDS if f not in ("code", "scope"))


def can_manage_library(user) -> tuple[bool, str]:
    if user.has_role(Role.PERFORMANCE_OFFICE):
        return True, ""
    return False, "指标库由财政绩效管理科维护；主管部门和单位可提议本领域指标。"


def can_propose_template(user) -> tuple[bool, str]:
    if not user.has_role(Role.DEPT_REVIEWER, Role.UNIT_STAFF):
        return False, "只有主管部门和预算单位可以提议指标。"
    if user.organization_id is None or user.organization.department is None:
        return False, "您的账号未归属任何主管部门，不能提议指标。"
    return True, ""


def _require(answer):
    allowed, reason = answer
    if not allowed:
        raise TransitionForbidden(reason)


def _next_code() -> str:
    """ZB000123: the next free number (codes typed by the office may use any other form)."""
    number = IndicatorTemplate.objects.count() + 1
    while IndicatorTemplate.objects.filter(code=f"ZB{number:06d}").exists():
        number += 1
    return f"ZB{number:06d}"


def _save(template: IndicatorTemplate) -> IndicatorTemplate:
    if not (template.code or "").strip():
        template.code = _next_code()
    template.name = (template.name or "").strip()
    template.full_clean()
    template.save()
    return template


@transaction.atomic
def create_template(user, data: dict) -> IndicatorTemplate:
    """The office adds a confirmed template (blank ``code`` → the next ZB number)."""
    _require(can_manage_library(user))
    template = _save(
        IndicatorTemplate(**{f: data[f] for f in TEMPLATE_FIELDS if f in data}, status=TemplateStatus.CONFIRMED)
    )
    record_event(AuditEventKind.CREATE, user=user, obj=template, after=snapshot(template))
    return template


@transaction.atomic
def update_template(template: IndicatorTemplate, user, data: dict) -> IndicatorTemplate:
    _require(can_manage_library(user))
    template = IndicatorTemplate.objects.select_for_update().get(pk=template.pk)
    before = snapshot(template)
    for name in TEMPLATE_FIELDS:
        if name in data:
            setattr(template, name, data[name])
    _save(template)
    record_event(AuditEventKind.UPDATE, user=user, obj=template, before=before, after=snapshot(template))
    return template


@transaction.atomic
def propose_template(user, data: dict) -> IndicatorTemplate:
    """A department proposes a template of its field; the office confirms it before anyone else
    sees it."""
    _require(can_propose_template(user))
    template = _save(
        IndicatorTemplate(
            **{f: data[f] for f in PROPOSAL_FIELDS if f in data},
            scope=TemplateScope.FIELD,
            status=TemplateStatus.PROPOSED,
            proposed_by=user.organization.department,
        )
    )
    record_event(AuditEventKind.CREATE, user=user, obj=template, after=snapshot(template), message="提议指标")
    return template


def _decide(template: IndicatorTemplate, user, status: str, message: str) -> IndicatorTemplate:
    """Compare-and-set from ``proposed`` (two office members deciding at once: one wins)."""
    _require(can_manage_library(user))
    changed = IndicatorTemplate.objects.filter(pk=template.pk, status=TemplateStatus.PROPOSED).update(status=status)
    if changed != 1:
        raise RuleViolation("只能确认或不采纳“待确认”的指标。")
    before = {"status": template.status}
    template.status = status
    record_event(
        AuditEventKind.UPDATE, user=user, obj=template, before=before, after={"status": status}, message=message
    )
    return template


def _message(action: str, opinion: str) -> str:
    return f"{action}：{opinion.strip()}" if opinion.strip() else action


@transaction.atomic
def confirm_template(template: IndicatorTemplate, user, opinion: str = "") -> IndicatorTemplate:
    return _decide(template, user, TemplateStatus.CONFIRMED, _message("确认指标", opinion))


@transaction.atomic
def reject_template(template: IndicatorTemplate, user, opinion: str = "") -> IndicatorTemplate:
    """不采纳, with the reason recorded in the audit trail."""
    return _decide(template, user, TemplateStatus.REJECTED, _message("不采纳", opinion))
