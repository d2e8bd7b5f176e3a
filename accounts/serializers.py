"""Shapes of organisations, the expert and agency pools and the token exchange in the API."""

from rest_framework import serializers

from .models import Agency, Expert, Organization


class OrganizationSerializer(serializers.ModelSerializer):
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)

    class Meta:
        model = Organization
        fields = ["id", "code", "name", "kind", "kind_display", "parent", "is_active"]


class ExpertSerializer(serializers.ModelSerializer):
    own_department_name = serializers.CharField(
        source="own_department.name", read_only=True, allow_null=True, default=None
    )

    class Meta:
        model = Expert
        fields = [
            "id", "name", "fields", "title", "employer", "own_department", "own_department_name",
            "phone", "is_active", "user",
        ]


class AgencySerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="organization.name", read_only=True)
    qualification_display = serializers.CharField(source="get_qualification_display", read_only=True)

    class Meta:
        model = Agency
        fields = [
            "id", "organization", "name", "qualification", "qualification_display", "credit_code",
            "contact", "phone", "is_barred", "barred_reason",
        ]


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField(label="用户名")
    password = serializers.CharField(
        label="密码", write_only=True, trim_whitespace=False, style={"input_type": "password"}
    )


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(read_only=True, help_text="之后以请求头 Authorization: Token <token> 调用")
