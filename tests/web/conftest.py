"""The web workspace under test: a copy of the sample project in a temporary directory (drafts restored before
each test), Django set up on it with a throwaway test database, and accounts for each role.

Django's settings are read once per process, so the project directory is made when this module is imported."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
WORK = Path(tempfile.mkdtemp(prefix="reportgen-web-test-"))
PROJECT = WORK / "project"
PRISTINE = WORK / "pristine-sources"

shutil.copy(REPO / "reportgen.toml", WORK / "reportgen.toml.orig")
PROJECT.mkdir()
shutil.copy(REPO / "reportgen.toml", PROJECT / "reportgen.toml")
shutil.copytree(REPO / "templates", PROJECT / "templates")
shutil.copytree(REPO / "reports_src", PRISTINE, ignore=shutil.ignore_patterns("*.bak*", ".*"))
shutil.copytree(PRISTINE, PROJECT / "reports_src")

os.environ["REPORTGEN_CONFIG"] = str(PROJECT / "reportgen.toml")
os.environ["REPORTGEN_STATE_DIR"] = str(WORK / "state")
os.environ["REPORTGEN_PREVIEW_WORKERS"] = "1"
os.environ["DJANGO_SETTINGS_MODULE"] = "generator.web.settings.local"

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402

# Argon2 (the workspace's hasher) costs a tenth of a second per hash by design; test_accounts.py tests it, the
# rest log in without hashing.
ARGON2_HASHERS = settings.PASSWORD_HASHERS
settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

OWNER, OTHER = "周文博", "王建国"      # r01 names 周文博 (and 郑德华); r02 names 王建国
PASSWORD = "correct horse battery 9"


@pytest.fixture(scope="session", autouse=True)
def test_database():
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import setup_test_environment, teardown_test_environment

    setup_test_environment()
    name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    call_command("createcachetable", verbosity=0)
    yield
    connection.creation.destroy_test_db(name, verbosity=0)
    teardown_test_environment()
    shutil.rmtree(WORK, ignore_errors=True)


@pytest.fixture(autouse=True)
def clean_state():
    """Every test starts from the sample drafts and an empty database (its changes are rolled back)."""
    from django.core.cache import cache
    from django.db import transaction

    shutil.rmtree(PROJECT / "reports_src")
    shutil.copytree(PRISTINE, PROJECT / "reports_src")
    with transaction.atomic():
        yield
        cache.clear()
        transaction.set_rollback(True)


@pytest.fixture
def accounts():
    from generator.web.users import add_user

    add_user(OWNER, role="counselor", registry_name=OWNER, password=PASSWORD)
    add_user(OTHER, role="counselor", registry_name=OTHER, password=PASSWORD)
    add_user("publicity", role="reviewer", password=PASSWORD)
    add_user("root", role="admin", password=PASSWORD)
    return {"owner": OWNER, "other": OTHER, "reviewer": "publicity", "admin": "root"}


@pytest.fixture
def client_as(accounts):
    """`client_as("owner")`: a test client logged in as that role's account (None: not logged in)."""
    from django.test import Client

    def make(role: str | None):
        client = Client()
        if role is not None:
            from django.contrib.auth import get_user_model

            client.force_login(get_user_model().objects.get(username=accounts[role]))
        return client
    return make


@pytest.fixture
def sources() -> Path:
    return PROJECT / "reports_src"


@pytest.fixture
def finished_compile():
    """A finished compile of 2022 as `compile_run` leaves it (job, result, ZIP), made without building: for the
    tests of who may see and download it."""
    import json
    import zipfile

    from django.conf import settings

    job_id = "2022-20260101T000000-abcdef"
    directory = Path(settings.STATE_DIR) / "compiles" / job_id
    directory.mkdir(parents=True)
    (directory / "job.json").write_text(json.dumps({
        "id": job_id, "year": "2022", "preview": False, "wait": False, "user": "publicity", "language": "zh_CN",
        "config": None, "out": None, "started": "2026-01-01T00:00:00+00:00"}), encoding="utf-8")
    with zipfile.ZipFile(directory / "2022.zip", "w") as archive:
        for name in ("volume.pdf", "volume.docx", "reports/r01.pdf", "reports/r01.docx"):
            archive.writestr(name, b"%PDF-1.7 " + name.encode())
    outputs = {kind: {"path": f"2022/volume.{kind}", "sha256": "", "bytes": 0} for kind in ("pdf", "docx")}
    (directory / "result.json").write_text(json.dumps({
        "state": "done", "exit_status": 0, "archive": "2022.zip", "diagnostics": [],
        "volume": {"year": "2022", "outputs": outputs, "pages": 3, "reports": [
            {"id": "r01", "title": "标题", "start_page": 1}], "diagnostics": []},
        "reports": [{"id": "r01", "year": "2022", "title": "标题", "status": "已审定", "result": "built",
                     "outputs": outputs, "pages": 3, "diagnostics": []}]}), encoding="utf-8")
    yield job_id
    shutil.rmtree(directory)
