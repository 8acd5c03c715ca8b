"""The rule registry: every diagnostic code with its name, default severity and one-line description.

Rules that look at a parsed Document are registered with `@rule`; codes that other stages emit while
reading, parsing or rendering are registered with `declare`. Both live in the `generator.rules` package,
so that the list of codes is in one place. Codes are never renumbered or reused.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from .model import Diagnostic, Edit, Position, Severity


@dataclass(frozen=True)
class Rule:
    code: str
    name: str
    severity: Severity
    description: str
    check: Callable | None = None
    # "document": check(doc, ctx); "limits": the same, first (a draft over a limit gets nothing else);
    # "corpus": check(docs, ctx); "stage": emitted elsewhere
    scope: str = "document"


RULES: dict[str, Rule] = {}


def _register(rule: Rule) -> None:
    if rule.code in RULES:
        raise RuntimeError(f"rule code {rule.code} registered twice")
    RULES[rule.code] = rule


def rule(code: str, name: str, severity: Severity, *, scope: str = "document"):
    """Register a check function; its docstring's first line is the rule's description."""

    def decorator(function: Callable[..., Iterator[Diagnostic]]):
        description = (function.__doc__ or "").strip().splitlines()[0] if function.__doc__ else ""
        _register(Rule(code, name, severity, description, function, scope))
        return function

    return decorator


def declare(code: str, name: str, severity: Severity, description: str) -> None:
    """Register a code that a pipeline stage emits itself (reader, parser, renderer)."""
    _register(Rule(code, name, severity, description, None, "stage"))


def all_rules() -> dict[str, Rule]:
    from . import rules  # noqa: F401  (importing the package registers every rule)

    return RULES


def diagnostic(code: str, path: Path, position: Position | tuple[int, int], message: str,
               *, fix: Iterable[Edit] = ()) -> Diagnostic:
    """Build a diagnostic for a registered code at its default severity."""
    registered = all_rules()[code]
    line, col = (position.line, position.col) if isinstance(position, Position) else position
    return Diagnostic(path=path, line=max(line, 1), col=max(col, 1), code=code, name=registered.name,
                      severity=registered.severity, message=message, fix=tuple(fix))
