"""Shared fixtures: the test project (tests/project), its configuration and registry, and helpers.

The suite never reads or writes the user's cache (`~/.cache/reportgen`): before anything of reportgen is imported
(the message catalog is loaded on import), `XDG_CACHE_HOME` points at a directory of this test session's own, which
the builds the tests run in subprocesses inherit too; it is removed when the session ends."""

from __future__ import annotations

import atexit
import os
import shutil
import signal
import tempfile
from pathlib import Path

_SESSION_CACHE = tempfile.mkdtemp(prefix="reportgen-test-cache-")
os.environ["XDG_CACHE_HOME"] = _SESSION_CACHE
atexit.register(shutil.rmtree, _SESSION_CACHE, ignore_errors=True)

# The tests that press Ctrl-C on a build send it SIGINT. Run as a shell's background job, this session would start
# with SIGINT ignored, and the builds it starts would inherit that and go on: a handler instead is reset to the
# default in them, as in a terminal.
if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)

import pytest  # noqa: E402

from generator.check.engine import check_paths  # noqa: E402
from generator.core.config import load_config  # noqa: E402
from generator.core.i18n import set_language  # noqa: E402
from generator.read.registry import load_registry  # noqa: E402

TESTS = Path(__file__).parent
PROJECT = TESTS / "project"
RULE_FIXTURES = PROJECT / "reports_src" / "rules"
REPO = TESTS.parent


@pytest.fixture(autouse=True)
def chinese_messages():
    """Messages in the default language (Simplified Chinese) unless a test switches."""
    set_language("zh_CN")
    yield
    set_language("zh_CN")


@pytest.fixture(scope="session")
def project_config():
    return load_config(PROJECT / "reportgen.toml")


@pytest.fixture(scope="session")
def project_registry(project_config):
    return load_registry(project_config.registry_path)


@pytest.fixture
def check_file(project_config, project_registry):
    """Check one draft alone (no corpus-wide rules); return its diagnostics."""

    def run(path: Path):
        _documents, diagnostics = check_paths([path], project_config, project_registry, whole_corpus=False)
        return diagnostics

    return run
