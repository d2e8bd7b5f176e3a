from django.db import transaction
from django.utils import timezone

from .audit import AuditEventKind, record_event
from .chains import Transition
from .errors import ConcurrentChange, NotInScope, RuleViolation, TransitionForbidden, TransitionNotAllowed
from .models import ReviewRecord


def _refuse(error_class, message, obj, user, action):
    record_event(
        AuditEventKind.PERMISSION_DENIED
        if error_class in (TransitionForbidden, NotInScope)
        else AuditEventKind.TRANSITION,
        user=user,
        obj=obj,
        success=False,
        message=f"{action}: {message}",
    )
    raise error_class(message)


def check_transition(obj, action: str, user, opinion: str = "", **params) -> Transition:
    """Everything perform_transition verifies before it changes anything; raises with the reason."""
    chain = obj.workflow_chain
    state = getattr(obj, chain.state_field)
    if not type(obj).objects.visible_to(user).filter(pk=obj.pk).exists():
        _refuse(NotInScope, "未找到该记录。", obj, user, action)
    named = chain.named(action)
    if not named:
        _refuse(TransitionNotAllowed, f"「{chain.label}」没有“{action}”这一操作。", obj, user, action)
    transition = chain.transition_for(obj, action)
    if transition is None:
        _refuse(
            TransitionNotAllowed,
            f"当前状态为“{chain.state_label(state)}”，不能执行“{named[0].label}”。",
            obj,
            user,
            action,
        )
    if not user.has_role(*transition.roles):
        _refuse(TransitionForbidden, f"您的角色不能执行“{transition.label}”。", obj, user, action)
    allowed, reason = transition.actor_check(obj, user, **params)
    if not allowed:
        _refuse(TransitionForbidden, reason, obj, user, action)
    if transition.opinion_required and not opinion.strip():
        _refuse(RuleViolation, f"“{transition.label}”须填写意见。", obj, user, action)
    ok, reason = transition.rule_check(obj, user, **params)
    if not ok:
        _refuse(RuleViolation, reason, obj, user, action)
    return transition


def perform_transition(obj, action: str, user, opinion: str = "", **params):
    """Move ``obj`` along its chain: check rule and role, compare-and-set the state, write the
    review record and the audit event — all in one transaction (STYLE habits 3–5).

    Two reviewers acting on the same step at once: the second finds the state already changed
    and gets ConcurrentChange; nothing of theirs is written.
    """
    chain = obj.workflow_chain
    transition = check_transition(obj, action, user, opinion, **params)
    source = getattr(obj, chain.state_field)
    extra = transition.effects(obj, user, opinion=opinion, **params)
    if any(f.name == "state_changed_at" for f in obj._meta.concrete_fields):
        extra["state_changed_at"] = timezone.now()
    with transaction.atomic():
        changed = (
            type(obj)
            .objects.filter(pk=obj.pk, **{chain.state_field: source})
            .update(**{chain.state_field: transition.target}, **extra)
        )
        if changed != 1:
            raise ConcurrentChange("该记录已被他人处理，请刷新页面后查看最新状态。")
        before = {chain.state_field: source}
        setattr(obj, chain.state_field, transition.target)
        for name, value in extra.items():
            setattr(obj, name, value)
        record = ReviewRecord.objects.create(
            subject=obj,
            chain=chain.name,
            action=transition.action,
            decision=transition.record_decision,
            from_state=source,
            to_state=transition.target,
            step=chain.state_label(source),
            actor=user,
            actor_role=user.role,
            opinion=opinion.strip(),
        )
        record_event(
            AuditEventKind.TRANSITION,
            user=user,
            obj=obj,
            before=before,
            after={chain.state_field: transition.target, **{k: str(v) for k, v in extra.items()}},
            message=f"{chain.label}·{transition.label}",
        )
        if transition.on_done is not None:
            transition.on_done(obj, user, record=record, opinion=opinion, **params)
    return record
