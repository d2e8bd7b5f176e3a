"""API of accounts: the token exchange, organisations, and the expert and agency pools (read-only)."""

import django_filters
from axes.helpers import get_cool_off
from django.contrib.auth import authenticate
from django.contrib.auth.signals import user_logged_in
from drf_spectacular.utils import extend_schema
from rest_framework import status, viewsets
from rest_framework.authtoken.models import Token
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from workflow.api_mixins import FILTER_BACKENDS, ErrorSerializer, role_permission
from workflow.filters import keyword_filter

from .choices import CITYWIDE_ROLES, AgencyQualification, OrganizationKind
from .models import Agency, Expert, Organization
from .serializers import (
    AgencySerializer,
    ExpertSerializer,
    OrganizationSerializer,
    TokenRequestSerializer,
    TokenSerializer,
)

BAD_CREDENTIALS = "用户名或密码错误。"


def locked_out_message(request) -> str:
    cool_off = get_cool_off(request)
    how_long = f" {int(cool_off.total_seconds() // 60)} 分钟" if cool_off else ""
    return f"登录失败次数过多，该账号已被锁定{how_long}，请稍后再试或联系管理员。"


class ObtainTokenView(ObtainAuthToken):
    """以用户名和密码换取访问令牌；之后的请求带请求头 ``Authorization: Token <token>``。
    连续 5 次失败后该账号锁定 30 分钟（与登录页共用计数）。"""

    # Goes through django's ``authenticate`` with the HttpRequest, so django-axes counts failures
    # (one count with the login page) and the login audit signals fire as for a browser login.
    authentication_classes = []  # the credentials are in the body; no session, no CSRF
    serializer_class = TokenRequestSerializer

    @extend_schema(
        summary="获取访问令牌",
        request=TokenRequestSerializer,
        responses={200: TokenSerializer, 400: ErrorSerializer, 429: ErrorSerializer},
        auth=[],
        tags=["auth"],
    )
    def post(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        http_request = request._request  # axes keeps its flags on the HttpRequest
        user = authenticate(http_request, **serializer.validated_data)
        if getattr(http_request, "axes_locked_out", False):
            # Answer in JSON here; left set, AxesMiddleware would swap in the HTML lock-out page.
            http_request.axes_locked_out = False
            return Response({"detail": locked_out_message(http_request)}, status=status.HTTP_429_TOO_MANY_REQUESTS)
        if user is None:
            return Response({"detail": BAD_CREDENTIALS}, status=status.HTTP_400_BAD_REQUEST)
        token, _ = Token.objects.get_or_create(user=user)
        # No session is made, so login() is not called; its signal still must fire (audit, axes reset).
        user_logged_in.send(sender=type(user), request=http_request, user=user)
        return Response({"token": token.key})


class OrganizationFilterSet(django_filters.FilterSet):
    q = keyword_filter("name", "code")
    kind = django_filters.ChoiceFilter(choices=OrganizationKind.choices, label="类型")
    parent = django_filters.NumberFilter(field_name="parent_id", label="上级 ID")
    is_active = django_filters.BooleanFilter(label="启用")

    class Meta:
        model = Organization
        fields = []


@extend_schema(tags=["organizations"])
class OrganizationViewSet(viewsets.ReadOnlyModelViewSet):
    """组织机构：本人数据范围内的组织（本单位及下级；财政和审计可见全部）。"""

    serializer_class = OrganizationSerializer
    filter_backends = FILTER_BACKENDS
    filterset_class = OrganizationFilterSet
    ordering_fields = ["code", "name", "path"]
    ordering = ["path"]

    def get_queryset(self):
        return Organization.objects.visible_to(self.request.user)


class ExpertFilterSet(django_filters.FilterSet):
    q = keyword_filter("name", "fields", "employer")
    is_active = django_filters.BooleanFilter(label="在库")
    own_department = django_filters.NumberFilter(field_name="own_department_id", label="所属部门 ID")

    class Meta:
        model = Expert
        fields = []


class AgencyFilterSet(django_filters.FilterSet):
    q = keyword_filter("organization__name", "credit_code")
    qualification = django_filters.ChoiceFilter(choices=AgencyQualification.choices, label="资质等级")
    is_barred = django_filters.BooleanFilter(label="禁入")

    class Meta:
        model = Agency
        fields = []


class PoolViewSet(viewsets.ReadOnlyModelViewSet):
    """The expert and agency pools: citywide data, read by finance and audit (the performance
    office manages them in the pages). No organisation owns a pool row, so the role gate is
    their scope."""

    permission_classes = [
        IsAuthenticated,
        role_permission(*CITYWIDE_ROLES, message="专家库和第三方机构库仅供财政部门和审计人员查看。"),
    ]
    filter_backends = FILTER_BACKENDS


@extend_schema(tags=["pools"])
class ExpertViewSet(PoolViewSet):
    """专家库（只读）。"""

    serializer_class = ExpertSerializer
    filterset_class = ExpertFilterSet
    ordering_fields = ["name"]
    ordering = ["name", "id"]

    def get_queryset(self):
        return Expert.objects.select_related("own_department")


@extend_schema(tags=["pools"])
class AgencyViewSet(PoolViewSet):
    """第三方机构库（只读）。"""

    serializer_class = AgencySerializer
    filterset_class = AgencyFilterSet
    ordering_fields = ["organization__name", "qualification"]
    ordering = ["organization__name", "id"]

    def get_queryset(self):
        return Agency.objects.select_related("organization")
