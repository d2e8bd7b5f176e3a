"""The review chains of dual monitoring (DESIGN §2.4, §2.6).

Monitoring report: unit → department → finance business office, which returns it, accepts it, or
accepts it with a rectification request (整改) due in the year's working days.
Rectification: the department answers with measures and evidence; the finance role that asked
confirms it or sends it back.
"""

from accounts.choices import Role
from workflow.chains import Chain, Transition

from .choices import RectificationStatus, ReportStatus


def _report_complete(report, user, **params):
    from .services import report_problems

    problems = report_problems(report)
    if problems:
        return False, "".join(problems)
    return True, ""


def _may_submit(report, user, **params):
    if not report.round.is_open:
        return False, "该监控批次已结束，不能再报送。"
    return _report_complete(report, user, **params)


def _decided(report, user, **params):
    from django.utils import timezone

    return {"decided_at": timezone.now()}


def _submitted(report, user, **params):
    from django.utils import timezone

    return {"submitted_at": timezone.now()}


def _issue_rectification(report, user, opinion="", requirements="", **params):
    from .services import issue_rectification

    issue_rectification(report, user, issues=opinion, requirements=requirements)


REPORT_CHAIN = Chain(
    name="monitoring",
    label="绩效监控审核",
    states=ReportStatus,
    transitions=(
        Transition(
            action="submit",
            label="报送",
            decision="提交",
            sources=(ReportStatus.DRAFT, ReportStatus.RETURNED),
            target=ReportStatus.DEPT_REVIEW,
            roles=frozenset({Role.UNIT_STAFF}),
            rule_check=_may_submit,
            effects=_submitted,
        ),
        Transition(
            action="approve",
            label="审核通过",
            decision="通过",
            sources=(ReportStatus.DEPT_REVIEW,),
            target=ReportStatus.FINANCE_REVIEW,
            roles=frozenset({Role.DEPT_REVIEWER}),
            style="success",
        ),
        Transition(
            action="return",
            label="退回",
            decision="退回",
            sources=(ReportStatus.DEPT_REVIEW,),
            target=ReportStatus.RETURNED,
            roles=frozenset({Role.DEPT_REVIEWER}),
            opinion_required=True,
            style="danger",
        ),
        Transition(
            action="accept",
            label="审核通过",
            decision="通过",
            sources=(ReportStatus.FINANCE_REVIEW,),
            target=ReportStatus.ACCEPTED,
            roles=frozenset({Role.FINANCE_REVIEWER}),
            effects=_decided,
            style="success",
        ),
        Transition(
            action="rectify",
            label="通过并要求整改",
            decision="通过并要求整改",
            sources=(ReportStatus.FINANCE_REVIEW,),
            target=ReportStatus.ACCEPTED_RECTIFY,
            roles=frozenset({Role.FINANCE_REVIEWER}),
            opinion_required=True,  # the opinion is what must be corrected
            effects=_decided,
            on_done=_issue_rectification,
            style="warning",
        ),
        Transition(
            action="return",
            label="退回",
            decision="退回",
            sources=(ReportStatus.FINANCE_REVIEW,),
            target=ReportStatus.RETURNED,
            roles=frozenset({Role.FINANCE_REVIEWER}),
            opinion_required=True,
            style="danger",
        ),
    ),
)


def _answer_complete(rectification, user, **params):
    answer = (("measures", "整改措施"), ("outcome", "整改情况"))
    missing = [label for field, label in answer if not getattr(rectification, field).strip()]
    if missing:
        return False, f"请先填写{'和'.join(missing)}。"
    return True, ""


def _is_confirmer(rectification, user, **params):
    """The finance role that asked for the rectification confirms it."""
    if user.has_role(rectification.confirmer_role):
        return True, ""
    return False, f"该整改由{Role(rectification.confirmer_role).label}确认。"


def _answered(rectification, user, **params):
    from django.utils import timezone

    return {"submitted_at": timezone.now()}


def _confirmed(rectification, user, **params):
    from django.utils import timezone

    return {"confirmed_at": timezone.now()}


def _new_due_date(rectification, user, **params):
    """Sent back: the department gets the rule's time again, counted from today."""
    from .services import rectification_due

    due = rectification_due(rectification.due_days, rectification.due_in_working_days)
    return {"due_date": due.date, "due_warning": due.warning}


RECTIFICATION_CHAIN = Chain(
    name="rectification",
    label="整改",
    states=RectificationStatus,
    transitions=(
        Transition(
            action="submit",
            label="报送整改情况",
            decision="提交",
            sources=(RectificationStatus.ISSUED, RectificationStatus.SENT_BACK),
            target=RectificationStatus.SUBMITTED,
            roles=frozenset({Role.UNIT_STAFF, Role.DEPT_REVIEWER}),
            rule_check=_answer_complete,
            effects=_answered,
        ),
        Transition(
            action="confirm",
            label="确认整改完成",
            decision="确认",
            sources=(RectificationStatus.SUBMITTED,),
            target=RectificationStatus.CONFIRMED,
            roles=frozenset({Role.FINANCE_REVIEWER, Role.PERFORMANCE_OFFICE}),
            actor_check=_is_confirmer,
            effects=_confirmed,
            style="success",
        ),
        Transition(
            action="send_back",
            label="退回重新整改",
            decision="退回",
            sources=(RectificationStatus.SUBMITTED,),
            target=RectificationStatus.SENT_BACK,
            roles=frozenset({Role.FINANCE_REVIEWER, Role.PERFORMANCE_OFFICE}),
            actor_check=_is_confirmer,
            opinion_required=True,
            effects=_new_due_date,
            style="danger",
        ),
    ),
)
