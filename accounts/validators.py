import re

from django.core.exceptions import ValidationError

CHARACTER_CLASSES = (
    ("小写字母", re.compile(r"[a-z]")),
    ("大写字母", re.compile(r"[A-Z]")),
    ("数字", re.compile(r"[0-9]")),
    ("符号", re.compile(r"[^a-zA-Z0-9]")),
)


class CharacterClassValidator:
    """Passwords must mix at least ``min_classes`` of: lower case, upper case, digits, symbols."""

    def __init__(self, min_classes: int = 3):
        self.min_classes = min_classes

    def validate(self, password, user=None):
        used = sum(1 for _, pattern in CHARACTER_CLASSES if pattern.search(password))
        if used < self.min_classes:
            raise ValidationError(self.get_help_text(), code="password_too_simple")

    def get_help_text(self):
        names = "、".join(name for name, _ in CHARACTER_CLASSES)
        return f"密码须包含{names}中的至少 {self.min_classes} 类。"
