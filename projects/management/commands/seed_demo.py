"""``manage.py seed_demo``: build the fictional 示例市 (see projects/demo.py). Idempotent."""

import time

from django.core.management.base import BaseCommand
from django.db import transaction
from django.db.models import Count

from accounts.models import Agency, Expert, Organization
from projects.choices import Conclusion, PreAssessmentMode, PreAssessmentStatus, ProjectStatus
from projects.demo import DEMO_PASSWORD, DEMO_USERS, DemoCity
from projects.models import PreAssessment, Project
from workflow.models import ReviewRecord


class Command(BaseCommand):
    help = "生成示例市演示数据（财政局、部门、单位、第三方机构、专家、项目与事前评估、每个角色一个用户）；可重复运行。"

    def add_arguments(self, parser):
        parser.add_argument(
            "--if-empty", action="store_true", help="数据库中已有任何组织机构时什么也不做（make run 使用）。"
        )

    def handle(self, *args, if_empty=False, **options):
        if if_empty and Organization.objects.exists():
            return
        started = time.monotonic()
        with transaction.atomic():
            summary = self.summary = DemoCity().build()
        self.stdout.write(self.style.SUCCESS(f"示例市演示数据已就绪（用时 {time.monotonic() - started:.1f} 秒）。"))
        self.stdout.write(
            f"本次新建：组织 {summary.organizations} 个，用户 {summary.users} 个，项目 {summary.projects_created} 个"
            f"（流转 {summary.transitions} 步）；已存在未改动的项目 {summary.projects_existing} 个。"
        )
        self._report()

    def _report(self):
        w = self.stdout.write
        orgs = dict(Organization.objects.values_list("kind").annotate(n=Count("pk")))
        w(
            f"组织：部门 {orgs.get('department', 0)}，单位 {orgs.get('unit', 0)}，街道 {orgs.get('subdistrict', 0)}，"
            f"第三方机构 {Agency.objects.count()}（禁入 {Agency.objects.filter(is_barred=True).count()}），"
            f"专家 {Expert.objects.count()}"
        )
        status = dict(Project.objects.values_list("status").annotate(n=Count("pk")))
        w(
            f"项目：{Project.objects.count()} 个；"
            + "，".join(f"{label} {status.get(value, 0)}" for value, label in ProjectStatus.choices)
        )
        pa_status = dict(PreAssessment.objects.values_list("status").annotate(n=Count("pk")))
        conclusions = dict(PreAssessment.objects.values_list("conclusion").annotate(n=Count("pk")))
        modes = dict(PreAssessment.objects.values_list("mode").annotate(n=Count("pk")))
        w(
            f"事前评估：{PreAssessment.objects.count()} 个；"
            + "，".join(f"{label} {pa_status.get(value, 0)}" for value, label in PreAssessmentStatus.choices)
            + "；结论 "
            + "，".join(f"{label} {conclusions.get(value, 0)}" for value, label in Conclusion.choices)
            + "；方式 "
            + "，".join(f"{label} {modes.get(value, 0)}" for value, label in PreAssessmentMode.choices)
        )
        from targets.demo import report_lines  # the targets stage seeds on top of the projects

        for line in report_lines(getattr(self, "summary", None) and self.summary.targets):
            w(line)
        from monitoring.demo import report_lines as monitoring_lines

        for line in monitoring_lines(getattr(self, "summary", None) and self.summary.monitoring):
            w(line)
        w(f"审核记录：{ReviewRecord.objects.count()} 条")
        w("")
        w(f"演示用户（密码均为 {DEMO_PASSWORD}，仅供演示，切勿用于生产环境）：")
        for username, family, given, _role, _org, note in DEMO_USERS:
            w(f"  {username:<10} {family}{given}：{note}")
        w("  tb_<单位编码> / sh_<部门编码>：其余各单位填报人和各部门审核人（同一密码），如 tb_203002、sh_203。")
