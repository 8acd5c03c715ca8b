"""Configuration: the schema of `reportgen.toml`, finding the file, and validating it on load.

Every option is a typed attribute with its documentation underneath (as MkDocs declares its options).
Loading collects every problem at once and names the key path, what was expected and what was received.
Paths in the file are relative to the file's directory.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from .errors import ConfigError
from .i18n import _
from .project import find_config

FIELDS_REQUIRED_BY_DEFAULT = ("title", "year", "theme", "company", "counselors", "status", "submitted", "summary",
                              "keywords")
# `short_title`: what the running header shows when the title is too long for its one line (FM125).
KNOWN_FIELDS = FIELDS_REQUIRED_BY_DEFAULT + ("short_title",)
SeverityName = Literal["error", "warning", "info", "off"]
HexColour = Annotated[str, Field(pattern=r"^#[0-9A-Fa-f]{6}$")]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ProjectOptions(Strict):
    sources: str = "reports_src"
    """Directory holding `<year>/<report-id>.md` drafts."""
    registry: str = "reports_src/registry.yaml"
    """The registry of counselors and companies that front matter may name."""
    templates: str = "templates"
    """Directory of HTML/CSS templates, the logo and an optional `reference.docx`."""
    output: str = "output"
    """Where `build` writes; the layout inside is fixed (see the README)."""


class Fonts(Strict):
    """Font families by role, each a list tried in order; every family must be installed."""

    title: list[str] = ["Noto Serif CJK SC"]
    body: list[str] = ["Noto Serif CJK SC"]
    heading1: list[str] = ["Noto Sans CJK SC"]
    heading2: list[str] = ["AR PL UKai CN"]
    heading3: list[str] = ["Noto Serif CJK SC"]
    mono: list[str] = ["Noto Sans Mono CJK SC"]

    @field_validator("*")
    @classmethod
    def _non_empty(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError("at least one font family is required")
        return value


class LatinFonts(Strict):
    """The face that sets Latin letters, digits and ASCII signs in each role, where the role's own face should not:
    AR PL UKai's Latin letters are typewriter-like, so Latin text in 楷体 (quotes, emphasis, （一） headings) is set
    in the body's serif. Unset: the role's own fonts. Each family must be installed."""

    title: str | None = None
    body: str | None = None
    heading1: str | None = None
    heading2: str | None = "Noto Serif CJK SC"
    heading3: str | None = None
    mono: str | None = None


class Brand(Strict):
    organisation: str = "西南水泥有限公司"
    """Organisation named on covers, headers and document metadata."""
    logo: str = "templates/logo.svg"
    """SVG logo (relative to this file)."""
    primary_colour: HexColour = "#B3261E"
    """Brand colour, used sparingly (rules, title block)."""
    accent_colour: HexColour = "#7A5C1E"
    paper: Literal["A4", "A5", "B5"] = "A4"
    header_text: str = "西南水泥党建辅导员项目课题报告"
    """Running header text; the report title is added to it."""
    footer_text: str = ""
    volume_title: str = "党建辅导员制项目课题成果汇编"
    logo_raster: str = "templates/logo.png"
    """PNG rendition of the logo, for Word (which cannot show SVG in all versions)."""
    pdf_variant: Literal["pdf/a-3b", "pdf/ua-1"] | None = None
    """Optional PDF variant, e.g. "pdf/a-3b" for archiving."""
    fonts: Fonts = Fonts()
    latin_fonts: LatinFonts = LatinFonts()

    def latin_companion(self, role: str) -> str | None:
        """The Latin face of a role when it is not the role's own first face (see `LatinFonts`)."""
        family = getattr(self.latin_fonts, role)
        return family if family and family != getattr(self.fonts, role)[0] else None

    def font_families(self) -> dict[str, list[str]]:
        """Every configured family by role, the role's Latin companion first when it has one."""
        return {role: ([companion] if (companion := self.latin_companion(role)) else []) + families
                for role, families in self.fonts.model_dump().items()}


