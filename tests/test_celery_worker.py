"""A real Celery worker on Redis runs the daily reminder task (issue 2, must show): the notices
appear in the database, their emails are sent by the worker, and a second run adds nothing.

Runs only with CELERY_BROKER_URL=redis://… and PostgreSQL (CI sets both): the worker is another
process, so the data must be committed (transactional test) in a database both can reach.
"""

import datetime
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import quote
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.db import connection

from notifications.models import Notice
from projects.choices import PreAssessmentStatus
from projects.models import PreAssessment

from . import factories as f

pytestmark = [
    pytest.mark.celery_worker,
    pytest.mark.skipif(
        not settings.CELERY_BROKER_URL.startswith("redis://"), reason="needs CELERY_BROKER_URL=redis://… (CI sets it)"
    ),
    pytest.mark.skipif(
        "postgresql" not in settings.DATABASES["default"]["ENGINE"],
        reason="needs PostgreSQL (DATABASE_URL=postgres://…): the worker must see the test's committed data",
    ),
]

WAIT_SECONDS = 60


def _test_database_url() -> str:
    """DATABASE_URL of pytest-django's test database (test_<name>), for the worker process."""
    db = connection.settings_dict
    auth = quote(db["USER"] or "", safe="")
    if db["PASSWORD"]:
        auth += ":" + quote(db["PASSWORD"], safe="")
    return f"postgres://{auth}@{db['HOST'] or 'localhost'}:{db['PORT'] or 5432}/{quote(db['NAME'], safe='')}"


def _start_worker(queue: str, log: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": _test_database_url(),
        "DB_CONN_MAX_AGE": "0",  # hold no connection open to the test database between tasks
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        # The email tasks the worker queues itself must come back to this worker, not to "celery".
        "CELERY_TASK_DEFAULT_QUEUE": queue,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend",
    }
    command = [
        str(Path(sys.executable).with_name("celery")), "-A", "config", "worker",
        "--pool=solo", "--concurrency=1", "-Q", queue, "-n", f"{queue}@%h", "--loglevel=INFO",
        "--without-gossip", "--without-mingle", "--without-heartbeat",
    ]  # fmt: skip
    return subprocess.Popen(command, cwd=settings.BASE_DIR, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT)


def _wait_for(what: str, condition, worker: subprocess.Popen, log: Path):
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        if condition():
            return
        if worker.poll() is not None:
            pytest.fail(f"the worker exited ({worker.returncode}) before {what}:\n{log.read_text()[-3000:]}")
        time.sleep(0.5)
    pytest.fail(f"no {what} within {WAIT_SECONDS}s; worker log:\n{log.read_text()[-3000:]}")


def _succeeded(log: Path, task_id: str) -> str:
    """The worker's 'succeeded' log line of that task (with its return value), or ""."""
    return next((line for line in log.read_text().splitlines() if f"[{task_id}] succeeded" in line), "")


def _stop_worker(worker: subprocess.Popen, queue: str):
    """Stop the worker (kill it if it does not stop) and remove its queue from Redis."""
    worker.terminate()
    try:
        worker.wait(timeout=15)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait()
    _forget_queue(queue)


def _forget_queue(queue: str):
    """Remove the queue and kombu's bindings of it, so repeated runs leave nothing in Redis."""
    import redis

    try:
        client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
        keys = list(client.scan_iter(match=f"*{queue}*"))
        if keys:
            client.delete(*keys)
    except redis.RedisError:  # best effort: a left-over empty binding harms nothing
        pass


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_real_worker_runs_the_reminders_once(city, project, tmp_path, settings):
    from config.celery import app
    from notifications.tasks import send_deadline_reminders

    settings.CELERY_TASK_ALWAYS_EAGER = False
    eager, app.conf.task_always_eager = app.conf.task_always_eager, False

    pa = f.PreAssessmentFactory(project=project, dimensions=True)
    arrived = datetime.datetime(2025, 9, 30, 10, tzinfo=ZoneInfo("Asia/Shanghai"))  # due 2025-10-16
    PreAssessment.objects.filter(pk=pa.pk).update(status=PreAssessmentStatus.DEPT_REVIEW, state_changed_at=arrived)

    queue = f"jxt-test-{uuid.uuid4().hex[:12]}"
    log = tmp_path / "worker.log"
    worker = _start_worker(queue, log)
    try:
        first = send_deadline_reminders.apply_async(kwargs={"today": "2025-10-13"}, queue=queue)
        mine = Notice.objects.filter(recipient=city.reviewer)
        _wait_for("reminder notice", lambda: mine.exists(), worker, log)
        _wait_for("email sent by the worker", lambda: not mine.filter(emailed_at__isnull=True).exists(), worker, log)
        assert "'notices': 1" in _succeeded(log, first.id)
        assert f"To: {city.reviewer.email}" in log.read_text()  # the console email backend

        second = send_deadline_reminders.apply_async(kwargs={"today": "2025-10-13"}, queue=queue)
        _wait_for("second run", lambda: _succeeded(log, second.id), worker, log)
        assert "'notices': 0" in _succeeded(log, second.id)
        assert Notice.objects.count() == 1
        (notice,) = mine
        assert notice.title == f"事前绩效评估待审核：{project.name}：还剩3天"
        assert notice.dedupe_key == f"review:projects.preassessment:{pa.pk}:2025-10-16:3"
    finally:
        app.conf.task_always_eager = eager
        _stop_worker(worker, queue)
