"""Two reviewers approve the same step at the same moment: exactly one wins (STYLE habit 5).

Needs real concurrent transactions, so PostgreSQL only; SQLite serialises writers anyway.
"""

import threading

import pytest
from django.db import connection, connections
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from projects.choices import PreAssessmentStatus
from projects.models import PreAssessment
from workflow.errors import WorkflowError
from workflow.models import ReviewRecord
from workflow.services import perform_transition

from . import factories as f

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL (CI sets DATABASE_URL)"),
    # Threads use their own connections, so the data must be committed; serialized_rollback puts
    # back the roles (Groups) that the data migration made once the test flushes the tables.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def in_dept_review(city) -> PreAssessment:
    project = f.ProjectFactory(fiscal_year=city.year, unit=city.unit_a1, is_new=True)
    return f.PreAssessmentFactory(project=project, dimensions=True, status=PreAssessmentStatus.DEPT_REVIEW)


def run_together(work, count=2) -> list:
    """Run ``work(i)`` in ``count`` threads released at once; return what each returned or raised."""
    barrier = threading.Barrier(count, timeout=10)
    results = [None] * count

    def target(i):
        try:
            barrier.wait()
            results[i] = work(i)
        except Exception as exc:  # noqa: BLE001 — the test inspects it
            results[i] = exc
        finally:
            connections.close_all()  # this thread's connections

    threads = [threading.Thread(target=target, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


def test_two_approve_posts_at_once_one_200_one_409(city):
    pa = in_dept_review(city)
    token = Token.objects.create(user=city.reviewer).key

    def approve(i):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        response = client.post(f"/api/v1/preassessments/{pa.pk}/approve/", {"opinion": f"同意{i}"}, format="json")
        return response.status_code, response.json()

    results = run_together(approve)
    assert sorted(status for status, _ in results) == [200, 409], results
    loser = next(body for status, body in results if status == 409)
    assert loser["detail"]  # “已被他人处理” or “当前状态为…”, depending on who read first
    assert ReviewRecord.objects.for_object(pa).filter(action="approve").count() == 1
    pa.refresh_from_db()
    assert pa.status == PreAssessmentStatus.FINANCE_REVIEW


def test_two_copies_loaded_before_either_acts_lose_the_compare_and_set(city):
    """Both copies pass every check; only the conditional UPDATE can tell them apart."""
    pa = in_dept_review(city)
    copies = [PreAssessment.objects.get(pk=pa.pk), PreAssessment.objects.get(pk=pa.pk)]

    results = run_together(lambda i: perform_transition(copies[i], "approve", city.reviewer, opinion="同意"))
    errors = [r for r in results if isinstance(r, Exception)]
    assert len(errors) == 1 and isinstance(errors[0], WorkflowError) and errors[0].status_code == 409, results
    assert "已被他人处理" in errors[0].message
    assert ReviewRecord.objects.for_object(pa).filter(action="approve").count() == 1