class SectionSpec(Strict):
    title: str
    """Canonical section title, matched after stripping Chinese numbering (一、 （一） 1. （1））."""
    aliases: list[str] = []
    """Other titles accepted for this section."""
    level: int = Field(default=2, ge=1, le=6)
    """Markdown heading level (2 for `##`)."""
    min_chars: int = Field(default=1, ge=0)
    """A section with fewer characters of text than this counts as empty."""


def _default_sections() -> list[SectionSpec]:
    return [
        SectionSpec(title="课题背景", aliases=["项目背景", "选题背景", "背景"]),
        SectionSpec(title="问题分析", aliases=["存在问题", "问题诊断", "现状分析"]),
        SectionSpec(title="辅导过程", aliases=["辅导实施过程", "实施过程"]),
        SectionSpec(title="主要做法", aliases=["具体做法", "主要措施"]),
        SectionSpec(title="取得成效", aliases=["主要成效", "成效"]),
        SectionSpec(title="经验启示", aliases=["经验与启示", "启示", "体会与启示"]),
    ]


class FrontMatterOptions(Strict):
    required: list[str] = list(FIELDS_REQUIRED_BY_DEFAULT)
    """Fields every draft must have (a subset of the known fields)."""
    extra_fields: list[str] = []
    """Additional free-text fields that drafts may carry (e.g. `reviewer`)."""
    statuses: list[str] = ["草稿", "已提交", "已审定"]
    """Workflow states, in order."""
    approved_status: str = "已审定"
    """Only reports in this state go into the annual volume (unless drafts are asked for)."""
    summary_max_chars: int = Field(default=300, ge=1)
    keywords_max: int = Field(default=8, ge=1)

    @field_validator("required")
    @classmethod
    def _known(cls, value: list[str]) -> list[str]:
        unknown = [name for name in value if name not in KNOWN_FIELDS]
        if unknown:
            raise ValueError(f"unknown field(s) {unknown}; known: {list(KNOWN_FIELDS)}")
        return value

    @model_validator(mode="after")
    def _approved_is_a_status(self) -> "FrontMatterOptions":
        if self.approved_status not in self.statuses:
            raise ValueError(f"approved_status {self.approved_status!r} is not one of statuses {self.statuses}")
        return self


class TextOptions(Strict):
    script: Literal["simplified", "traditional"] = "simplified"
    """The script documents are written in; characters of the other script are reported."""
    cjk_latin_spacing: Literal["forbid", "require", "ignore"] = "forbid"
    """Spaces between Han characters and Latin letters/digits: forbid (GB/T 9704 practice), require
    (the Chinese copywriting guidelines) or ignore."""
    script_whitelist: list[str] = []
    """Words exempt from the script check (names that keep their own characters)."""


class CheckOptions(Strict):
    severity: dict[str, SeverityName] = {}
    """Per-rule severity override by code, e.g. `TXT404 = "off"`."""
    max_draft_bytes: int = Field(default=2_000_000, ge=1024)
    """Drafts larger than this are refused unread."""
    max_nesting: int = Field(default=12, ge=1, le=100)
    """Deepest nesting of block quotes and lists."""
    max_table_rows: int = Field(default=1000, ge=1)
    max_table_columns: int = Field(default=40, ge=1)


class BuildOptions(Strict):
    report_timeout: int = Field(default=120, ge=1)
    """Seconds one report may take to render before it is abandoned (RND607)."""
    volume_timeout: int = Field(default=900, ge=1)
    """Seconds one volume may take."""
    worker_memory_mb: int = Field(default=3072, ge=256)
    """Address-space limit of each worker process; a report that needs more fails alone."""


