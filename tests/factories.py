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
