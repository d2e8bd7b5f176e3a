from django.db import models


class BudgetType(models.TextChoices):
    """四本预算."""

    GENERAL_PUBLIC = "general_public", "一般公共预算"
    GOVERNMENT_FUND = "government_fund", "政府性基金预算"
    STATE_CAPITAL = "state_capital", "国有资本经营预算"
    SOCIAL_INSURANCE = "social_insurance", "社会保险基金预算"


class ProjectKind(models.TextChoices):
    PROJECT = "project", "项目支出"
    DEPARTMENT_OVERALL = "department_overall", "部门整体支出"
    POLICY = "policy", "政策"
    INVESTMENT_FUND = "investment_fund", "政府投资基金"
    PPP = "ppp", "PPP"
    PROCUREMENT = "procurement", "政府采购"
    PURCHASED_SERVICE = "purchased_service", "政府购买服务"
    GOVERNMENT_DEBT = "government_debt", "政府债务"
    TRANSFER_PAYMENT = "transfer_payment", "转移支付"
    SUBDISTRICT = "subdistrict", "街道预算"
    LOWER_GOVERNMENT = "lower_government", "下级政府财政运行"


class ProjectStatus(models.TextChoices):
    DRAFT = "draft", "草稿"
    DEPT_REVIEW = "dept_review", "主管部门审核中"
    RETURNED = "returned", "已退回"
    IN_LIBRARY = "in_library", "已入库"


class PreAssessmentMode(models.TextChoices):
    SELF = "self", "部门自行评估"
    AGENCY = "agency", "委托第三方机构"
    EXPERTS = "experts", "委托专家评审"


class PreAssessmentStatus(models.TextChoices):
    DRAFT = "draft", "填报中"
    DEPT_REVIEW = "dept_review", "主管部门审核中"
    RETURNED = "returned", "已退回"
    FINANCE_REVIEW = "finance_review", "财政审核中"
    CONCLUDED = "concluded", "已出结论"


class Conclusion(models.TextChoices):
    SUPPORT = "support", "予以支持"
    SUPPORT_AFTER_ADJUSTMENT = "support_after_adjustment", "调整后支持"
    REJECT = "reject", "不予支持"


SUPPORTIVE_CONCLUSIONS = frozenset({Conclusion.SUPPORT, Conclusion.SUPPORT_AFTER_ADJUSTMENT})


class Dimension(models.TextChoices):
    """The five dimensions of a pre-assessment (DESIGN §2.2), each scored out of 20."""

    NECESSITY = "necessity", "立项必要性"
    ECONOMY = "economy", "投入经济性"
    TARGETS = "targets", "绩效目标合理性"
    FEASIBILITY = "feasibility", "实施方案可行性"
    FINANCING = "financing", "筹资合规性"


class AttachmentKind(models.TextChoices):
    PDF = "pdf", "PDF"
    WORD = "word", "Word"
    EXCEL = "excel", "Excel"
    IMAGE = "image", "图片"
