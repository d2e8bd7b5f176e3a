from django.db import models


class Message(models.TextChoices):
    """Every event the system tells people about (STYLE habit 9); ``notify`` fans each one out."""

    SUBMITTED_FOR_REVIEW = "submitted_for_review", "待您审核"
    RETURNED = "returned", "已被退回"
    APPROVED = "approved", "已审核通过"
    CONCLUDED = "concluded", "已出具结论"
    ASSIGNED = "assigned", "新的委托任务"
    REPORT_REQUESTED = "report_requested", "新的填报任务"
    RECTIFICATION = "rectification", "整改要求"
    FUNDING_ACTION = "funding_action", "资金处置"
    DUE_SOON = "due_soon", "即将到期"
    OVERDUE = "overdue", "已逾期"


class DeadlineKind(models.TextChoices):
    """What a deadline reminder is about (DESIGN §2.7: submissions, reviews, rectifications)."""

    SUBMISSION = "submission", "报送"
    REVIEW = "review", "审核"
    RECTIFICATION = "rectification", "整改"
