"""Navigation by role (DESIGN §1): each entry names the roles that see it."""

from django.urls import NoReverseMatch, reverse

from .choices import Role

ALL = frozenset(Role.values)
STAFF = frozenset({Role.UNIT_STAFF, Role.DEPT_REVIEWER, Role.FINANCE_REVIEWER, Role.PERFORMANCE_OFFICE, Role.AUDITOR})
FINANCE_AND_AUDIT = frozenset({Role.FINANCE_REVIEWER, Role.PERFORMANCE_OFFICE, Role.AUDITOR})

# (label, URL name, icon, roles). A page that is not built yet is simply left out.
NAVIGATION = (
    ("我的待办", "dashboard", "bi-inbox", ALL),
    ("项目库", "projects:project_list", "bi-folder2-open", STAFF),
    ("事前评估", "projects:preassessment_list", "bi-clipboard-data", ALL),
    ("绩效目标", "targets:sheet_list", "bi-bullseye", STAFF | {Role.EXPERT}),
    ("指标库", "targets:library", "bi-list-nested", ALL),
    ("双监控", "monitoring:round_list", "bi-activity", STAFF),
    ("预算年度", "projects:fiscalyear_list", "bi-calendar3", FINANCE_AND_AUDIT),
    ("工作日历", "projects:calendar", "bi-calendar-week", FINANCE_AND_AUDIT),
    ("专家库", "accounts:expert_list", "bi-person-badge", FINANCE_AND_AUDIT),
    ("第三方机构库", "accounts:agency_list", "bi-briefcase", FINANCE_AND_AUDIT),
    ("组织机构", "accounts:organization_tree", "bi-diagram-3", STAFF),
    ("审计日志", "workflow:audit_list", "bi-shield-check", frozenset({Role.AUDITOR, Role.PERFORMANCE_OFFICE})),
    ("通知", "notifications:notice_list", "bi-bell", ALL),
    ("API 文档", "api-docs", "bi-code-slash", ALL),
)


def nav_items_for(user, path: str) -> list[dict]:
    if not user.is_authenticated:
        return []
    items = []
    for label, url_name, icon, roles in NAVIGATION:
        if not (user.is_superuser or user.roles & roles):
            continue
        try:
            url = reverse(url_name)
        except NoReverseMatch:
            continue
        items.append({"label": label, "url": url, "icon": icon, "active": False})
    # The longest matching prefix is the active entry ("/" only matches itself).
    matches = [item for item in items if path == item["url"] or (item["url"] != "/" and path.startswith(item["url"]))]
    if matches:
        max(matches, key=lambda item: len(item["url"]))["active"] = True
    return items


def navigation(request):
    user = getattr(request, "user", None)
    if user is None:
        return {"nav_items": []}
    return {"nav_items": nav_items_for(user, request.path)}
