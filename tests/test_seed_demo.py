"""seed_demo builds 示例市 through the services, idempotently (issue 2, deliverable 9).

The city is seeded once for the module (it takes a few seconds) and rolled back at the end;
each test runs inside it in its own savepoint.
"""

from io import StringIO

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import call_command
from django.db import transaction
from django.test import RequestFactory, override_settings

from accounts.choices import OrganizationKind, Role
from accounts.models import Agency, Expert, Organization
from projects.choices import BudgetType, Conclusion, PreAssessmentMode, PreAssessmentStatus, ProjectKind, ProjectStatus
from projects.demo import DEMO_PASSWORD, DEMO_USERS
from projects.models import DimensionScore, FiscalYear, PreAssessment, Project
from workflow.models import AuditEvent, ReviewRecord

FAST_HASHER = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _seed(*args) -> str:
    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    """The output of seed_demo --if-empty on the empty test database; the data lives until the
    module ends."""
    with django_db_blocker.unblock(), override_settings(PASSWORD_HASHERS=FAST_HASHER), transaction.atomic():
        assert not Organization.objects.exists()
        output = _seed("--if-empty")
        yield output
        transaction.set_rollback(True)


@pytest.fixture
def city(seeded, db):
    return seeded


def _counts() -> dict:
    models = (Organization, get_user_model(), Agency, Expert, FiscalYear, Project, PreAssessment, DimensionScore)
    counts = {m.__name__: m.objects.count() for m in models}
    counts["ReviewRecord"] = ReviewRecord.objects.count()
    counts["AuditEvent"] = AuditEvent.objects.count()
    counts["statuses"] = sorted(Project.objects.values_list("code", "fiscal_year__year", "status"))
    counts["pa_statuses"] = sorted(PreAssessment.objects.values_list("project__code", "status", "conclusion"))
    return counts


def test_the_city_meets_the_minimums(city):
    orgs = Organization.objects
    assert orgs.filter(kind=OrganizationKind.FINANCE, name="示例市财政局").exists()
    assert orgs.filter(kind=OrganizationKind.DEPARTMENT).count() >= 8
    assert orgs.filter(kind=OrganizationKind.UNIT).count() >= 24
    assert orgs.filter(kind=OrganizationKind.SUBDISTRICT).count() >= 2
    assert all(o.department is not None for o in orgs.filter(kind=OrganizationKind.SUBDISTRICT))
    assert Agency.objects.count() >= 3
    barred = Agency.objects.get(is_barred=True)
    assert barred.barred_reason
    assert Expert.objects.count() >= 6
    assert Expert.objects.filter(user__isnull=False).exists()
    assert Expert.objects.filter(own_department__isnull=False).exists()
    assert FiscalYear.objects.get(is_current=True).year == 2026
    assert FiscalYear.objects.filter(year=2025, project_submission_deadline__isnull=False).exists()
    assert Project.objects.count() >= 120
    assert set(Project.objects.values_list("budget_type", flat=True)) == set(BudgetType.values)
    assert set(Project.objects.values_list("kind", flat=True)) == set(ProjectKind.values)
    assert set(Project.objects.values_list("status", flat=True)) == set(ProjectStatus.values)


def test_amounts_and_flags_are_realistic(city):
    amounts = list(Project.objects.values_list("budget_amount", flat=True))
    assert min(amounts) >= 100_000 and max(amounts) <= 50_000_000
    projects = list(Project.objects.select_related("fiscal_year"))
    assert any(p.needs_preassessment and not p.is_major for p in projects)  # new ≥ 500万
    assert any(p.is_major for p in projects) and any(p.is_key for p in projects)
    assert any(p.is_multi_year for p in projects)
    assert all(p.responsible_person for p in projects)


def test_preassessments_in_every_state_conclusion_and_mode(city):
    pas = PreAssessment.objects
    assert set(pas.values_list("status", flat=True)) == set(PreAssessmentStatus.values)
    concluded = pas.filter(status=PreAssessmentStatus.CONCLUDED)
    assert set(concluded.values_list("conclusion", flat=True)) == set(Conclusion.values)
    assert set(pas.values_list("mode", flat=True)) == set(PreAssessmentMode.values)
    for pa in concluded.prefetch_related("scores"):
        assert pa.missing_dimensions() == []
        assert pa.total_score is not None
        assert pa.conclusion_opinion


