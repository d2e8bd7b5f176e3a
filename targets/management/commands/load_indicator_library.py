"""``manage.py load_indicator_library``: write the initial indicator library (targets/library_data.py).

Run once when a city starts using the system (seed_demo runs it too); running it again writes
nothing unless the data file changed. Templates are keyed by code.
"""

from django.core.management.base import BaseCommand
from django.db import transaction
from django.db.models import Count

from targets.choices import IndustryField, TemplateScope, TemplateStatus
from targets.library_data import load_library
from targets.models import IndicatorTemplate


class Command(BaseCommand):
    help = "载入初始指标库（共性指标和分行业分领域指标，按指标编码新增或更新）；可重复运行。"

    def add_arguments(self, parser):
        parser.add_argument(
            "--keep-existing",
            action="store_true",
            help="只新增库中没有的编码，不覆盖已存在（可能已由绩效管理科修改过）的指标。",
        )

    def handle(self, *args, keep_existing=False, **options):
        with transaction.atomic():
            result = load_library(update_existing=not keep_existing)
        self.stdout.write(
            self.style.SUCCESS(
                f"指标库已载入：新增 {result.created} 条，更新 {result.updated} 条，未变 {result.unchanged} 条。"
            )
        )
        confirmed = IndicatorTemplate.objects.filter(status=TemplateStatus.CONFIRMED)
        by_field = dict(confirmed.filter(scope=TemplateScope.FIELD).values_list("field").annotate(n=Count("pk")))
        self.stdout.write(
            f"已确认的指标模板 {confirmed.count()} 条：共性 {confirmed.filter(scope=TemplateScope.COMMON).count()}；"
            + "，".join(f"{label} {by_field[value]}" for value, label in IndustryField.choices if value in by_field)
        )
