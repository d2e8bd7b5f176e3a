"""Who may do what to a project or pre-assessment, answering why (STYLE habit 4).

Each function returns ``(allowed, reason)``; services enforce them, pages use them for buttons.
Scope (is the object visible at all?) is decided by ``visible_to`` before these are asked.
"""

from accounts.choices import Role

from .choices import PreAssessmentMode

Answer = tuple[bool, str]


def can_create_project(user) -> Answer:
    if not user.has_role(Role.UNIT_STAFF):
        return False, "只有单位填报人可以新建项目。"
    if user.organization_id is None:
        return False, "您的账号未关联单位，请联系管理员。"
    return True, ""


def can_edit_project(user, project) -> Answer:
    if not user.has_role(Role.UNIT_STAFF):
        return False, "只有单位填报人可以修改项目。"
    if not project.unit.is_within(user.organization):
        return False, "只能修改本单位的项目。"
    if not project.is_editable:
        return False, f"项目当前状态为“{project.get_status_display()}”，不能修改。"
    return True, ""


def can_mark_key(user, project) -> Answer:
    if not user.has_role(Role.PERFORMANCE_OFFICE):
        return False, "重点项目由财政绩效管理科确定。"
    return True, ""


def can_start_preassessment(user, project) -> Answer:
    if hasattr(project, "preassessment"):
        return False, "该项目已有事前绩效评估。"
    if user.has_role(Role.UNIT_STAFF) and project.unit.is_within(user.organization):
        return True, ""
    if user.has_role(Role.PERFORMANCE_OFFICE):
        return True, ""
    return False, "事前绩效评估由项目单位发起或由财政绩效管理科委托。"


def can_fill_preassessment(user, pa) -> Answer:
    if not pa.is_editable:
        return False, f"评估当前状态为“{pa.get_status_display()}”，不能修改。"
    if pa.mode == PreAssessmentMode.SELF:
        if user.has_role(Role.UNIT_STAFF) and pa.project.unit.is_within(user.organization):
            return True, ""
        return False, "部门自行评估由项目单位填报。"
    if pa.mode == PreAssessmentMode.AGENCY:
        if user.has_role(Role.AGENCY_EVALUATOR) and pa.agency and pa.agency.organization_id == user.organization_id:
            return True, ""
        return False, "该评估已委托第三方机构，由受托机构填报。"
    if user.has_role(Role.EXPERT) and pa.experts.filter(user=user).exists():
        return True, ""
    return False, "该评估已委托专家评审，由评审专家填报。"


def can_commission_preassessment(user, pa) -> Answer:
    if not user.has_role(Role.PERFORMANCE_OFFICE):
        return False, "只有财政绩效管理科可以委托第三方机构或专家评估。"
    if not pa.is_editable:
        return False, f"评估当前状态为“{pa.get_status_display()}”，不能变更评估方式。"
    return True, ""


def can_upload_attachment(user, obj) -> Answer:
    """Whoever may fill the record may attach files to it (each attachable model says who)."""
    from .uploads import attachable

    entry = attachable(type(obj))
    if entry is None:
        return False, "该记录不支持附件。"
    return entry.permission(user, obj)
