"""Shared fixtures: the test project (tests/project), its configuration and registry, and helpers."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.check import check_paths
from generator.config import load_config
from generator.i18n import set_language
from generator.registry import load_registry

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
