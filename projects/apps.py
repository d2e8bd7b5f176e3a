from django.apps import AppConfig


class ProjectsConfig(AppConfig):
    name = "projects"
    verbose_name = "项目库与事前评估"

    def ready(self):
        # Registers the “我的待办” providers and the pre-assessment deadline source.
        from . import inbox, reminders  # noqa: F401
