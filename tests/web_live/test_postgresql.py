"""The workspace's test suite against PostgreSQL (Debian's `postgresql`): a throwaway cluster is created in a
temporary directory, listening on a Unix socket only, and removed afterwards; the suite of tests/web runs on it
with DATABASE_URL, migrations applied forwards from empty by Django's test database creation. The desk's tests
(issue 17: board, review, comments, transitions, races, the permissions table) are among them, and are checked by
name to have run and passed here."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
INITDB = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))

pytestmark = pytest.mark.skipif(not INITDB, reason="Debian's postgresql is not installed (make test installs it)")


def _as_cluster_owner(command: list[str], **options):
    """PostgreSQL refuses to run as root: as root, run its programs as the `postgres` user."""
    if os.geteuid() == 0:
        command = ["runuser", "-u", "postgres", "--", *command]
    return subprocess.run(command, check=True, capture_output=True, text=True, **options)


@pytest.fixture(scope="module")
def cluster():
    bin_dir = Path(INITDB[-1]).parent
    directory = Path(tempfile.mkdtemp(prefix="reportgen-pg-"))
    directory.chmod(0o755)
    data, socket_dir = directory / "data", directory / "socket"
    socket_dir.mkdir()
    if os.geteuid() == 0:
        shutil.chown(directory, "postgres")
        shutil.chown(socket_dir, "postgres")
    try:
        _as_cluster_owner([str(bin_dir / "initdb"), "-D", str(data), "-A", "trust", "-U", "reportgen", "-E", "UTF8",
                           "--locale", "C.UTF-8", "--no-sync"])
        _as_cluster_owner([str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(directory / "server.log"), "-w",
                           "-o", f"-k {socket_dir} -c listen_addresses='' -c fsync=off", "start"])
        yield f"postgresql://reportgen@/postgres?host={socket_dir}"
    finally:
        if (data / "postmaster.pid").exists():
            _as_cluster_owner([str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"])
        shutil.rmtree(directory, ignore_errors=True)


def test_the_workspace_suite_passes_on_postgresql(cluster, tmp_path):
    env = {**os.environ, "DATABASE_URL": cluster}
    for variable in ("REPORTGEN_CONFIG", "REPORTGEN_STATE_DIR", "DJANGO_SETTINGS_MODULE"):
        env.pop(variable, None)
    junit = tmp_path / "junit.xml"
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/web",
                             "-k", "not browser", f"--junitxml={junit}"], cwd=REPO, env=env, capture_output=True,
                            text=True, timeout=900)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert " passed" in result.stdout and "failed" not in result.stdout.splitlines()[-1]
    import xml.etree.ElementTree as ElementTree

    cases = {(case.get("classname"), case.get("name")): list(case) for case in ElementTree.parse(junit).iter("testcase")}
    desk = {key: outcome for key, outcome in cases.items() if key[0] in ("tests.web.test_desk", "tests.web.test_migrations")}
    assert len(desk) >= 15 and all(outcome == [] for outcome in desk.values()), desk   # ran, and passed
    assert any(name.startswith("test_every_url_for_every_role[get /desk/") for _module, name in cases)
    assert "postgresql" in subprocess.run(
        [sys.executable, "-c", "import os; os.environ['DJANGO_SETTINGS_MODULE']='generator.web.settings.local';"
         "import django; django.setup(); from django.db import connection; print(connection.vendor)"],
        cwd=REPO, env={**env, "REPORTGEN_STATE_DIR": str(tmp_path)}, capture_output=True, text=True,
        check=True).stdout
