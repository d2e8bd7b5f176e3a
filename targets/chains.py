"""The review chain of target sheets (DESIGN §2.3): unit → department → finance business office →
performance office (→ experts for key projects) → approved with the budget. Adjustments run
through the same chain."""

from accounts.choices import Role
from workflow.chains import Chain, Transition

from .choices import SheetStatus


def _no_blocking_problems(sheet, user, **params):
    from .checks import blocking, check_sheet

    problems = blocking(check_sheet(sheet))
    if problems:
        return False, "".join(p.message for p in problems)
    return True, ""


def _expert_review_done(sheet, user, **params):
    """Key projects are approved only after every assigned expert has scored the sheet."""
    if not sheet.project.is_key:
        return True, ""
    reviews = list(sheet.expert_reviews.all())
    if not reviews:
        return False, "重点项目的绩效目标须先送专家评审。"
    if any(r.submitted_at is None for r in reviews):
        return False, "仍有专家未提交评审意见。"
    return True, ""


def _all_experts_scored(sheet, user, **params):
    if sheet.expert_reviews.pending().exists():
        return False, "仍有专家未提交评审意见。"
    return True, ""


def _on_approved(sheet, user, **params):
    from .services import put_in_force

    put_in_force(sheet, user)


RETURNABLE = (
    SheetStatus.DEPT_REVIEW,
    SheetStatus.FINANCE_REVIEW,
    SheetStatus.OFFICE_REVIEW,
    SheetStatus.EXPERT_REVIEW,
)

TARGET_CHAIN = Chain(
    name="targets",
    label="绩效目标审核",
    states=SheetStatus,
    transitions=(
        Transition(
            action="submit",
            label="提交审核",
            decision="提交",
            sources=(SheetStatus.DRAFT, SheetStatus.RETURNED),
            target=SheetStatus.DEPT_REVIEW,
            roles=frozenset({Role.UNIT_STAFF}),
            rule_check=_no_blocking_problems,
        ),
        Transition(
            action="approve",
            label="审核通过",
            decision="通过",
            sources=(SheetStatus.DEPT_REVIEW,),
            target=SheetStatus.FINANCE_REVIEW,
            roles=frozenset({Role.DEPT_REVIEWER}),
            style="success",
        ),
        Transition(
            action="approve",
            label="审核通过",
            decision="通过",
            sources=(SheetStatus.FINANCE_REVIEW,),
            target=SheetStatus.OFFICE_REVIEW,
            roles=frozenset({Role.FINANCE_REVIEWER}),
            style="success",
        ),
        Transition(
            action="send_to_experts",
            label="送专家评审",
            decision="送专家评审",
            sources=(SheetStatus.OFFICE_REVIEW,),
            target=SheetStatus.EXPERT_REVIEW,
            roles=frozenset({Role.PERFORMANCE_OFFICE}),
            when=lambda sheet: sheet.project.is_key,
            style="secondary",
        ),
        Transition(
            action="experts_done",
            label="专家评审完成",
            decision="专家评审完成",
            sources=(SheetStatus.EXPERT_REVIEW,),
            target=SheetStatus.OFFICE_REVIEW,
            roles=frozenset({Role.EXPERT, Role.PERFORMANCE_OFFICE}),
            rule_check=_all_experts_scored,
        ),
        Transition(
            action="approve",
            label="批复",
            decision="批复",
            sources=(SheetStatus.OFFICE_REVIEW,),
            target=SheetStatus.APPROVED,
            roles=frozenset({Role.PERFORMANCE_OFFICE}),
            rule_check=_expert_review_done,
            on_done=_on_approved,
            style="success",
        ),
        Transition(
            action="return",
            label="退回",
            decision="退回",
            sources=RETURNABLE,
            target=SheetStatus.RETURNED,
            roles=frozenset({Role.DEPT_REVIEWER, Role.FINANCE_REVIEWER, Role.PERFORMANCE_OFFICE}),
            actor_check=lambda sheet, user, **params: _may_return(sheet, user),
            opinion_required=True,
            style="danger",
        ),
    ),
)

# Who may return at each step: the reviewer of that step.
_RETURNERS = {
    SheetStatus.DEPT_REVIEW: Role.DEPT_REVIEWER,
    SheetStatus.FINANCE_REVIEW: Role.FINANCE_REVIEWER,
    SheetStatus.OFFICE_REVIEW: Role.PERFORMANCE_OFFICE,
    SheetStatus.EXPERT_REVIEW: Role.PERFORMANCE_OFFICE,
}


def _may_return(sheet, user) -> tuple[bool, str]:
    role = _RETURNERS.get(sheet.status)
    if role and user.has_role(role):
        return True, ""
    return False, "当前环节不由您办理，不能退回。"
