"""Review chains declared as data (STYLE habit 3).

Each stage declares one ``Chain``: its states and the transitions between them, who may take
each, and the rule checks that must hold. ``workflow.services.perform_transition`` is the only
code that moves an object along a chain.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

# A check answers why (STYLE habit 4): (True, "") or (False, "a message the user can act on").
Check = Callable[..., tuple[bool, str]]


def always(obj, user, **params) -> tuple[bool, str]:
    return True, ""


@dataclass(frozen=True)
class Transition:
    action: str  # the API verb: POST /<object>/<action>/
    label: str  # the button: 提交, 审核通过, 退回…
    sources: tuple[str, ...]
    target: str
    roles: frozenset[str]
    decision: str = ""  # what the review record says: 提交 / 通过 / 退回…
    opinion_required: bool = False
    # Which objects the transition applies to (e.g. only commissioned pre-assessments).
    when: Callable[[object], bool] = field(default=lambda obj: True)
    # Who among the role may act (an assigned agency, the project's own unit…).
    actor_check: Check = always
    # The rules of DESIGN.md that must hold before the step (pre-assessment concluded…).
    rule_check: Check = always
    # Extra fields set together with the state (e.g. the conclusion), from validated params.
    effects: Callable[..., dict] = field(default=lambda obj, user, **params: {})
    # Called inside the transaction after the state changed (notifications, derived records).
    on_done: Callable[..., None] | None = None
    style: str = "primary"  # Bootstrap colour of the button

    @property
    def record_decision(self) -> str:
        return self.decision or self.label


@dataclass(frozen=True)
class Chain:
    name: str
    label: str
    states: type  # a TextChoices
    transitions: tuple[Transition, ...]
    state_field: str = "status"

    def state_label(self, state: str) -> str:
        return self.states(state).label

    def named(self, action: str) -> list[Transition]:
        return [t for t in self.transitions if t.action == action]

    def transition_for(self, obj, action: str) -> Transition | None:
        """The transition ``action`` means for ``obj`` in its current state, if any."""
        state = getattr(obj, self.state_field)
        return next((t for t in self.named(action) if state in t.sources and t.when(obj)), None)

    def actions_from(self, state: str) -> list[Transition]:
        return [t for t in self.transitions if state in t.sources]

    def available(self, obj, user) -> list[Transition]:
        """Transitions this user could take now (for the buttons on a page)."""
        state = getattr(obj, self.state_field)
        return [
            t
            for t in self.actions_from(state)
            if t.when(obj) and user.has_role(*t.roles) and t.actor_check(obj, user)[0]
        ]
