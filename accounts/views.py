from django.apps import apps
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Prefetch, Q
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.http import require_POST
from django.views.generic import ListView, TemplateView, UpdateView

from workflow.audit import AuditEventKind, record_event
from workflow.inbox import InboxKind, inbox_for

from . import services
from .choices import OrganizationKind, Role
from .forms import AgencyForm, ExpertForm, LoginForm, PoolSearchForm
from .models import Agency, Expert, Organization, User

# --- Login, refusals ---------------------------------------------------------------------


class LoginView(auth_views.LoginView):
    """Django's login view: it hands ``request`` to the form, so axes can count failures by IP."""

    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True


def permission_denied(request, exception=None):
    """handler403: show why, and record the refusal in the audit log (the API records its own)."""
    message = str(exception or "") or "您没有权限访问该页面。"
    if not getattr(exception, "audited", False) and not request.path.startswith("/api/"):
        record_event(
            AuditEventKind.PERMISSION_DENIED,
            user=getattr(request, "user", None),
            success=False,
            message=f"{request.method} {request.path}: {message}",
        )
    return render(request, "403.html", {"message": message}, status=403)


class PermissionMixin:
    """Refuse with 403 and the reason unless ``check(user) -> (bool, reason)`` allows."""

    check = None

    def dispatch(self, request, *args, **kwargs):
        allowed, reason = type(self).check(request.user)
        if not allowed:
            raise PermissionDenied(reason)
        return super().dispatch(request, *args, **kwargs)


# --- 我的待办 ------------------------------------------------------------------------------

INBOX_STYLE = {
    InboxKind.TO_FILL: ("bi-pencil-square", "primary"),
    InboxKind.TO_REVIEW: ("bi-clipboard-check", "success"),
    InboxKind.RETURNED: ("bi-arrow-return-left", "warning"),
    InboxKind.OVERDUE: ("bi-alarm", "danger"),
}


class DashboardView(TemplateView):
    """我的待办: what awaits the user, grouped as 待填报 / 待审核 / 被退回 / 已逾期."""

    template_name = "dashboard.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        items = inbox_for(user)
        groups = []
        for kind in InboxKind:
            kind_items = [item for item in items if item.kind == kind]
            icon, colour = INBOX_STYLE[kind]
            groups.append(
                {
                    "kind": kind.value,
                    "label": kind.label,
                    "count": sum(item.count for item in kind_items),
                    "items": kind_items,
                    "icon": icon,
                    "colour": colour,
                }
            )
        # Later apps are looked up, not imported: accounts sits below them (DESIGN §3).
        notice_model = apps.get_model("notifications", "Notice")
        fiscal_year_model = apps.get_model("projects", "FiscalYear")
        return super().get_context_data(
            inbox_groups=groups,
            inbox_total=sum(group["count"] for group in groups),
            notices=list(notice_model.objects.visible_to(user).unread()[:5]),
            fiscal_year=fiscal_year_model.objects.current(),
            notice_list_url=_reverse_or_empty("notifications:notice_list"),
            **kwargs,
        )


def _reverse_or_empty(name: str) -> str:
    try:
        return reverse(name)
    except NoReverseMatch:
        return ""


# --- 专家库 / 第三方机构库 --------------------------------------------------------------------


class PoolListView(PermissionMixin, ListView):
    check = staticmethod(services.can_read_pools)
    paginate_by = 20
    search_fields: tuple[str, ...] = ()
    status_field = ""
    status_choices: tuple[tuple[str, str], ...] = ()

    def get_queryset(self):
        self.search = PoolSearchForm(self.request.GET or None, status_choices=self.status_choices)
        queryset = super().get_queryset()
        if self.search.is_valid():
            q = self.search.cleaned_data["q"].strip()
            if q:
                condition = Q()
                for field in self.search_fields:
                    condition |= Q(**{f"{field}__icontains": q})
                queryset = queryset.filter(condition)
            status = self.search.cleaned_data["status"]
            if status:
                queryset = queryset.filter(**{self.status_field: status == "1"})
        return queryset

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            search=self.search, can_manage=services.can_manage_pools(self.request.user)[0], **kwargs
        )


