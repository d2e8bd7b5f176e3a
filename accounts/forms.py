from django import forms
from django.contrib.auth.forms import AuthenticationForm

from .choices import Role
from .models import Agency, Expert, Organization, User
from .services import bar_reason_error


class BootstrapMixin:
    """Give every widget Bootstrap's classes so templates can render fields in a loop."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput):
                css = "form-check-input"
            elif isinstance(widget, forms.Select):
                css = "form-select"
            else:
                css = "form-control"
            widget.attrs["class"] = f"{widget.attrs.get('class', '')} {css}".strip()


class LoginForm(BootstrapMixin, AuthenticationForm):
    """The Django form with Chinese messages; LoginView passes ``request``, which axes needs."""

    error_messages = {
        "invalid_login": "用户名或密码错误。连续失败 5 次，账号将被锁定 30 分钟。",
        "inactive": "该账号已停用，请联系财政绩效管理科。",
    }

    def __init__(self, request=None, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        self.fields["username"].label = "用户名"
        self.fields["password"].label = "密码"
        self.fields["username"].widget.attrs.update({"placeholder": "用户名", "autofocus": True})
        self.fields["password"].widget.attrs.update({"placeholder": "密码"})


class ExpertForm(BootstrapMixin, forms.ModelForm):
    class Meta:
        model = Expert
        fields = ["name", "title", "fields", "employer", "own_department", "phone", "user", "is_active"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["own_department"].queryset = Organization.objects.departments()
        # Only expert accounts not yet linked to another expert.
        users = User.objects.filter(groups__name=Role.EXPERT).filter(expert_profile__isnull=True)
        if self.instance.user_id:
            users = users | User.objects.filter(pk=self.instance.user_id)
        self.fields["user"].queryset = users.distinct().order_by("username")
        self.fields["user"].help_text = "可选：关联“评审专家”角色的登录账号"


class AgencyForm(BootstrapMixin, forms.ModelForm):
    """The agency and the name/code of its organisation node, edited together."""

    name = forms.CharField(label="机构名称", max_length=120)
    code = forms.CharField(label="机构编码", max_length=32)

    class Meta:
        model = Agency
        fields = ["qualification", "credit_code", "contact", "phone", "is_barred", "barred_reason"]
        widgets = {"barred_reason": forms.Textarea(attrs={"rows": 2})}

    field_order = ["name", "code", "qualification", "credit_code", "contact", "phone", "is_barred", "barred_reason"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["name"].initial = self.instance.organization.name
            self.fields["code"].initial = self.instance.organization.code
        self.fields["barred_reason"].help_text = "列入禁入名单（失信惩戒）时必填"

    def clean_code(self):
        code = self.cleaned_data["code"].strip()
        others = Organization.objects.filter(code=code)
        if self.instance.pk:
            others = others.exclude(pk=self.instance.organization_id)
        if others.exists():
            raise forms.ValidationError("该机构编码已被使用。")
        return code

    def clean(self):
        data = super().clean()
        message = bar_reason_error(data.get("is_barred"), data.get("barred_reason", ""))
        if message:
            self.add_error("barred_reason", message)
        return data


class PoolSearchForm(forms.Form):
    q = forms.CharField(label="搜索", required=False)
    status = forms.ChoiceField(label="状态", required=False, choices=[("", "全部")])

    def __init__(self, *args, status_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [("", "全部"), *status_choices]

