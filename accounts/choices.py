from django.db import models


class OrganizationKind(models.TextChoices):
    FINANCE = "finance", "财政部门"
    DEPARTMENT = "department", "主管部门"
    UNIT = "unit", "预算单位"
    SUBDISTRICT = "subdistrict", "街道"
    AGENCY = "agency", "第三方机构"


class Role(models.TextChoices):
    """The roles of DESIGN §1; each is a django Group with this name."""

    UNIT_STAFF = "unit_staff", "单位填报人"
    DEPT_REVIEWER = "dept_reviewer", "主管部门审核人"
    FINANCE_REVIEWER = "finance_reviewer", "财政业务科室"
    PERFORMANCE_OFFICE = "performance_office", "财政绩效管理科"
    EXPERT = "expert", "评审专家"
    AGENCY_EVALUATOR = "agency_evaluator", "第三方机构评价人员"
    AUDITOR = "auditor", "审计"


# Roles that see every organisation's data (DESIGN §1: "finance sees all"; the auditor reads all).
CITYWIDE_ROLES = frozenset({Role.FINANCE_REVIEWER, Role.PERFORMANCE_OFFICE, Role.AUDITOR})
# Roles that see their own organisation's subtree.
SUBTREE_ROLES = frozenset({Role.UNIT_STAFF, Role.DEPT_REVIEWER})
# Roles that see only what is assigned to them (or to their agency).
ASSIGNED_ROLES = frozenset({Role.EXPERT, Role.AGENCY_EVALUATOR})


class AgencyQualification(models.TextChoices):
    GRADE_A = "A", "甲级"
    GRADE_B = "B", "乙级"
    GRADE_C = "C", "丙级"
