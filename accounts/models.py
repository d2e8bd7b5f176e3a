from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models import Q
from django.utils.functional import cached_property

from .choices import ASSIGNED_ROLES, CITYWIDE_ROLES, AgencyQualification, OrganizationKind, Role


class ScopedQuerySet(models.QuerySet):
    """The one place data scope is decided (DESIGN §1, STYLE habit 1).

    A model says where its owning organisation is (``org_lookup``) and, if experts or agencies
    may see some of its rows, which ones (``assigned_to``). Everything that lists or fetches rows
    for a user — pages, API, exports, tasks acting for a user — starts from ``visible_to(user)``.
    """

    org_lookup = "organization"

    def visible_to(self, user):
        if user is None or not user.is_authenticated or not user.is_active:
            return self.none()
        if user.is_superuser or user.sees_citywide:
            return self.all()
        if user.role in ASSIGNED_ROLES:
            return self.assigned_to(user)
        if user.organization_id is None:
            return self.none()
        return self.filter(**{f"{self.org_lookup}__path__startswith": user.organization.path})

    def assigned_to(self, user):
        """Rows an expert or agency evaluator was assigned; none unless the model says so."""
        return self.none()


class OrganizationQuerySet(ScopedQuerySet):
    org_lookup = ""

    def visible_to(self, user):
        if user is None or not user.is_authenticated or not user.is_active:
            return self.none()
        if user.is_superuser or user.sees_citywide:
            return self.all()
        if user.organization_id is None:
            return self.none()
        return self.filter(path__startswith=user.organization.path)

    def departments(self):
        return self.filter(kind=OrganizationKind.DEPARTMENT)

    def units(self):
        return self.filter(kind__in=[OrganizationKind.UNIT, OrganizationKind.SUBDISTRICT])


class Organization(models.Model):
    """组织机构: the finance bureau, a budget department, its units and subdistricts, or an agency.

    ``path`` is a materialised path ("0001.0007.") so a subtree is one indexed prefix query.
    """

    name = models.CharField("名称", max_length=120)
    code = models.CharField("编码", max_length=32, unique=True)
    kind = models.CharField("类型", max_length=16, choices=OrganizationKind.choices)
    parent = models.ForeignKey(
        "self", verbose_name="上级", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    path = models.CharField(max_length=255, editable=False, db_index=True)
    is_active = models.BooleanField("启用", default=True)

    objects = OrganizationQuerySet.as_manager()

    class Meta:
        verbose_name = "组织机构"
        verbose_name_plural = "组织机构"
        ordering = ["path"]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        path = f"{self.parent.path if self.parent_id else ''}{self.pk:05d}."
        if path != self.path:
            old = self.path
            type(self).objects.filter(pk=self.pk).update(path=path)
            self.path = path
            if old:  # moved: re-root the subtree
                for child in type(self).objects.filter(path__startswith=old).exclude(pk=self.pk):
                    type(self).objects.filter(pk=child.pk).update(path=path + child.path[len(old) :])

    @property
    def department(self):
        """The budget department this organisation belongs to (itself if it is one)."""
        node = self
        while node is not None and node.kind != OrganizationKind.DEPARTMENT:
            node = node.parent
        return node

    def is_within(self, other: "Organization") -> bool:
        return self.path.startswith(other.path)


class User(AbstractUser):
    """A person who logs in. Belongs to one organisation; holds roles as groups (DESIGN §1)."""

    organization = models.ForeignKey(
        Organization, verbose_name="所属组织", null=True, blank=True, on_delete=models.PROTECT, related_name="users"
    )
    phone = models.CharField("联系电话", max_length=32, blank=True)

    objects = UserManager()

    class Meta:
        verbose_name = "用户"
        verbose_name_plural = "用户"
        ordering = ["username"]

    def __str__(self):
        return self.get_full_name() or self.username

    def get_full_name(self):
        # Chinese names: family name first, no space.
        return f"{self.last_name}{self.first_name}".strip()

    @cached_property
    def roles(self) -> frozenset[str]:
        return frozenset(name for name in self.groups.values_list("name", flat=True) if name in Role.values)

    @cached_property
    def role(self) -> str:
        """The user's main role (users normally hold exactly one)."""
        for role in Role.values:  # declaration order decides when a user holds several
            if role in self.roles:
                return role
        return ""

    @property
    def role_label(self) -> str:
        return Role(self.role).label if self.role else ""

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))

    @property
    def sees_citywide(self) -> bool:
        return bool(self.roles & CITYWIDE_ROLES)

    @property
    def is_read_only(self) -> bool:
        return self.roles == {Role.AUDITOR}


class Expert(models.Model):
    """评审专家库: an expert on call for reviews, with fields and a department for conflict of interest."""

    user = models.OneToOneField(
        User, verbose_name="登录账号", null=True, blank=True, on_delete=models.SET_NULL, related_name="expert_profile"
    )
    name = models.CharField("姓名", max_length=60)
    fields = models.CharField("专业领域", max_length=200, help_text="多个领域以顿号或逗号分隔")
    title = models.CharField("职称", max_length=60, blank=True)
    employer = models.CharField("工作单位", max_length=120, blank=True)
    own_department = models.ForeignKey(
        Organization,
        verbose_name="所属部门（回避）",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"kind": OrganizationKind.DEPARTMENT},
        help_text="专家不得评审本部门的事项",
    )
    phone = models.CharField("联系电话", max_length=32, blank=True)
    is_active = models.BooleanField("在库", default=True)

    class Meta:
        verbose_name = "评审专家"
        verbose_name_plural = "专家库"
        ordering = ["name"]

    def __str__(self):
        return self.name

    def conflicts_with(self, department: Organization | None) -> bool:
        return department is not None and self.own_department_id == department.pk


class Agency(models.Model):
    """第三方机构库: an evaluation agency, its qualification and whether it is barred (失信惩戒)."""

    organization = models.OneToOneField(
        Organization,
        verbose_name="机构组织",
        on_delete=models.PROTECT,
        related_name="agency_profile",
        limit_choices_to={"kind": OrganizationKind.AGENCY},
    )
    qualification = models.CharField("资质等级", max_length=8, choices=AgencyQualification.choices)
    credit_code = models.CharField("统一社会信用代码", max_length=18, unique=True)
    contact = models.CharField("联系人", max_length=60, blank=True)
    phone = models.CharField("联系电话", max_length=32, blank=True)
    is_barred = models.BooleanField("禁入", default=False)
    barred_reason = models.CharField("禁入原因", max_length=300, blank=True)

    class Meta:
        verbose_name = "第三方机构"
        verbose_name_plural = "第三方机构库"
        ordering = ["organization__name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(is_barred=False) | ~Q(barred_reason=""), name="agency_barred_needs_reason"
            )
        ]

    def __str__(self):
        return self.organization.name
