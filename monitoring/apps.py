from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    name = "monitoring"
    verbose_name = "双监控"

    def ready(self):
        # The “我的待办” providers, the deadline sources, the signal receivers and the attachable models.
        from . import inbox, receivers, reminders, uploads  # noqa: F401
