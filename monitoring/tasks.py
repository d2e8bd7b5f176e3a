"""Background work of dual monitoring: telling units a round opened, the treasury import (and
ending imports a dead worker left behind), and recomputing lights after the year's rules changed."""

import datetime
import logging

from celery import shared_task
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone

from accounts.choices import Role
from notifications.hub import Message, notify
from notifications.reminders import people_by_role
from projects.models import FiscalYear

from . import treasury
from .choices import ImportStatus
from .models import MonitoringReport, MonitoringRound, TreasuryImport
from .services import recompute_year

logger = logging.getLogger(__name__)

# A worker killed mid-import (out of memory, a redeploy) never reaches run_treasury_import's handler;
# an import still running or queued this long after it started is not coming back.
STALE_IMPORT_HOURS = 2


@shared_task
def notify_round_opened(round_id: int) -> int:
    """One notice per unit clerk: how many reports of the new round their unit has to fill."""
    monitoring_round = MonitoringRound.objects.filter(pk=round_id).select_related("fiscal_year").first()
    if monitoring_round is None:
        return 0
    per_unit = dict(
        MonitoringReport.objects.filter(round=monitoring_round)
        .values_list("project__unit")
        .annotate(n=Count("pk"))
        .values_list("project__unit", "n")
    )
    clerks = people_by_role({(Role.UNIT_STAFF, unit_id) for unit_id in per_unit})
    url = f"{reverse('monitoring:report_list')}?round={monitoring_round.pk}"
    sent = 0
    for (_, unit_id), users in clerks.items():
        sent += len(
            notify(
                Message.REPORT_REQUESTED,
                users,
                title=f"{monitoring_round}：本单位有 {per_unit[unit_id]} 张绩效监控表待填报",
                body=f"请于 {monitoring_round.due_date:%Y年%m月%d日} 前填报并报送主管部门。",
                url=url,
                dedupe_key=f"monitoring-round:{monitoring_round.pk}",
            )
        )
    return sent


@shared_task
def recompute_year_lights(fiscal_year_id: int) -> int:
    """The year's warning rules changed: recompute the reports still being filled."""
    fiscal_year = FiscalYear.objects.filter(pk=fiscal_year_id).first()
    return recompute_year(fiscal_year) if fiscal_year else 0


@shared_task
def run_treasury_import(import_id: int) -> dict:
    """Import an uploaded treasury payment export (monitoring/treasury.py). Whatever goes wrong,
    the import ends FAILED with a message, never stays RUNNING for the page to poll forever."""
    treasury_import = TreasuryImport.objects.filter(pk=import_id).select_related("fiscal_year").first()
    if treasury_import is None:
        return {"import": import_id, "status": "missing"}
    try:
        treasury_import = treasury.run_import(treasury_import)
    except Exception:  # noqa: BLE001 — logged with its traceback; the page shows a generic message
        logger.exception("treasury import %s failed", import_id)
        treasury.mark_crashed(import_id)
        return {"import": import_id, "status": "failed"}
    return {"import": import_id, "status": treasury_import.status, "processed": treasury_import.processed}


@shared_task
def fail_stale_imports() -> int:
    """Hourly: end imports a dead worker left RUNNING (or QUEUED) so their pages stop polling."""
    cutoff = timezone.now() - datetime.timedelta(hours=STALE_IMPORT_HOURS)
    stale = TreasuryImport.objects.filter(
        Q(status=ImportStatus.RUNNING, started_at__lt=cutoff) | Q(status=ImportStatus.QUEUED, uploaded_at__lt=cutoff)
    )
    return sum(treasury.mark_crashed(pk) for pk in stale.values_list("pk", flat=True))
