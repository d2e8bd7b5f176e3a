"""factory-boy factories for the whole suite."""

import datetime
from decimal import Decimal

import factory
from django.contrib.auth.models import Group

from accounts.choices import AgencyQualification, OrganizationKind
from accounts.models import Agency, Expert, Organization, User
from projects.choices import Dimension
from projects.models import DimensionScore, FiscalYear, PreAssessment, Project

PASSWORD = "Jxt-Test-2026"


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"组织{n}")
    code = factory.Sequence(lambda n: f"ORG{n:04d}")
    kind = OrganizationKind.UNIT


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    last_name = "测"
    first_name = factory.Sequence(lambda n: f"试{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.gov.cn")
    password = factory.django.Password(PASSWORD)

    @factory.post_generation
    def role(self, create, extracted, **kwargs):
        if extracted:
            self.groups.add(Group.objects.get(name=extracted))


class FiscalYearFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FiscalYear
        django_get_or_create = ("year",)

    year = 2026
    is_current = True


class ProjectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Project

    fiscal_year = factory.SubFactory(FiscalYearFactory)
    code = factory.Sequence(lambda n: f"XM2026{n:05d}")
    name = factory.Sequence(lambda n: f"示例项目{n}")
    unit = factory.SubFactory(OrganizationFactory)
    department = factory.LazyAttribute(lambda p: p.unit.department)
    responsible_person = "张三"
    budget_amount = Decimal("1000000.00")
    period_start = datetime.date(2026, 1, 1)
    period_end = datetime.date(2026, 12, 31)
    is_new = False


class PreAssessmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PreAssessment
        skip_postgeneration_save = True

    project = factory.SubFactory(ProjectFactory, is_new=True, budget_amount=Decimal("6000000.00"))

    @factory.post_generation
    def dimensions(self, create, extracted, **kwargs):
        """All five dimensions; ``dimensions=True`` fills them with 16 points and an opinion."""
        DimensionScore.objects.bulk_create(
            DimensionScore(
                preassessment=self,
                dimension=d,
                score=Decimal("16") if extracted else None,
                opinion="论证充分" if extracted else "",
            )
            for d in Dimension.values
        )


class ExpertFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Expert

    name = factory.Sequence(lambda n: f"专家{n}")
    fields = "财政、教育"


class AgencyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Agency

    organization = factory.SubFactory(OrganizationFactory, kind=OrganizationKind.AGENCY)
    qualification = AgencyQualification.GRADE_A
    credit_code = factory.Sequence(lambda n: f"91360100MA{n:08d}")


# --- targets ---------------------------------------------------------------------------------

from targets.choices import Comparator, Level1, Level2  # noqa: E402
from targets.models import Indicator, IndicatorTemplate, TargetSheet  # noqa: E402

# A valid year table under the default 50/30/10 split: 2 output, 1 effect, 1 satisfaction rows.
VALID_ROWS = [
    {"level1": Level1.OUTPUT, "level2": Level2.QUANTITY, "name": "新建教室数量", "comparator": Comparator.GTE,
     "target_value": "20", "unit": "间", "weight": "30"},
    {"level1": Level1.OUTPUT, "level2": Level2.QUALITY, "name": "工程验收合格率", "comparator": Comparator.GTE,
     "target_value": "100", "unit": "%", "weight": "20"},
    {"level1": Level1.EFFECT, "level2": Level2.SOCIAL, "name": "新增学位数", "comparator": Comparator.GTE,
     "target_value": "900", "unit": "个", "weight": "30"},
    {"level1": Level1.SATISFACTION, "level2": Level2.SERVICE_SATISFACTION, "name": "学生家长满意度",
     "comparator": Comparator.GTE, "target_value": "90", "unit": "%", "weight": "10"},
]


class IndicatorTemplateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = IndicatorTemplate

    code = factory.Sequence(lambda n: f"ZB{n:05d}")
    name = factory.Sequence(lambda n: f"指标模板{n}")
    level1 = Level1.OUTPUT
    level2 = Level2.QUANTITY
    comparator = Comparator.GTE
    unit = "个"


