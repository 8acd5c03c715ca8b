"""reportgen: branded PDF and Word reports and annual volumes from Markdown drafts.

Public API (the pipeline's stages):

    read_draft(path) -> Draft
    parse(draft, config) -> Document
    check_paths(paths, config, registry, whole_corpus=...) -> (documents, diagnostics)
    load_config(path=None) -> Config
    load_registry(path) -> Registry
"""

__version__ = "0.1.0"

from .check import check_paths  # noqa: E402
from .config import Config, load_config  # noqa: E402
from .errors import BuildLocked, ConfigError, EnvironmentProblem, RenderError, ReportgenError  # noqa: E402
from .model import Diagnostic, Document, Draft, Severity  # noqa: E402
from .parse import parse  # noqa: E402
from .reader import read_draft  # noqa: E402
from .registry import load_registry  # noqa: E402

__all__ = [
    "__version__", "BuildLocked", "Config", "ConfigError", "Diagnostic", "Document", "Draft", "EnvironmentProblem",
    "RenderError", "ReportgenError", "Severity", "check_paths", "load_config", "load_registry", "parse",
    "read_draft",
]
