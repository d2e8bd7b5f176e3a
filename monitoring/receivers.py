"""What monitoring does when earlier stages change (connected in MonitoringConfig.ready)."""

from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver

from projects.models import FiscalYear
from targets.models import TargetSheet
from targets.signals import sheet_in_force

from .choices import EDITABLE_REPORT_STATES, RoundStatus
from .lights import WarningRules
from .models import MonitoringReport
from .services import sync_with_sheet


@receiver(sheet_in_force, sender=TargetSheet, dispatch_uid="monitoring.sync_with_sheet")
def follow_adjusted_targets(sender, sheet, user=None, **kwargs):
    """DESIGN §2.4: a target changes during execution only through an adjustment; once approved,
    the reports still being filled monitor the new version."""
    sync_with_sheet(sheet, user)


@receiver(post_save, sender=FiscalYear, dispatch_uid="monitoring.recompute_after_rules")
def recompute_after_rule_change(sender, instance, created, **kwargs):
    """The year's warning bands are data (DESIGN §2.8): when they change, the reports still being
    filled are recomputed by a task (a city's round is thousands of reports)."""
    if created:
        return
    stale = MonitoringReport.objects.filter(
        round__fiscal_year=instance, round__status=RoundStatus.OPEN, status__in=EDITABLE_REPORT_STATES
    ).exclude(rules=WarningRules.of(instance).as_dict())
    if stale.exists():
        from .tasks import recompute_year_lights

        transaction.on_commit(lambda: recompute_year_lights.delay(instance.pk))
