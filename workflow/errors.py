"""Errors a service raises when it refuses; each carries a message a person can act on.

Views turn them into a message on the page, the API into JSON with the status code below.
"""


class WorkflowError(Exception):
    status_code = 400

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class RuleViolation(WorkflowError):
    """A rule of DESIGN.md forbids this (missing pre-assessment, locked sheet, bad weights…)."""

    status_code = 400


class TransitionNotAllowed(WorkflowError):
    """The action does not apply to the object's current state (out of order)."""

    status_code = 409


class ConcurrentChange(WorkflowError):
    """Someone else changed the object first; the compare-and-set found it in another state."""

    status_code = 409


class TransitionForbidden(WorkflowError):
    """The user's role may not take this step."""

    status_code = 403


class NotInScope(WorkflowError):
    """The object is outside the user's data scope: answered as 404, never revealing it exists."""

    status_code = 404
