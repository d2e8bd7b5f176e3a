"""Production serves static files through a hashed manifest (whitenoise): every file a stylesheet
or script refers to must exist, or collectstatic fails at deploy time."""

from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.management import call_command


def test_collectstatic_builds_the_manifest_for_every_page_asset(settings, tmp_path):
    # Manifest storage without whitenoise's compression: the same reference checks, in seconds.
    settings.STATIC_ROOT = tmp_path
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"},
    }
    call_command("collectstatic", "--noinput", verbosity=0)
    for asset in (
        "vendor/bootstrap/bootstrap.min.css",
        "vendor/htmx/htmx.min.js",
        "vendor/echarts/echarts.min.js",
        "vendor/bootstrap-icons/bootstrap-icons.min.css",
        "css/app.css",
        "js/app.js",
    ):
        assert staticfiles_storage.hashed_name(asset) != asset  # hashed, so it was collected
