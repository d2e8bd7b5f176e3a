"""Set up Django for the bench scripts, run from the repository root or from bench/."""

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def setup(require_postgres: bool = True):
    """Configure Django against DATABASE_URL; refuse the embedded SQLite file unless asked.

    The figures are meant for PostgreSQL (DESIGN §5), and filling the development database with
    tens of thousands of rows by accident would spoil the demo city.
    """
    url = os.environ.get("DATABASE_URL", "")
    if require_postgres and not url.startswith(("postgres://", "postgresql://")):
        sys.exit(
            "bench: set DATABASE_URL to a PostgreSQL database of its own, e.g.\n"
            "  createdb -h 127.0.0.1 -U postgres jxt_bench\n"
            "  DATABASE_URL=postgres://postgres@127.0.0.1:5432/jxt_bench python bench/generate.py\n"
            "(--allow-sqlite overrides this check.)"
        )
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
