"""Background work of dual monitoring: telling units a round opened, the treasury import, and
recomputing lights after the year's rules changed."""

from collections import defaultdict

from celery import shared_task
from django.contrib.auth import get_user_model
from django.db.models import Count
from django.urls import reverse

from accounts.choices import Role


@shared_task
def notify_round_opened(round_id: int) -> int:
    """One notice per unit clerk: how many reports of the new round their unit has to fill."""
    from notifications.hub import Message, notify

    from .models import MonitoringReport, MonitoringRound

    monitoring_round = MonitoringRound.objects.filter(pk=round_id).select_related("fiscal_year").first()
    if monitoring_round is None:
        return 0
    per_unit = dict(
        MonitoringReport.objects.filter(round=monitoring_round)
        .values_list("project__unit")
        .annotate(n=Count("pk"))
        .values_list("project__unit", "n")
    )
    clerks = defaultdict(list)
    for user in get_user_model().objects.filter(
        is_active=True, groups__name=Role.UNIT_STAFF, organization_id__in=list(per_unit)
    ):
        clerks[user.organization_id].append(user)
    url = f"{reverse('monitoring:report_list')}?round={monitoring_round.pk}"
    sent = 0
    for unit_id, users in clerks.items():
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
    from projects.models import FiscalYear

    from .services import recompute_year

    fiscal_year = FiscalYear.objects.filter(pk=fiscal_year_id).first()
    return recompute_year(fiscal_year) if fiscal_year else 0


@shared_task
def run_treasury_import(import_id: int) -> dict:
    """Import an uploaded treasury payment export (monitoring/treasury.py). Whatever goes wrong,
    the import ends FAILED with a message, never stays RUNNING for the page to poll forever."""
    import logging

    from .models import TreasuryImport
    from .treasury import mark_crashed, run_import

    treasury_import = TreasuryImport.objects.filter(pk=import_id).select_related("fiscal_year").first()
    if treasury_import is None:
        return {"import": import_id, "status": "missing"}
    try:
        treasury_import = run_import(treasury_import)
    except Exception:  # noqa: BLE001 — logged with its traceback; the page shows a generic message
        logging.getLogger(__name__).exception("treasury import %s failed", import_id)
        mark_crashed(import_id)
        return {"import": import_id, "status": "failed"}
    return {"import": import_id, "status": treasury_import.status, "processed": treasury_import.processed}


# A worker killed mid-import (out of memory, a redeploy) never reaches the handler above; an import
# still running or queued this long after it started is not coming back.
STALE_IMPORT_HOURS = 2


@shared_task
def fail_stale_imports() -> int:
    """Hourly: end imports a dead worker left RUNNING (or QUEUED) so their pages stop polling."""
    import datetime

    from django.db.models import Q
    from django.utils import timezone

    from .choices import ImportStatus
    from .models import TreasuryImport
    from .treasury import mark_crashed

    cutoff = timezone.now() - datetime.timedelta(hours=STALE_IMPORT_HOURS)
    stale = TreasuryImport.objects.filter(
        Q(status=ImportStatus.RUNNING, started_at__lt=cutoff) | Q(status=ImportStatus.QUEUED, uploaded_at__lt=cutoff)
    )
    return sum(mark_crashed(pk) for pk in stale.values_list("pk", flat=True))
