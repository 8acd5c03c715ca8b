"""Exceptions that abort a command. Problems in drafts are diagnostics, never exceptions.

    ReportgenError            base of everything reportgen raises on purpose (exit code 2)
    ├── ConfigError           reportgen.toml or the registry cannot be used
    ├── EnvironmentProblem    a required tool or font is missing
    ├── BuildLocked           another build holds the output directory's lock (exit code 3)
    └── RenderError           a renderer failed on a document it had accepted
    Terminated (BaseException) SIGTERM: the command stops as on Ctrl-C, cleaning up (exit code 143)
"""

from __future__ import annotations


class ReportgenError(Exception):
    exit_code = 2


class ConfigError(ReportgenError):
    def __init__(self, source: str, problems: list[str]):
        self.source = source
        self.problems = problems
        super().__init__(f"{source}: " + "; ".join(problems))


class EnvironmentProblem(ReportgenError):
    pass


class BuildLocked(ReportgenError):
    exit_code = 3


class RenderError(ReportgenError):
    pass


class Terminated(BaseException):
    """Raised in the main thread on SIGTERM, like KeyboardInterrupt on SIGINT: every `finally` and context
    manager runs on the way out (workers stopped, lock released, temporary files removed)."""

    exit_code = 143
