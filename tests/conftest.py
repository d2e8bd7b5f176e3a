"""Personas (STYLE habit 6): a small city with two departments, used by every test.

    finance bureau ─ 财政局
    dept_a 教育局 ─ unit_a1 第一中学, unit_a2 第二中学
    dept_b 卫健委 ─ unit_b1 人民医院
    agency 示例评估所 (third-party agency)

clerk        unit_staff of unit_a1       (her own unit)
clerk_a2     unit_staff of unit_a2       (same department, other unit)
reviewer     dept_reviewer of dept_a     (her department)
other_clerk  unit_staff of unit_b1       (another department: everything of dept_a is 404)
finance      finance_reviewer
office       performance_office
expert       expert, own department dept_b
evaluator    agency_evaluator of agency
auditor      auditor (read-only everywhere)
"""

from dataclasses import dataclass

import pytest

from accounts.choices import OrganizationKind, Role

from . import factories as f


@dataclass
class City:
    finance_org: object
    dept_a: object
    unit_a1: object
    unit_a2: object
    dept_b: object
    unit_b1: object
    agency_org: object
    agency: object
    year: object
    clerk: object
    clerk_a2: object
    reviewer: object
    other_clerk: object
    other_reviewer: object
    finance: object
    office: object
    expert_user: object
    expert: object
    evaluator: object
    auditor: object

    def users(self) -> dict:
        return {
            "clerk": self.clerk,
            "reviewer": self.reviewer,
            "other_clerk": self.other_clerk,
            "finance": self.finance,
            "office": self.office,
            "expert": self.expert_user,
            "evaluator": self.evaluator,
            "auditor": self.auditor,
        }


def _restore_migrated_reference_data():
    """Transactional tests (live server, real worker) end with a flush that also empties what the
    data migrations wrote; put the role groups and the working-day calendar back if so."""
    from django.contrib.auth.models import Group

    from projects.calendar import seed_from_chinese_calendar
    from projects.models import CalendarYear

    if Group.objects.filter(name__in=Role.values).count() != len(Role.values):
        for name in Role.values:
            Group.objects.get_or_create(name=name)
    if not CalendarYear.objects.exists():
        seed_from_chinese_calendar(2018, 2030)


@pytest.fixture
def city(db):
    _restore_migrated_reference_data()
    org = f.OrganizationFactory
    finance_org = org(name="示例市财政局", code="CZJ", kind=OrganizationKind.FINANCE)
    dept_a = org(name="示例市教育局", code="JYJ", kind=OrganizationKind.DEPARTMENT)
    unit_a1 = org(name="示例市第一中学", code="JYJ01", parent=dept_a)
    unit_a2 = org(name="示例市第二中学", code="JYJ02", parent=dept_a)
    dept_b = org(name="示例市卫生健康委员会", code="WJW", kind=OrganizationKind.DEPARTMENT)
    unit_b1 = org(name="示例市人民医院", code="WJW01", parent=dept_b)
    agency = f.AgencyFactory(organization=org(name="示例绩效评估事务所", code="AG01", kind=OrganizationKind.AGENCY))
    expert_user = f.UserFactory(username="expert", organization=finance_org, role=Role.EXPERT)
    return City(
        finance_org=finance_org,
        dept_a=dept_a,
        unit_a1=unit_a1,
        unit_a2=unit_a2,
        dept_b=dept_b,
        unit_b1=unit_b1,
        agency_org=agency.organization,
        agency=agency,
        year=f.FiscalYearFactory(year=2026),
        clerk=f.UserFactory(username="clerk", organization=unit_a1, role=Role.UNIT_STAFF),
        clerk_a2=f.UserFactory(username="clerk_a2", organization=unit_a2, role=Role.UNIT_STAFF),
        reviewer=f.UserFactory(username="reviewer", organization=dept_a, role=Role.DEPT_REVIEWER),
        other_clerk=f.UserFactory(username="other_clerk", organization=unit_b1, role=Role.UNIT_STAFF),
        other_reviewer=f.UserFactory(username="other_reviewer", organization=dept_b, role=Role.DEPT_REVIEWER),
        finance=f.UserFactory(username="finance", organization=finance_org, role=Role.FINANCE_REVIEWER),
        office=f.UserFactory(username="office", organization=finance_org, role=Role.PERFORMANCE_OFFICE),
        expert_user=expert_user,
        expert=f.ExpertFactory(user=expert_user, name="李专家", own_department=dept_b),
        evaluator=f.UserFactory(username="evaluator", organization=agency.organization, role=Role.AGENCY_EVALUATOR),
        auditor=f.UserFactory(username="auditor", organization=finance_org, role=Role.AUDITOR),
    )


@pytest.fixture
def project(city):
    """A draft project of unit_a1 that needs a pre-assessment (new, 600万元)."""
    from decimal import Decimal

    return f.ProjectFactory(fiscal_year=city.year, unit=city.unit_a1, is_new=True, budget_amount=Decimal("6000000"))


@pytest.fixture
def client_for(client):
    """``client_for(user)``: a Django test client logged in as that user (None: anonymous)."""
    from django.test import Client

    def make(user):
        c = Client()
        if user is not None:
            c.force_login(user)
        return c

    return make


@pytest.fixture
def api(city):
    """``api(user)``: a DRF APIClient calling with that user's token, as scripts do."""
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    def make(user):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
        return client

    return make


@pytest.fixture(autouse=True)
def test_settings(settings):
    # PBKDF2's deliberate slowness is for production; tests create many users.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Pages render {% static %} without a collectstatic manifest.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
