"""Who may do what in dual monitoring, answering why (STYLE habit 4).

Each function returns ``(allowed, reason)``; services enforce them, pages and the API use them for
buttons and early refusals. Scope (is the object visible at all?) is ``visible_to``'s question.
"""

from accounts.choices import Role

Answer = tuple[bool, str]


def can_manage_rounds(user) -> Answer:
    if user.has_role(Role.PERFORMANCE_OFFICE):
        return True, ""
    return False, "监控批次由财政绩效管理科开启和结束。"


def is_reporter(user, project) -> Answer:
    """谁申请资金，谁报告进度: the project's own unit fills its monitoring reports."""
    if not user.has_role(Role.UNIT_STAFF):
        return False, "绩效监控表由项目单位填报。"
    if user.organization_id is None or not project.unit.is_within(user.organization):
        return False, "只能填报本单位项目的绩效监控表。"
    return True, ""


def can_fill_report(user, report) -> Answer:
    """The reporter, while the report is with the unit and its round open."""
    allowed, reason = is_reporter(user, report.project)
    if not allowed:
        return allowed, reason
    if not report.is_editable:
        return False, f"绩效监控表当前状态为“{report.get_status_display()}”，不能修改。"
    if not report.round.is_open:
        return False, "该监控批次已结束，不能再修改。"
    return True, ""


def can_view_treasury(user) -> Answer:
    """Treasury payment data is finance's: the finance roles and the auditor read it."""
    if user.is_authenticated and user.is_active and (user.is_superuser or user.sees_citywide):
        return True, ""
    return False, "国库支付数据由财政部门导入，仅财政部门和审计可以查看。"


def can_import_treasury(user) -> Answer:
    if user.has_role(Role.FINANCE_REVIEWER, Role.PERFORMANCE_OFFICE):
        return True, ""
    return False, "国库支付数据由财政部门导入。"


def is_answerer(user, project) -> Answer:
    """The department answers a rectification: the project's unit, or its department's reviewer."""
    own = user.organization_id is not None and (
        (user.has_role(Role.UNIT_STAFF) and project.unit.is_within(user.organization))
        or (user.has_role(Role.DEPT_REVIEWER) and project.department.is_within(user.organization))
    )
    if not own:
        return False, "整改情况由项目单位或主管部门填报。"
    return True, ""


def can_answer_rectification(user, rectification) -> Answer:
    """The answerer, while the rectification is still open."""
    allowed, reason = is_answerer(user, rectification.project)
    if not allowed:
        return allowed, reason
    if not rectification.is_open:
        return False, f"整改当前状态为“{rectification.get_status_display()}”，不能修改。"
    return True, ""


def can_manage_funding(user) -> Answer:
    if user.has_role(Role.PERFORMANCE_OFFICE):
        return True, ""
    return False, "暂缓拨款、停止拨款和收回资金由财政绩效管理科办理。"
