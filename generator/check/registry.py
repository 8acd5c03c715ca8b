"""The rule functions, attached to their codes: `@rule("SEC201")` registers a check for a code of `core/codes.py`
whose scope is "document", "limits" or "corpus" (the code's name, severity and description live in that table)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from generator.core.codes import CODES, Code
from generator.core.model import Diagnostic

RULE_SCOPES = ("limits", "document", "corpus")


@dataclass(frozen=True)
class Rule:
    """A code's check: `check(document, context)` for "document" and "limits", `check(documents, context)` for
    "corpus"."""

    info: Code
    check: Callable[..., Iterator[Diagnostic]]

    @property
    def code(self) -> str:
        return self.info.code

    @property
    def name(self) -> str:
        return self.info.name

    @property
    def scope(self) -> str:
        return self.info.scope


RULES: dict[str, Rule] = {}


def rule(code: str):
    """Register the check function of `code`."""
    info = CODES[code]
    if info.scope not in RULE_SCOPES:
        raise RuntimeError(f"{code} is emitted by a stage ({info.scope}), not checked by a rule")

    def decorator(function: Callable[..., Iterator[Diagnostic]]):
        if code in RULES:
            raise RuntimeError(f"rule {code} registered twice")
        RULES[code] = Rule(info, function)
        return function

    return decorator


def registered_rules() -> dict[str, Rule]:
    """Every rule function by code; the rules register themselves when the `rules` package is imported (the
    checker, `engine.py`, imports it)."""
    return RULES
