"""List endpoints cost the same number of queries for 10 and 200 rows (DESIGN §5, STYLE habit 7)."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from projects.choices import PreAssessmentMode

from . import factories as f


def add_projects(city, count: int, start: int):
    """``count`` projects of unit_a1, each with a pre-assessment; every third is commissioned."""
    for n in range(start, start + count):
        project = f.ProjectFactory(
            fiscal_year=city.year, unit=city.unit_a1, code=f"Q{n:05d}", is_new=True, budget_amount=Decimal("6000000")
        )
        pa = f.PreAssessmentFactory(project=project, dimensions=True)
        if n % 3 == 1:
            pa.mode, pa.agency = PreAssessmentMode.AGENCY, city.agency
            pa.save(update_fields=["mode", "agency"])
        elif n % 3 == 2:
            pa.mode = PreAssessmentMode.EXPERTS
            pa.save(update_fields=["mode"])
            pa.experts.add(city.expert)


def queries_for(user, url) -> tuple[int, int]:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries), response.json()["count"]


# The clerk is scoped by her organisation's path, so her lists cost one query more than finance's.
# Project list, 5 queries:
#   1 token + user (TokenAuthentication)   2 the user's groups (User.roles)
#   3 the user's organisation (visible_to's subtree path)   4 COUNT for the page
#   5 the page, joined with fiscal year, department, unit and pre-assessment
# Pre-assessment list, 7 queries: 1–4 as above, then
#   5 the page, joined with project, its year, department and unit, agency and its organisation
#   6 the pages' dimension scores (prefetch)   7 the pages' experts (prefetch)
@pytest.mark.parametrize(("url", "pinned"), [("/api/v1/projects/", 5), ("/api/v1/preassessments/", 7)])
def test_list_queries_do_not_grow_with_rows(city, url, pinned):
    add_projects(city, 10, start=0)
    small, count = queries_for(city.clerk, url)
    assert count == 10

    add_projects(city, 190, start=10)
    large, count = queries_for(city.clerk, url)
    assert count == 200  # four pages of 50: the page size bounds the rows serialised

    assert small == large == pinned
    # Finance sees the city without the subtree filter: one query less.
    assert queries_for(city.office, url)[0] == pinned - 1
