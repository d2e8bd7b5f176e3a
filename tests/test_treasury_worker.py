"""A real Celery worker on Redis imports a 50,000-row treasury workbook uploaded through the page
(issue 4 must show): the progress partial the page polls reports the rows processed rising, then
已完成, and stops polling.

Runs only with CELERY_BROKER_URL=redis://… and PostgreSQL, as tests/test_celery_worker.py (whose
helpers start and stop the worker): the worker is another process, so the data must be committed,
and it reads the uploaded file from the same media directory.
"""

import re
import time
import uuid

import pytest
from django.urls import reverse

from monitoring.choices import ImportStatus
from monitoring.models import TreasuryImport, TreasuryPayment
from projects.models import Project

from . import factories as f
from .test_celery_worker import WAIT_SECONDS, _start_worker, _stop_worker, pytestmark  # noqa: F401
from .test_treasury_import import IMPORT_URL, big_xlsx, upload

ROWS = 50_000
PROGRESS = re.compile(r"第 (\d+) / (\d+) 行")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_real_worker_imports_50000_rows_and_the_page_shows_the_progress(
    city, client_for, tmp_path, settings, monkeypatch
):
    from config.celery import app

    media = tmp_path / "media"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(media)}},
    }
    monkeypatch.setenv("DJANGO_MEDIA_ROOT", str(media))  # the worker reads the upload from there
    settings.CELERY_TASK_ALWAYS_EAGER = False
    queue = f"jxt-test-{uuid.uuid4().hex[:12]}"
    eager, app.conf.task_always_eager = app.conf.task_always_eager, False
    default_queue, app.conf.task_default_queue = app.conf.task_default_queue, queue  # the page's .delay()

    projects = f.ProjectFactory.build_batch(300, fiscal_year=city.year, unit=city.unit_a1)
    Project.objects.bulk_create(projects)
    content = big_xlsx([p.code for p in projects], ROWS)

    log = tmp_path / "worker.log"
    worker = _start_worker(queue, log)
    try:
        client = client_for(city.finance)
        response = client.post(f"{IMPORT_URL}?year={city.year.year}", {"file": upload(content)})
        imp = TreasuryImport.objects.get()
        assert response.status_code == 302 and response["Location"] == imp.get_absolute_url()
        url = reverse("monitoring:treasury_import_progress", args=[imp.pk])

        seen, deadline = [], time.monotonic() + 2 * WAIT_SECONDS
        while True:
            partial = client.get(url, HTTP_HX_REQUEST="true").content.decode()
            if 'hx-trigger="every 1s"' not in partial:
                break
            if match := PROGRESS.search(partial):
                seen.append((int(match[1]), int(match[2])))
            if worker.poll() is not None:
                pytest.fail(f"the worker exited ({worker.returncode}):\n{log.read_text()[-3000:]}")
            if time.monotonic() > deadline:
                pytest.fail(f"the import did not finish; seen {seen[-5:]}; worker log:\n{log.read_text()[-3000:]}")
            time.sleep(0.3)

        assert "已完成" in partial and "hx-get" not in partial, partial
        assert f"已导入 {ROWS:,} 行支付数据" in partial
        processed = [n for n, _ in seen]
        assert processed == sorted(processed)
        assert len({n for n in processed if 0 < n < ROWS}) >= 3, seen  # the count rose while we watched
        assert {total for _, total in seen} == {ROWS}
        imp.refresh_from_db()
        assert (imp.status, imp.processed, imp.total) == (ImportStatus.SUCCEEDED, ROWS, ROWS)
        assert TreasuryPayment.objects.count() == ROWS
        print(f"\nworker import of {ROWS:,} rows: {(imp.finished_at - imp.started_at).total_seconds():.1f}s")
    finally:
        app.conf.task_always_eager = eager
        app.conf.task_default_queue = default_queue
        _stop_worker(worker, queue)
