"""The production settings pass Django's deployment checks; the local ones are what `reportgen serve` uses."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def _manage(tmp_path, settings_module: str, *arguments: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": settings_module, "REPORTGEN_STATE_DIR": str(tmp_path),
           "REPORTGEN_CONFIG": str(REPO / "reportgen.toml"), "REPORTGEN_ALLOWED_HOSTS": "reports.example.org"}
    env.pop("DATABASE_URL", None)
    return subprocess.run([sys.executable, "-m", "generator.web", *arguments], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=120)


def test_check_deploy_is_clean_for_the_production_settings(tmp_path):
    result = _manage(tmp_path, "generator.web.settings.production", "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600
    local = _manage(tmp_path, "generator.web.settings.local", "check", "--deploy", "--fail-level", "WARNING")
    assert local.returncode != 0 and "SESSION_COOKIE_SECURE" in local.stdout + local.stderr   # plain HTTP only


def test_migrations_match_the_models(tmp_path):
    result = _manage(tmp_path, "generator.web.settings.local", "makemigrations", "--check", "--dry-run")
    assert result.returncode == 0, result.stdout + result.stderr
