"""Django set up in this process for the workspace's commands (`reportgen serve`, `reportgen users`)."""

from __future__ import annotations

import os
from pathlib import Path


def setup_django(config_path: Path | None) -> None:
    """Point the settings at the project of `config_path` (else the nearest reportgen.toml), then set Django up
    and bring the database's schema up to date (creating the SQLite file on first start)."""
    if config_path is not None:
        os.environ["REPORTGEN_CONFIG"] = str(config_path.resolve())
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "generator.web.settings.local")
    import django
    from django.core.management import call_command

    django.setup()
    from django.conf import settings

    if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
        Path(settings.DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    call_command("migrate", interactive=False, verbosity=0)
    call_command("createcachetable", verbosity=0)
