from django.apps import AppConfig


class TargetsConfig(AppConfig):
    name = "targets"
    verbose_name = "绩效目标"

    def ready(self):
        # Registers the “我的待办” providers and the deadline sources of target sheets.
        from . import inbox, reminders  # noqa: F401
