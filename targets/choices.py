from django.db import models


class Level1(models.TextChoices):
    """一级指标."""

    OUTPUT = "output", "产出指标"
    EFFECT = "effect", "效益指标"
    SATISFACTION = "satisfaction", "满意度指标"


class Level2(models.TextChoices):
    """二级指标, each under one level 1 (see LEVEL2_PARENT)."""

    QUANTITY = "quantity", "数量指标"
    QUALITY = "quality", "质量指标"
    TIMELINESS = "timeliness", "时效指标"
    COST = "cost", "成本指标"
    ECONOMIC = "economic", "经济效益指标"
    SOCIAL = "social", "社会效益指标"
    ECOLOGICAL = "ecological", "生态效益指标"
    SUSTAINABILITY = "sustainability", "可持续影响指标"
    SERVICE_SATISFACTION = "service_satisfaction", "服务对象满意度指标"


LEVEL2_PARENT = {
    Level2.QUANTITY: Level1.OUTPUT,
    Level2.QUALITY: Level1.OUTPUT,
    Level2.TIMELINESS: Level1.OUTPUT,
    Level2.COST: Level1.OUTPUT,
    Level2.ECONOMIC: Level1.EFFECT,
    Level2.SOCIAL: Level1.EFFECT,
    Level2.ECOLOGICAL: Level1.EFFECT,
    Level2.SUSTAINABILITY: Level1.EFFECT,
    Level2.SERVICE_SATISFACTION: Level1.SATISFACTION,
}


class Comparator(models.TextChoices):
    GTE = "gte", "≥"
    LTE = "lte", "≤"
    EQ = "eq", "="
    QUALITATIVE = "qualitative", "定性"


class TemplateScope(models.TextChoices):
    COMMON = "common", "共性指标"
    FIELD = "field", "分行业分领域指标"


class IndustryField(models.TextChoices):
    """分行业分领域 of the indicator library."""

    GENERAL = "general", "通用"
    EDUCATION = "education", "教育"
    HEALTH = "health", "卫生健康"
    TRANSPORT = "transport", "交通运输"
    AGRICULTURE = "agriculture", "农业农村"
    SOCIAL_SECURITY = "social_security", "社会保障"
    ENVIRONMENT = "environment", "生态环境"
    CULTURE = "culture", "文化旅游"
    PUBLIC_SECURITY = "public_security", "公共安全"
    HOUSING = "housing", "住房城乡建设"
    CIVIL_AFFAIRS = "civil_affairs", "民政"


class TemplateStatus(models.TextChoices):
    PROPOSED = "proposed", "待确认"
    CONFIRMED = "confirmed", "已确认"
    REJECTED = "rejected", "未采纳"


class SheetStatus(models.TextChoices):
    DRAFT = "draft", "填报中"
    DEPT_REVIEW = "dept_review", "主管部门审核中"
    FINANCE_REVIEW = "finance_review", "财政业务科室审核中"
    OFFICE_REVIEW = "office_review", "绩效管理科审核中"
    EXPERT_REVIEW = "expert_review", "专家评审中"
    RETURNED = "returned", "已退回"
    APPROVED = "approved", "已批复"
    SUPERSEDED = "superseded", "已被调整替代"


# States in which nobody may change the sheet's content (DESIGN §2.3: an approved sheet is locked).
LOCKED_STATES = frozenset({SheetStatus.APPROVED, SheetStatus.SUPERSEDED})
EDITABLE_STATES = frozenset({SheetStatus.DRAFT, SheetStatus.RETURNED})


class IndicatorPeriod(models.TextChoices):
    YEAR = "year", "年度指标"
    WHOLE = "whole", "实施期指标"
