"""The package's structure holds: layers import in one direction (import-linter's contracts in pyproject.toml),
no module imports itself back through others, and every code has its one rule function or its stage."""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path

import grimp
import pytest

from generator.check import engine  # noqa: F401 - registers every rule
from generator.check.registry import RULE_SCOPES, registered_rules
from generator.core.codes import CODES

REPO = Path(__file__).parent.parent
LAYERS = ["core", "read", "check", "render", "build"]


def test_the_import_contracts_hold():
    linter = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(linter), str(REPO / "pyproject.toml")], cwd=REPO,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_no_module_imports_itself_back():
    graph = grimp.build_graph("generator", exclude_type_checking_imports=True)
    cycles = [(module, imported) for module in sorted(graph.modules)
              for imported in graph.find_modules_directly_imported_by(module)
              if graph.find_shortest_chain(importer=imported, imported=module)]
    assert cycles == []


def test_a_lower_layer_importing_a_higher_one_breaks_the_contract(tmp_path):
    """The contract can fail: a copy of the package where core imports the build is refused."""
    import shutil

    copy = tmp_path / "generator"
    shutil.copytree(REPO / "generator", copy, ignore=shutil.ignore_patterns("__pycache__", "static", "frontend", "locale"))
    (copy / "core" / "model.py").write_text((copy / "core" / "model.py").read_text(encoding="utf-8")
                                            + "\nfrom generator.build import run  # noqa\n", encoding="utf-8")
    linter = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(linter), str(REPO / "pyproject.toml"), "--contract",
                             "generator-layers"], cwd=tmp_path, capture_output=True, text=True,
                            env={"PYTHONPATH": str(tmp_path), "PATH": "/usr/bin:/bin"})
    assert result.returncode != 0
    assert "generator.core.model -> generator.build.run" in result.stdout


@pytest.mark.parametrize("layer", LAYERS)
def test_each_layer_says_its_responsibility_and_what_it_may_import(layer):
    package = importlib.import_module(f"generator.{layer}")
    assert package.__doc__ and package.__doc__.startswith(f"{layer} — ")
    assert "May import:" in package.__doc__


def test_every_rule_code_has_one_function_and_every_function_a_code():
    rules = registered_rules()
    checked = {code for code, info in CODES.items() if info.scope in RULE_SCOPES}
    assert set(rules) == checked
    for code, registered in rules.items():
        docstring = (registered.check.__doc__ or "").strip().splitlines()[0]
        assert docstring == CODES[code].description, code
