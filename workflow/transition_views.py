"""Reusable page pieces for the review chain: the POST that takes a workflow action, the context of
the action buttons (templates/includes/workflow_actions.html) and the review history
(templates/includes/review_history.html). Every stage's pages use these; the rules stay in
``perform_transition``.
"""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views import View
from django_htmx.http import HttpResponseClientRedirect

from accounts.choices import Role

from .errors import NotInScope, WorkflowError
from .models import ReviewRecord
from .services import perform_transition

ACTIONS_TEMPLATE = "includes/workflow_actions.html"


def actions_context(obj, user, url_name: str, *, params=(), error: str = "", opinion: str = "", blocked: str = ""):
    """Context for includes/workflow_actions.html.

    ``params`` describes extra fields some actions need: a radio group, e.g. the conclusion of a
    pre-assessment: ``[{"name": "conclusion", "label": "评估结论", "choices": [...], "actions": {"conclude"}}]``,
    or a text box (``"kind": "text"``, e.g. a rectification's requirements); a field is shown
    only when one of its actions is available. ``blocked`` is the reason the
    object cannot go forward (shown above the buttons).
    """
    chain = obj.workflow_chain
    actions = chain.available(obj, user)
    names = {t.action for t in actions}
    returned = None
    if getattr(obj, chain.state_field) == "returned":  # say why, at the top, not only in the history
        returned = ReviewRecord.objects.for_object(obj).filter(action="return").order_by("-at", "-id").first()
    return {
        "wf_returned": returned,
        "wf_obj": obj,
        "wf_actions": actions,
        "wf_url_name": url_name,
        "wf_params": [p for p in params if names & set(p["actions"])],
        "wf_opinion_needed": any(t.opinion_required for t in actions),
        "wf_error": error,
        "wf_opinion": opinion,
        "wf_blocked": blocked,
    }


def review_history(*objs) -> list[ReviewRecord]:
    """The review records of several objects (a project and its pre-assessment…) in time order,
    each with ``chain_label`` and ``role_label`` for display. One query."""
    objs = [o for o in objs if o is not None]
    if not objs:
        return []
    query = ReviewRecord.objects.none()
    for obj in objs:
        query = query | ReviewRecord.objects.for_object(obj)
    labels = {o.workflow_chain.name: o.workflow_chain.label for o in objs}
    records = list(query.select_related("actor").order_by("at", "id"))
    for record in records:
        record.chain_label = labels.get(record.chain, record.chain)
        record.role_label = Role(record.actor_role).label if record.actor_role in Role.values else record.actor_role
    return records


class TransitionView(View):
    """POST <object>/<pk>/transition/<action>/ with ``opinion`` (and the chain's extra params).

    The object is fetched through ``visible_to`` (404 outside the scope). A refusal
    (WorkflowError) becomes a Chinese error message: a flash message and a redirect back to the
    object, or — for an HTMX request — the action panel re-rendered with the message and the
    typed opinion kept. Subclasses set ``model`` and ``url_name`` and may override
    ``get_params`` / ``actions_params``.
    """

    model = None
    url_name = ""  # this view's url name, used by the buttons
    param_names: tuple[str, ...] = ()  # POST fields passed on to perform_transition
    http_method_names = ["post"]

    def get_queryset(self):
        return self.model.objects.visible_to(self.request.user)

    def get_object(self):
        return get_object_or_404(self.get_queryset(), pk=self.kwargs["pk"])

    def get_params(self) -> dict:
        return {name: self.request.POST.get(name, "") for name in self.param_names}

    def actions_params(self, obj) -> list[dict]:
        return []

    def blocked_reason(self, obj) -> str:
        return ""

    def get_success_url(self, obj) -> str:
        return obj.get_absolute_url()

    def post(self, request, pk, action):
        obj = self.get_object()
        opinion = request.POST.get("opinion", "")
        try:
            record = perform_transition(obj, action, request.user, opinion, **self.get_params())
        except NotInScope:
            raise Http404 from None
        except WorkflowError as error:
            if request.htmx:
                obj.refresh_from_db()
                return self.render_actions(obj, error=error.message, opinion=opinion)
            messages.error(request, error.message)
            return redirect(self.get_success_url(obj))
        messages.success(request, f"已{record.decision}：{obj}")
        if request.htmx:
            return HttpResponseClientRedirect(self.get_success_url(obj))
        return redirect(self.get_success_url(obj))

    def render_actions(self, obj, **kwargs):
        context = actions_context(
            obj, self.request.user, self.url_name, params=self.actions_params(obj), blocked=self.blocked_reason(obj),
            **kwargs,
        )
        return render(self.request, ACTIONS_TEMPLATE, context)