class VolumeOptions(Strict):
    theme_order: list[str] = []
    """Order of theme groups in the volume; empty means the order of `themes`."""
    pdf_name: str = Field(default="volume.pdf", pattern=r"^[\w.-]+\.pdf$")
    docx_name: str = Field(default="volume.docx", pattern=r"^[\w.-]+\.docx$")
    front_matter: str = "_volume.md"
    """Per-year source file (inside `<sources>/<year>/`) with the preface and afterword."""
    on_failed_report: Literal["exclude", "keep-previous"] = "exclude"
    """When a report that belongs in the volume fails: build the volume without it ("exclude"), or leave the
    previous volume in place and write nothing ("keep-previous"). The build exits 1 either way."""


def _default_themes() -> list[str]:
    return ["党建+三精管理", "党建+绿色发展", "党建+安全生产", "党建+廉洁从业", "党建+精准扶贫", "党建+精准采购",
            "党建+双精双优", "党建+学习教育", "党建+技能培养"]


class Config(Strict):
    """The whole of `reportgen.toml`."""

    language: Literal["zh_CN", "en"] | None = None
    """Message language; by default Simplified Chinese unless the locale is English."""
    project: ProjectOptions = ProjectOptions()
    brand: Brand = Brand()
    themes: list[str] = Field(default_factory=_default_themes, min_length=1)
    """Themes a report may have."""
    front_matter: FrontMatterOptions = FrontMatterOptions()
    sections: list[SectionSpec] = Field(default_factory=_default_sections)
    """Required sections, in order."""
    text: TextOptions = TextOptions()
    check: CheckOptions = CheckOptions()
    build: BuildOptions = BuildOptions()
    volume: VolumeOptions = VolumeOptions()

    # Set by `load_config`, not read from the file.
    root: Path = Field(default=Path("."), exclude=True)
    path: Path | None = Field(default=None, exclude=True)

    @model_validator(mode="after")
    def _theme_order_known(self) -> "Config":
        unknown = [theme for theme in self.volume.theme_order if theme not in self.themes]
        if unknown:
            raise ValueError(f"volume.theme_order names themes not in `themes`: {unknown}")
        return self

    def resolve(self, relative: str) -> Path:
        return (self.root / relative).resolve()

    @property
    def sources_dir(self) -> Path:
        return self.resolve(self.project.sources)

    @property
    def registry_path(self) -> Path:
        return self.resolve(self.project.registry)

    @property
    def templates_dir(self) -> Path:
        return self.resolve(self.project.templates)

    @property
    def output_dir(self) -> Path:
        return self.resolve(self.project.output)

    @property
    def ordered_themes(self) -> list[str]:
        order = list(self.volume.theme_order)
        return order + [theme for theme in self.themes if theme not in order]


def _format_location(loc: tuple) -> str:
    return ".".join(str(part) for part in loc if not str(part).startswith("function-after")) or "(root)"


def load_config(path: Path | None = None, *, start: Path | None = None) -> Config:
    """Load and validate the configuration; raise ConfigError listing every problem.

    With no path, the nearest `reportgen.toml` from `start` (default: the current directory) is used;
    with none found, the defaults apply with `start` as the project root.
    """
    if path is None:
        path = find_config(start or Path.cwd())
    if path is None:
        return Config(root=(start or Path.cwd()).resolve())
    path = path.resolve()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(str(path), [_("configuration file not found")]) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise ConfigError(str(path), [_("not valid TOML: {error}").format(error=error)]) from None
    try:
        config = Config.model_validate(data)
    except ValidationError as error:
        problems = []
        for item in error.errors():
            key = _format_location(item["loc"])
            if item["type"] == "extra_forbidden":
                problems.append(_("{key}: unknown key (value {value!r})").format(key=key, value=item["input"]))
            else:
                problems.append(_("{key}: {message}; received {value!r}").format(
                    key=key, message=item["msg"], value=item["input"]))
        raise ConfigError(str(path), problems) from None
    return config.model_copy(update={"root": path.parent, "path": path})
