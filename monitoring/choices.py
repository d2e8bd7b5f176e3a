from django.db import models


class PeriodKind(models.TextChoices):
    """The length of a monitoring period (DESIGN §2.4: the Q3 report is mandatory; others optional)."""

    MONTH = "month", "月度"
    QUARTER = "quarter", "季度"
    HALF_YEAR = "half_year", "半年"


# How many periods of each kind a year has, and how many months each spans.
PERIODS_PER_YEAR = {PeriodKind.MONTH: 12, PeriodKind.QUARTER: 4, PeriodKind.HALF_YEAR: 2}
MONTHS_PER_PERIOD = {PeriodKind.MONTH: 1, PeriodKind.QUARTER: 3, PeriodKind.HALF_YEAR: 6}
# The mandatory round (财预〔2020〕10号; seeds/004 五、绩效跟踪: 第三季度结束后 15 日内).
MANDATORY_PERIOD = (PeriodKind.QUARTER, 3)


class RoundStatus(models.TextChoices):
    OPEN = "open", "进行中"
    CLOSED = "closed", "已结束"


class ReportStatus(models.TextChoices):
    DRAFT = "draft", "填报中"
    DEPT_REVIEW = "dept_review", "主管部门审核中"
    FINANCE_REVIEW = "finance_review", "财政审核中"
    RETURNED = "returned", "已退回"
    ACCEPTED = "accepted", "审核通过"
    ACCEPTED_RECTIFY = "accepted_rectify", "通过·须整改"


# States in which the unit may still change the report (and the treasury import updates it).
EDITABLE_REPORT_STATES = frozenset({ReportStatus.DRAFT, ReportStatus.RETURNED})
DECIDED_REPORT_STATES = frozenset({ReportStatus.ACCEPTED, ReportStatus.ACCEPTED_RECTIFY})


class Light(models.TextChoices):
    """预警灯 (DESIGN §2.4). Declared from the most to the least serious: ``worst`` relies on it."""

    RED = "red", "红灯"
    YELLOW = "yellow", "黄灯"
    BLUE = "blue", "蓝灯"
    GREEN = "green", "绿灯"


LIGHT_SEVERITY = {light: index for index, light in enumerate(Light.values)}
# Lights that need a reason and corrective measures before the report can be submitted.
LIGHTS_NEEDING_REASON = frozenset({Light.RED, Light.YELLOW, Light.BLUE})


class Judgement(models.TextChoices):
    """总体判断, derived from the lights: a red anywhere is a serious deviation."""

    ON_TRACK = "on_track", "进展顺利"
    MINOR = "minor", "轻微偏离"
    SERIOUS = "serious", "严重偏离"


class QualitativeProgress(models.TextChoices):
    """A qualitative indicator's progress; 达成 green, 部分达成 yellow, 未达成 red."""

    ACHIEVED = "achieved", "达成"
    PARTLY = "partly", "部分达成"
    NOT_ACHIEVED = "not_achieved", "未达成"


class CompletionOutlook(models.TextChoices):
    """全年预计完成情况 of an indicator (the MOF 绩效监控表's 完成目标可能性)."""

    CERTAIN = "certain", "确定能完成"
    LIKELY = "likely", "有可能完成"
    UNLIKELY = "unlikely", "完全不可能完成"


class DeviationCause(models.TextChoices):
    """偏差原因分类 of the MOF 绩效监控表."""

    FUNDING = "funding", "经费保障"
    SYSTEM = "system", "制度保障"
    STAFF = "staff", "人员保障"
    FACILITIES = "facilities", "硬件条件保障"
    OTHER = "other", "其他"


class PaidSource(models.TextChoices):
    MANUAL = "manual", "单位填报"
    TREASURY = "treasury", "国库支付数据"


class RectificationStatus(models.TextChoices):
    ISSUED = "issued", "待整改"
    SUBMITTED = "submitted", "待确认"
    SENT_BACK = "sent_back", "退回重新整改"
    CONFIRMED = "confirmed", "已完成整改"


OPEN_RECTIFICATION_STATES = frozenset({RectificationStatus.ISSUED, RectificationStatus.SENT_BACK})


class FundingActionKind(models.TextChoices):
    """资金处置 (DESIGN §2.4; seeds: 暂缓、停止或追回拨出的专项资金)."""

    SUSPEND = "suspend", "暂缓拨款"
    STOP = "stop", "停止拨款"
    RECOVER = "recover", "收回资金"


# Recovered money is back in the treasury: that action is a fact, not a state to lift.
LIFTABLE_FUNDING_KINDS = frozenset({FundingActionKind.SUSPEND, FundingActionKind.STOP})


class FundingActionStatus(models.TextChoices):
    ACTIVE = "active", "执行中"
    LIFTED = "lifted", "已解除"


class ImportStatus(models.TextChoices):
    QUEUED = "queued", "排队中"
    RUNNING = "running", "导入中"
    SUCCEEDED = "succeeded", "已完成"
    FAILED = "failed", "未导入"
