"""The Celery app: worker and beat share Django's settings (CELERY_* keys)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("jixiaotong")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
