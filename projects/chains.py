"""The review chains of the project library and the pre-assessment (DESIGN §2.1, §2.2)."""

from accounts.choices import Role
from workflow.chains import Chain, Transition

from .choices import Conclusion, PreAssessmentMode, PreAssessmentStatus, ProjectStatus


def _preassessment_gate(project, user, **params):
    return project.preassessment_gate()


PROJECT_CHAIN = Chain(
    name="project",
    label="项目申报",
    states=ProjectStatus,
    transitions=(
        Transition(
            action="submit",
            label="申报",
            decision="提交",
            sources=(ProjectStatus.DRAFT, ProjectStatus.RETURNED),
            target=ProjectStatus.DEPT_REVIEW,
            roles=frozenset({Role.UNIT_STAFF}),
            rule_check=_preassessment_gate,
        ),
        Transition(
            action="approve",
            label="审核通过并入库",
            decision="通过",
            sources=(ProjectStatus.DEPT_REVIEW,),
            target=ProjectStatus.IN_LIBRARY,
            roles=frozenset({Role.DEPT_REVIEWER}),
            rule_check=_preassessment_gate,
            style="success",
        ),
        Transition(
            action="return",
            label="退回",
            decision="退回",
            sources=(ProjectStatus.DEPT_REVIEW,),
            target=ProjectStatus.RETURNED,
            roles=frozenset({Role.DEPT_REVIEWER}),
            opinion_required=True,
            style="danger",
        ),
    ),
)


def _is_commissioned(pa) -> bool:
    return pa.mode != PreAssessmentMode.SELF


def _dimensions_complete(pa, user, **params):
    missing = pa.missing_dimensions()
    if missing:
        return False, f"请填写以下评估维度的得分和意见：{'、'.join(missing)}。"
    return True, ""


def _assigned_to_actor(pa, user, **params):
    """A commissioned assessment is submitted by the agency or an expert it was given to."""
    if user.has_role(Role.AGENCY_EVALUATOR):
        if pa.agency_id and pa.agency.organization_id == user.organization_id:
            return True, ""
        return False, "该评估未委托给您所在的机构。"
    if user.has_role(Role.EXPERT):
        if pa.experts.filter(user=user).exists():
            return True, ""
        return False, "该评估未分配给您。"
    return False, "委托评估由受托机构或专家提交。"


def _valid_conclusion(pa, user, conclusion="", **params):
    if conclusion not in Conclusion.values:
        return False, "请选择评估结论：予以支持、调整后支持或不予支持。"
    return True, ""


def _set_conclusion(pa, user, conclusion="", opinion="", **params):
    return {"conclusion": conclusion, "conclusion_opinion": opinion.strip()}


PREASSESSMENT_CHAIN = Chain(
    name="preassessment",
    label="事前绩效评估",
    states=PreAssessmentStatus,
    transitions=(
        Transition(
            action="submit",
            label="提交审核",
            decision="提交",
            sources=(PreAssessmentStatus.DRAFT, PreAssessmentStatus.RETURNED),
            target=PreAssessmentStatus.DEPT_REVIEW,
            roles=frozenset({Role.UNIT_STAFF}),
            when=lambda pa: not _is_commissioned(pa),
            rule_check=_dimensions_complete,
        ),
        Transition(
            action="submit",
            label="提交评估报告",
            decision="提交",
            sources=(PreAssessmentStatus.DRAFT, PreAssessmentStatus.RETURNED),
            target=PreAssessmentStatus.FINANCE_REVIEW,
            roles=frozenset({Role.AGENCY_EVALUATOR, Role.EXPERT}),
            when=_is_commissioned,
            actor_check=_assigned_to_actor,
            rule_check=_dimensions_complete,
        ),
        Transition(
            action="approve",
            label="审核通过",
            decision="通过",
            sources=(PreAssessmentStatus.DEPT_REVIEW,),
            target=PreAssessmentStatus.FINANCE_REVIEW,
            roles=frozenset({Role.DEPT_REVIEWER}),
            style="success",
        ),
        Transition(
            action="return",
            label="退回",
            decision="退回",
            sources=(PreAssessmentStatus.DEPT_REVIEW,),
            target=PreAssessmentStatus.RETURNED,
            roles=frozenset({Role.DEPT_REVIEWER}),
            opinion_required=True,
            style="danger",
        ),
        Transition(
            action="conclude",
            label="出具结论",
            decision="出具结论",
            sources=(PreAssessmentStatus.FINANCE_REVIEW,),
            target=PreAssessmentStatus.CONCLUDED,
            roles=frozenset({Role.PERFORMANCE_OFFICE}),
            rule_check=_valid_conclusion,
            effects=_set_conclusion,
            style="success",
        ),
        Transition(
            action="return",
            label="退回",
            decision="退回",
            sources=(PreAssessmentStatus.FINANCE_REVIEW,),
            target=PreAssessmentStatus.RETURNED,
            roles=frozenset({Role.PERFORMANCE_OFFICE}),
            opinion_required=True,
            style="danger",
        ),
    ),
)