class PoolEditView(PermissionMixin, UpdateView):
    """Create (no pk) or edit one pool row; the service validates, saves and audits."""

    check = staticmethod(services.can_manage_pools)
    template_name = "accounts/pool_form.html"
    success_url_name = ""

    def get_object(self, queryset=None):
        if "pk" not in self.kwargs:
            return None
        return super().get_object(queryset)

    def form_valid(self, form):
        try:
            self.object = self.save(form)
        except ValidationError as error:
            form.add_error(None, error)
            return self.form_invalid(form)
        messages.success(self.request, f"已保存{self.model._meta.verbose_name}“{self.object}”。")
        return HttpResponseRedirect(reverse(self.success_url_name))

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            noun=self.model._meta.verbose_name,
            pool_label=self.model._meta.verbose_name_plural,
            list_url=reverse(self.success_url_name),
            **kwargs,
        )

    def save(self, form):
        raise NotImplementedError


class ExpertListView(PoolListView):
    model = Expert
    template_name = "accounts/expert_list.html"
    search_fields = ("name", "fields", "title", "employer")
    status_field = "is_active"
    status_choices = (("1", "在库"), ("0", "已出库"))

    def get_queryset(self):
        return super().get_queryset().select_related("own_department", "user")


class ExpertEditView(PoolEditView):
    model = Expert
    form_class = ExpertForm
    success_url_name = "accounts:expert_list"

    def save(self, form):
        return services.save_expert(form.instance, self.request.user)


class AgencyListView(PoolListView):
    model = Agency
    template_name = "accounts/agency_list.html"
    search_fields = ("organization__name", "organization__code", "credit_code", "contact")
    status_field = "is_barred"
    status_choices = (("0", "正常"), ("1", "禁入"))

    def get_queryset(self):
        return super().get_queryset().select_related("organization")


class AgencyEditView(PoolEditView):
    model = Agency
    form_class = AgencyForm
    success_url_name = "accounts:agency_list"

    def get_queryset(self):
        return Agency.objects.select_related("organization")

    def save(self, form):
        data = form.cleaned_data
        return services.save_agency(form.instance, self.request.user, name=data["name"], code=data["code"])


# --- 组织机构 -------------------------------------------------------------------------------

ORG_KIND_ICONS = {
    OrganizationKind.FINANCE: "bi-bank",
    OrganizationKind.DEPARTMENT: "bi-building",
    OrganizationKind.UNIT: "bi-house-door",
    OrganizationKind.SUBDISTRICT: "bi-signpost",
    OrganizationKind.AGENCY: "bi-briefcase",
}


class OrganizationTreeView(ListView):
    """组织机构: the part of the tree the user may see, read-only, indented by depth."""

    template_name = "accounts/organization_tree.html"
    context_object_name = "organizations"

    def get_queryset(self):
        queryset = (
            Organization.objects.visible_to(self.request.user)
            .annotate(user_count=Count("users", filter=Q(users__is_active=True)))
            .order_by("path")
        )
        self.q = self.request.GET.get("q", "").strip()
        if self.q:
            queryset = queryset.filter(Q(name__icontains=self.q) | Q(code__icontains=self.q))
        return queryset

    def get_context_data(self, **kwargs):
        context = super().get_context_data(q=self.q, **kwargs)
        organizations = context["organizations"]
        top = min((len(org.path) for org in organizations), default=0)
        for org in organizations:
            org.depth = min((len(org.path) - top) // 6, 5)
            org.icon = ORG_KIND_ICONS.get(org.kind, "bi-diagram-3")
        return context


class OrganizationDetailView(TemplateView):
    """One organisation and its accounts; the performance office may enable/disable them."""

    template_name = "accounts/organization_detail.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        org = get_object_or_404(
            Organization.objects.visible_to(user).select_related("parent"), pk=self.kwargs["pk"]
        )
        members = list(
            User.objects.filter(organization=org).prefetch_related(
                Prefetch("groups", to_attr="role_groups")
            )
        )
        for member in members:
            member.role_names = [Role(g.name).label for g in member.role_groups if g.name in Role.values]
        return super().get_context_data(
            org=org,
            members=members,
            children=Organization.objects.visible_to(user).filter(parent=org).order_by("path"),
            can_manage=services.can_manage_pools(user)[0],
            **kwargs,
        )


@require_POST
def user_set_active(request, pk):
    """停用/启用账号 (performance office). A disabled account is logged out at its next request."""
    allowed, reason = services.can_manage_pools(request.user)
    if not allowed:
        raise PermissionDenied(reason)
    target = get_object_or_404(
        User.objects.filter(organization__in=Organization.objects.visible_to(request.user)), pk=pk
    )
    active = request.POST.get("active") == "1"
    try:
        services.set_user_active(target.pk, active, request.user)
    except ValidationError as error:
        messages.error(request, "；".join(error.messages))
    else:
        messages.success(request, f"已{'启用' if active else '停用'}账号“{target.username}”。")
    return HttpResponseRedirect(reverse("accounts:organization_detail", args=[target.organization_id]))