def test_gate_holds_for_every_seeded_project(city):
    """Only projects whose pre-assessment passed (or that need none) went forward."""
    for project in Project.objects.exclude(status=ProjectStatus.DRAFT).select_related("fiscal_year", "preassessment"):
        assert project.preassessment_gate()[0], project
    rejected = Project.objects.filter(preassessment__conclusion=Conclusion.REJECT)
    assert rejected.exists() and set(rejected.values_list("status", flat=True)) == {ProjectStatus.DRAFT}


def test_states_were_reached_through_the_services(city):
    """Every state off the start has the review records and audit events of the steps that led there."""
    for pa in PreAssessment.objects.exclude(status=PreAssessmentStatus.DRAFT):
        records = list(ReviewRecord.objects.for_object(pa))
        assert records and records[-1].to_state == pa.status, pa
    for project in Project.objects.exclude(status=ProjectStatus.DRAFT):
        records = list(ReviewRecord.objects.for_object(project))
        assert records and records[-1].to_state == project.status, project
    transitions = AuditEvent.objects.filter(kind="transition", success=True).count()
    assert transitions == ReviewRecord.objects.count()
    returned = ReviewRecord.objects.filter(chain="preassessment", decision="退回")
    assert returned.exists() and all(r.opinion for r in returned)
    conclusions = ReviewRecord.objects.filter(chain="preassessment", action="conclude")
    assert {r.actor.username for r in conclusions} == {"jixiao"}


def test_one_demo_user_per_role_and_the_printed_password_works(city, settings):
    settings.PASSWORD_HASHERS = FAST_HASHER
    assert DEMO_PASSWORD in city and "仅供演示" in city
    User = get_user_model()
    for username, *_ in DEMO_USERS:
        assert username in city
    for role in Role.values:
        assert User.objects.filter(groups__name=role, username__in=[u[0] for u in DEMO_USERS]).exists(), role
    assert User.objects.get(username="admin").is_superuser
    assert User.objects.get(username="danwei").organization.name == "示例市第一中学"
    assert User.objects.get(username="bumen").organization.name == "示例市教育局"
    assert User.objects.get(username="danwei2").organization.department.name == "示例市卫生健康委员会"
    finance = Organization.objects.get(kind=OrganizationKind.FINANCE)
    for username in ("caizheng", "jixiao", "shenji"):
        assert User.objects.get(username=username).organization == finance
    assert User.objects.get(username="pingjia").organization.agency_profile.is_barred is False
    request = RequestFactory().post("/accounts/login/")
    for username in ("danwei", "jixiao", "admin"):
        assert authenticate(request, username=username, password=DEMO_PASSWORD) is not None


def test_scope_of_the_demo_users(city):
    User = get_user_model()
    danwei, danwei2 = User.objects.get(username="danwei"), User.objects.get(username="danwei2")
    mine = Project.objects.visible_to(danwei)
    assert mine.exists() and not mine.filter(department__code="202").exists()
    assert not Project.objects.visible_to(danwei2).filter(department__code="201").exists()
    assert Project.objects.visible_to(User.objects.get(username="caizheng")).count() == Project.objects.count()
    pingjia = User.objects.get(username="pingjia")
    assert PreAssessment.objects.visible_to(pingjia).exists()
    assert set(PreAssessment.objects.visible_to(pingjia).values_list("mode", flat=True)) == {PreAssessmentMode.AGENCY}
    zhuanjia = User.objects.get(username="zhuanjia")
    assert PreAssessment.objects.visible_to(zhuanjia).exists()
    own = zhuanjia.expert_profile.own_department
    assert not PreAssessment.objects.visible_to(zhuanjia).filter(project__department=own).exists()


def test_running_twice_changes_nothing(city, settings):
    settings.PASSWORD_HASHERS = FAST_HASHER
    before = _counts()
    output = _seed()
    assert _counts() == before
    assert "项目 0 个" in output


def test_if_empty_does_nothing_when_organisations_exist(city):
    before = _counts()
    assert _seed("--if-empty") == ""
    assert _counts() == before