class TargetSheetFactory(factory.django.DjangoModelFactory):
    """A draft sheet; ``rows=True`` fills it with VALID_ROWS and an overall goal."""

    class Meta:
        model = TargetSheet
        skip_postgeneration_save = True

    project = factory.SubFactory(ProjectFactory)
    overall_goal = "完成年度建设任务，新增学位 900 个。"

    @factory.post_generation
    def rows(self, create, extracted, **kwargs):
        if extracted:
            Indicator.objects.bulk_create(
                Indicator(sheet=self, position=i, **{k: v for k, v in row.items()})
                for i, row in enumerate(VALID_ROWS, start=1)
            )


# --- monitoring ------------------------------------------------------------------------------

from django.utils import timezone  # noqa: E402

from targets.choices import SheetStatus  # noqa: E402

# Rows of every comparator for monitoring tests: ≥, ≤ and qualitative (weights as a valid sheet).
MONITORING_ROWS = [
    {"level1": Level1.OUTPUT, "level2": Level2.QUANTITY, "name": "新建教室数量", "comparator": Comparator.GTE,
     "target_value": "20", "unit": "间", "weight": "30"},
    {"level1": Level1.OUTPUT, "level2": Level2.COST, "name": "生均改造成本", "comparator": Comparator.LTE,
     "target_value": "5000", "unit": "元", "weight": "20"},
    {"level1": Level1.EFFECT, "level2": Level2.SOCIAL, "name": "办学条件明显改善", "comparator": Comparator.QUALITATIVE,
     "target_text": "明显改善", "weight": "30"},
    {"level1": Level1.SATISFACTION, "level2": Level2.SERVICE_SATISFACTION, "name": "学生家长满意度",
     "comparator": Comparator.GTE, "target_value": "90", "unit": "%", "weight": "10"},
]


def approved_sheet(project, rows=MONITORING_ROWS) -> TargetSheet:
    """An approved target sheet in force (version 1) with the given year rows."""
    sheet = TargetSheetFactory(project=project, status=SheetStatus.APPROVED, approved_at=timezone.now())
    Indicator.objects.bulk_create(Indicator(sheet=sheet, position=i, **row) for i, row in enumerate(rows, start=1))
    return sheet


def open_q3(city, *projects):
    """The 2026 Q3 round opened by the performance office, with a draft report for each project
    (each given an approved sheet of MONITORING_ROWS first, unless it has one)."""
    from monitoring import services as monitoring_services

    for project in projects:
        if not project.target_sheets.exists():
            approved_sheet(project)
    return monitoring_services.open_round(city.office, city.year, "quarter", 3)


def filled(report, *, paid="600000", reasons=True, **rows_by_name):
    """Row inputs for ``monitoring.services.save_report``: every row of MONITORING_ROWS filled
    green at Q3 unless ``rows_by_name`` overrides a row (by indicator name); reasons on lit rows."""
    defaults = {
        "新建教室数量": {"actual_value": "15", "expected_year_end": "20", "outlook": "certain"},
        "生均改造成本": {"actual_value": "3750", "expected_year_end": "5000", "outlook": "certain"},
        "办学条件明显改善": {"progress": "achieved", "progress_note": "已完成两栋楼改造", "outlook": "certain"},
        "学生家长满意度": {"actual_value": "92", "expected_year_end": "92", "outlook": "certain"},
    }
    rows = []
    for row in report.rows.select_related("indicator").order_by("position"):
        values = {**defaults.get(row.indicator.name, {}), **rows_by_name.get(row.indicator.name, {})}
        if reasons:
            values.setdefault("cause", "other")
            values.setdefault("reason", "施工进度受雨季影响")
            values.setdefault("measures", "增加施工班组，四季度赶工")
        rows.append({"id": row.pk, **values})
    data = {"paid_to_date": paid, "rows": rows}
    if reasons:
        data.update(budget_cause="funding", budget_reason="资金拨付滞后", budget_measures="加快支付进度")
    return data
