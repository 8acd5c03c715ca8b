"""Configuration: the schema of `reportgen.toml`, finding the file, and validating it on load.

Every option is a typed attribute with its documentation underneath (as MkDocs declares its options).
Loading collects every problem at once and names the key path, what was expected and what was received, in
the user's language: pydantic's errors are translated by their `type` (`describe_error`), and the schema's own
checks raise `PydanticCustomError`s with types of their own, translated the same way. Paths in the file are
relative to the file's directory. What the file names on this machine (installed fonts, the logo, the
templates) is verified by `require_resources` when a command is about to use it.
"""

from __future__ import annotations

import ast
import difflib
import re
import reprlib
import tomllib
import types
import typing
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from .errors import ConfigError
from .i18n import _, describe_os_error, join_list, quote
from .project import find_config

FIELDS_REQUIRED_BY_DEFAULT = ("title", "year", "theme", "company", "counselors", "status", "submitted", "summary",
                              "keywords")
# `short_title`: what the running header shows when the title is too long for its one line (FM125).
# `volume_order`: a positive integer, set by reviewers on the desk; the volume places a theme's reports by it first.
KNOWN_FIELDS = FIELDS_REQUIRED_BY_DEFAULT + ("short_title", "volume_order")
SeverityName = Literal["error", "warning", "info", "off"]
COLOUR_PATTERN = r"^#[0-9A-Fa-f]{6}$"
PDF_NAME_PATTERN = r"^[\w.-]+\.pdf$"
DOCX_NAME_PATTERN = r"^[\w.-]+\.docx$"
VOLUME_SOURCE_PATTERN = r"^_[\w.-]*\.md$"  # `_`: not taken for a draft (discover.py)
HexColour = Annotated[str, Field(pattern=COLOUR_PATTERN)]


def _problem(kind: str, template: str, **context: Any) -> PydanticCustomError:
    """A schema check's own error. `template` is English (pydantic's `msg`); `describe_error` translates the
    error by `kind`. `context["at"]`, when given, is the key path below the validated field where it lies."""
    return PydanticCustomError(kind, template, context)


def _unique(items: list[str]) -> list[str]:
    seen: set[str] = set()
    for index, item in enumerate(items):
        if item in seen:
            raise _problem("duplicate_item", "{item!r} is listed twice", item=item, at=(index,))
        seen.add(item)
    return items


Text = Annotated[str, Field(min_length=1)]
"""Text that may not be empty (a name, a title)."""
UniqueTexts = Annotated[list[Text], AfterValidator(_unique)]
"""A list of names, each once."""


def _known_rule(name: str) -> str:
    from .codes import CODES as rules
    if name in rules or any(registered.name == name for registered in rules.values()):
        return name
    names = list(rules) + [registered.name for registered in rules.values()]
    close = difflib.get_close_matches(name, names, n=1, cutoff=0.6)
    raise _problem("unknown_rule", "{name!r} is not a rule code or name", name=name,
                   suggestion=close[0] if close else "")


class Strict(BaseModel):
    # strict: TOML values are typed, so `true` or `1.5` where a count belongs is a mistake, not a 1.
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


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

    title: Annotated[UniqueTexts, Field(min_length=1)] = ["Noto Serif CJK SC"]
    body: Annotated[UniqueTexts, Field(min_length=1)] = ["Noto Serif CJK SC"]
    heading1: Annotated[UniqueTexts, Field(min_length=1)] = ["Noto Sans CJK SC"]
    heading2: Annotated[UniqueTexts, Field(min_length=1)] = ["AR PL UKai CN"]
    heading3: Annotated[UniqueTexts, Field(min_length=1)] = ["Noto Serif CJK SC"]
    mono: Annotated[UniqueTexts, Field(min_length=1)] = ["Noto Sans Mono CJK SC"]


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
    """SVG logo (relative to this file); "" for none."""
    primary_colour: HexColour = "#B3261E"
    """Brand colour, used sparingly (rules, title block)."""
    accent_colour: HexColour = "#7A5C1E"
    paper: Literal["A4", "A5", "B5"] = "A4"
    header_text: str = "西南水泥党建辅导员项目课题报告"
    """Running header text; the report title is added to it."""
    footer_text: str = ""
    volume_title: str = "党建辅导员制项目课题成果汇编"
    logo_raster: str = "templates/logo.png"
    """PNG rendition of the logo, for Word (which cannot show SVG in all versions); "" for none."""
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
    required: UniqueTexts = list(FIELDS_REQUIRED_BY_DEFAULT)
    """Fields every draft must have (a subset of the known fields)."""
    extra_fields: UniqueTexts = []
    """Additional free-text fields that drafts may carry (e.g. `reviewer`)."""
    statuses: Annotated[UniqueTexts, Field(min_length=1)] = ["草稿", "已提交", "已审定"]
    """Workflow states, in order."""
    approved_status: str = "已审定"
    """Only reports in this state go into the annual volume (unless drafts are asked for)."""
    summary_max_chars: int = Field(default=300, ge=1)
    title_max_chars: int = Field(default=100, ge=10)
    """A title longer than this is refused (FM126): titles are set on the cover, in headers and in the TOC."""
    keywords_max: int = Field(default=8, ge=1)

    @field_validator("required")
    @classmethod
    def _known(cls, value: list[str]) -> list[str]:
        for index, name in enumerate(value):
            if name not in KNOWN_FIELDS:
                raise _problem("not_one_of", "{value!r} is not one of {allowed}", value=name,
                               allowed=list(KNOWN_FIELDS), at=(index,))
        return value

    @field_validator("extra_fields")
    @classmethod
    def _not_known(cls, value: list[str]) -> list[str]:
        for index, name in enumerate(value):
            if name in KNOWN_FIELDS:
                raise _problem("extra_field_is_known", "{value!r} is a known field already", value=name,
                               at=(index,))
        return value

    @field_validator("approved_status")
    @classmethod
    def _approved_is_a_status(cls, value: str, info: ValidationInfo) -> str:
        statuses = info.data.get("statuses")  # absent when `statuses` itself is invalid (reported there)
        if statuses is not None and value not in statuses:
            raise _problem("not_one_of", "{value!r} is not one of {allowed}", value=value, allowed=statuses,
                           key="statuses")
        return value


class TextOptions(Strict):
    script: Literal["simplified", "traditional"] = "simplified"
    """The script documents are written in; characters of the other script are reported."""
    cjk_latin_spacing: Literal["forbid", "require", "ignore"] = "forbid"
    """Spaces between Han characters and Latin letters/digits: forbid (GB/T 9704 practice), require
    (the Chinese copywriting guidelines) or ignore."""
    script_whitelist: list[str] = []
    """Words exempt from the script check (names that keep their own characters)."""


class CheckOptions(Strict):
    severity: dict[Annotated[str, AfterValidator(_known_rule)], SeverityName] = {}
    """Per-rule severity override by code or name, e.g. `TXT404 = "off"`."""
    max_draft_bytes: int = Field(default=2_000_000, ge=1024)
    """Drafts larger than this are refused unread."""
    max_nesting: int = Field(default=12, ge=1, le=100)
    """Deepest nesting of block quotes and lists."""
    max_table_rows: int = Field(default=1000, ge=1)
    max_table_columns: int = Field(default=40, ge=1)
    max_lines: int = Field(default=10_000, ge=100)
    """Lines a draft may have (RND609)."""
    max_list_items: int = Field(default=2_000, ge=10)
    """List items a draft may have (RND610)."""
    max_footnotes: int = Field(default=300, ge=1)
    """Footnotes a draft may define (RND611): Markdown's footnotes take time quadratic in their number."""
    max_inline_nesting: int = Field(default=32, ge=2)
    """Deepest nesting of brackets and parentheses on a line, and the longest run of emphasis marks (RND612)."""
    max_line_chars: int = Field(default=10_000, ge=200)
    """Characters one line (a paragraph written on one line) may have (RND613)."""


class BuildOptions(Strict):
    report_timeout: int = Field(default=120, ge=1)
    """Seconds one report may take to render before it is abandoned (RND607)."""
    volume_timeout: int = Field(default=900, ge=1)
    """Seconds one volume may take."""
    worker_memory_mb: int = Field(default=3072, ge=256)
    """Address-space limit of each worker process; a report that needs more fails alone."""


class VolumeOptions(Strict):
    theme_order: UniqueTexts = []
    """Order of theme groups in the volume; empty means the order of `themes`."""
    pdf_name: str = Field(default="volume.pdf", pattern=PDF_NAME_PATTERN)
    docx_name: str = Field(default="volume.docx", pattern=DOCX_NAME_PATTERN)
    front_matter: str = Field(default="_volume.md", pattern=VOLUME_SOURCE_PATTERN)
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
    themes: UniqueTexts = Field(default_factory=_default_themes, min_length=1)
    """Themes a report may have."""
    front_matter: FrontMatterOptions = FrontMatterOptions()
    sections: list[SectionSpec] = Field(default_factory=_default_sections, min_length=1)
    """Required sections, in order (at least one: the section rules and the volume's outline need them)."""
    text: TextOptions = TextOptions()
    check: CheckOptions = CheckOptions()
    build: BuildOptions = BuildOptions()
    volume: VolumeOptions = VolumeOptions()

    # Set by `load_config`, not read from the file.
    root: Path = Field(default=Path("."), exclude=True)
    path: Path | None = Field(default=None, exclude=True)

    @field_validator("sections")
    @classmethod
    def _section_names_distinct(cls, sections: list[SectionSpec]) -> list[SectionSpec]:
        """A title or alias names one section: headings are matched to the first that has it, so a second
        would never be found and every draft would miss it."""
        from .sections import normalise_title

        owners: dict[str, int] = {}
        for index, spec in enumerate(sections):
            for position, name in enumerate((spec.title, *spec.aliases)):
                at = (index, "title") if position == 0 else (index, "aliases", position - 1)
                normalised = normalise_title(name)
                if not normalised:
                    raise _problem("section_title_empty", "{value!r} is only numbering", value=name, at=at)
                if owners.get(normalised, index) != index:
                    raise _problem("section_name_taken", "{value!r} already names section {section!r}",
                                   value=name, section=sections[owners[normalised]].title, at=at)
                owners.setdefault(normalised, index)
        return sections

    @field_validator("volume")
    @classmethod
    def _theme_order_known(cls, volume: VolumeOptions, info: ValidationInfo) -> VolumeOptions:
        themes = info.data.get("themes")  # absent when `themes` itself is invalid (reported there)
        for index, theme in enumerate(volume.theme_order):
            if themes is not None and theme not in themes:
                raise _problem("not_one_of", "{value!r} is not one of {allowed}", value=theme, allowed=themes,
                               key="themes", at=("theme_order", index))
        return volume

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


_shown = reprlib.Repr()
_shown.maxstring, _shown.maxother, _shown.maxlist, _shown.maxdict, _shown.maxlevel = 60, 60, 6, 4, 2


def _show(value: Any) -> str:
    """A received value, short: a whole table is not dumped."""
    if isinstance(value, dict):
        return _("a table") if value else _("an empty table")
    if isinstance(value, bool):
        return "true" if value else "false"  # as TOML writes it
    return _shown.repr(value)


def _key_path(loc: tuple) -> str:
    """`brand.fonts.title`, `sections[2].level`, `check.severity.XYZ999` from a pydantic location."""
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        elif part != "[key]" and not str(part).startswith("function-"):
            path += ("." if path else "") + str(part)
    return path or "(root)"


def _schema_at(loc: tuple) -> Any:
    """The annotation the schema declares at a location (a model class, `list[...]`, a `Literal` …), or None."""
    annotation: Any = Config
    for part in loc:
        while typing.get_origin(annotation) is Annotated:
            annotation = typing.get_args(annotation)[0]
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            field = annotation.model_fields.get(str(part))
            if field is None:
                return None
            annotation = field.annotation
        elif typing.get_origin(annotation) in (list, dict) and isinstance(part, (int, str)):
            annotation = typing.get_args(annotation)[-1]
        else:
            return None
    while typing.get_origin(annotation) is Annotated:
        annotation = typing.get_args(annotation)[0]
    return annotation


def _literal_values(annotation: Any) -> list[str]:
    if typing.get_origin(annotation) is Literal:
        return [str(value) for value in typing.get_args(annotation)]
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return [value for arg in typing.get_args(annotation) for value in _literal_values(arg)]
    return []


def _pattern_form(pattern: str) -> str:
    """What a pattern asks for, in words."""
    forms = {COLOUR_PATTERN: _("a colour written #RRGGBB, e.g. #B3261E"),
             PDF_NAME_PATTERN: _("a file name ending in .pdf, without folders"),
             DOCX_NAME_PATTERN: _("a file name ending in .docx, without folders"),
             VOLUME_SOURCE_PATTERN: _("a file name starting with “_” and ending in .md, without folders")}
    return forms.get(pattern, pattern)


def describe_error(error: dict) -> str:
    """One pydantic error as a sentence in the user's language: the key path, what was expected, what was
    received. Pydantic's own `msg` is English; it is used only for a type this schema cannot produce."""
    loc, kind = tuple(error["loc"]), error["type"]
    context, value = error.get("ctx") or {}, error.get("input")
    if "at" in context:  # a schema check that names the exact key below the field it validated
        loc = loc + tuple(context["at"])
    if "value" in context:  # and the value there
        value = context["value"]
    key = _key_path(loc)
    received = _show(value)
    if kind == "extra_forbidden":
        parent = _schema_at(loc[:-1])
        known = list(parent.model_fields) if isinstance(parent, type) and issubclass(parent, BaseModel) else []
        known = [name for name in known if name not in INTERNAL_FIELDS]
        close = difflib.get_close_matches(str(loc[-1]), known, n=1, cutoff=0.6)
        hint = (_("; did you mean {key}?").format(key=quote(close[0])) if close else
                _("; known keys: {keys}").format(keys=join_list(known)) if known else "")
        return _("{key}: unknown key").format(key=key) + hint
    if kind == "missing":
        return _("{key}: this key is required").format(key=key)
    if kind == "literal_error":
        allowed = join_list(quote(item) for item in _literal_values(_schema_at(loc))) or context.get("expected", "")
        message = _("expected one of {allowed}").format(allowed=allowed)
    elif kind == "not_one_of":
        where = _(" (the values of {key})").format(key=quote(context["key"])) if context.get("key") else ""
        message = _("expected one of {allowed}{where}").format(
            allowed=join_list(quote(item) for item in context["allowed"]), where=where)
    elif kind == "string_pattern_mismatch":
        message = _("expected {form}").format(form=_pattern_form(context.get("pattern", "")))
    elif kind == "string_type":
        message = _("expected text in quotes")
    elif kind in ("int_type", "int_parsing", "int_from_float"):
        message = _("expected a whole number")
    elif kind in ("bool_type", "bool_parsing"):
        message = _("expected true or false")
    elif kind == "list_type":
        message = _("expected a list in brackets, e.g. [\"a\", \"b\"]")
    elif kind in ("dict_type", "model_type", "model_attributes_type"):
        message = _("expected a table of keys")
    elif kind == "greater_than_equal":
        message = _("expected at least {limit}").format(limit=context["ge"])
    elif kind == "less_than_equal":
        message = _("expected at most {limit}").format(limit=context["le"])
    elif kind == "greater_than":
        message = _("expected more than {limit}").format(limit=context["gt"])
    elif kind == "less_than":
        message = _("expected less than {limit}").format(limit=context["lt"])
    elif kind == "too_short":
        message = _("expected at least {count} item(s)").format(count=context["min_length"])
    elif kind == "too_long":
        message = _("expected at most {count} item(s)").format(count=context["max_length"])
    elif kind == "string_too_short":
        message = _("expected text that is not empty")
    elif kind == "duplicate_item":
        message = _("{item} is listed twice").format(item=quote(context["item"]))
        received = None
    elif kind == "extra_field_is_known":
        message = _("{name} is a known field already; list only further fields here").format(
            name=quote(context["value"]))
        received = None
    elif kind == "unknown_rule":
        hint = _("; did you mean {name}?").format(name=quote(context["suggestion"])) if context["suggestion"] else ""
        message = _("{name} is not a rule code or name (`reportgen rules` lists them)").format(
            name=quote(context["name"])) + hint
        received = None
    elif kind == "section_title_empty":
        message = _("a section title needs words besides its numbering")
    elif kind == "section_name_taken":
        message = _("{name} already names section {section}; a heading can match only one").format(
            name=quote(context["value"]), section=quote(context["section"]))
        received = None
    else:  # not produced by this schema; still say where, and what was received
        message = _("invalid value ({kind})").format(kind=kind)
    if received is None:
        return _("{key}: {message}").format(key=key, message=message)
    return _("{key}: {message}; received {value}").format(key=key, message=message, value=received)


TOML_POSITION = re.compile(r"^(?P<reason>.*) \(at (?:line (?P<line>\d+), column (?P<column>\d+)|end of document)\)$",
                           re.S)


def _toml_key(text: str) -> str:
    """`('brand', 'fonts')` as tomllib writes a key, as `brand.fonts`."""
    try:
        parts = ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text
    return ".".join(map(str, parts)) if isinstance(parts, tuple) else str(parts)


def _toml_reasons() -> dict[str, str]:
    """tomllib's reasons that carry no detail, in the current language."""
    return {
        "Invalid value": _("not a valid value (text is written in quotes, e.g. \"A4\")"),
        "Invalid statement": _("expected a line `key = value` or a table heading `[name]`"),
        "Expected '=' after a key in a key/value pair": _("expected “=” after the key"),
        "Invalid initial character for a key part": _("a key cannot start with this character (write it in quotes)"),
        "Unterminated string": _("text is not closed by its quote"),
        "Unclosed array": _("a list is not closed by “]”"),
        "Unclosed inline table": _("an inline table is not closed by “}”"),
    }


def describe_toml_error(error: tomllib.TOMLDecodeError) -> str:
    """tomllib's error in the user's language: where (line, column) and what is wrong, by tomllib's wording
    (Python 3.11–3.13); an unknown wording is kept as it is."""
    match = TOML_POSITION.match(str(error))
    reason = match.group("reason") if match else str(error)
    argument = re.search(r" (\(.*\)|'.*'|\S+)$", reason)
    value = argument.group(1) if argument else ""
    if reason == "Cannot overwrite a value":
        reason = _("a key is given a value twice")
    elif reason.startswith("Cannot declare "):
        reason = _("table {key} is declared twice").format(key=quote(_toml_key(reason[15:-6])))
    elif reason.startswith(("Cannot mutate immutable namespace", "Cannot redefine namespace")):
        reason = _("{key} is already defined and cannot be extended here").format(key=quote(_toml_key(value)))
    elif reason.startswith("Duplicate inline table key"):
        reason = _("key {key} appears twice in the inline table").format(key=quote(ast.literal_eval(value)))
    elif reason in (plain := _toml_reasons()):
        reason = plain[reason]
    elif reason.startswith("Expected ']"):
        reason = _("expected {mark} at the end of the table heading").format(
            mark=quote("]]" if "']]'" in reason else "]"))
    elif reason == "Expected newline or end of document after a statement":
        reason = _("expected the end of the line after the value")
    elif reason.startswith(("Illegal character", "Found invalid character")):
        reason = _("character {char} is not allowed here").format(char=value)
    elif reason == "Unescaped '\\' in a string":
        reason = _("a backslash in text is written \\\\ (or use single quotes)")
    elif reason in ("Invalid date or datetime", "Invalid hex value",
                    "Escaped character is not a Unicode scalar value"):
        reason = _("not a valid value")
    elif reason.startswith("Expected "):
        reason = _("expected {text}").format(text=value)
    if match is None:
        return reason
    if match.group("line") is None:
        return _("at the end of the file: {reason}").format(reason=reason)
    return _("line {line}, column {column}: {reason}").format(line=match.group("line"), column=match.group("column"),
                                                              reason=reason)


INTERNAL_FIELDS = ("root", "path")
"""Fields of `Config` that `load_config` sets; a file may not."""


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
    except OSError as error:  # a directory, unreadable, …
        raise ConfigError(str(path), [describe_os_error(error)]) from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(str(path), [_("not valid TOML: {error}").format(error=describe_toml_error(error))]) from None
    except UnicodeDecodeError as error:
        raise ConfigError(str(path), [_("not valid TOML: {error}").format(error=_(
            "the file is not UTF-8 (byte {offset})").format(offset=error.start))]) from None
    problems = [describe_error({"loc": (name,), "type": "extra_forbidden", "input": data.pop(name)})
                for name in INTERNAL_FIELDS if name in data]
    try:
        config = Config.model_validate(data)
    except ValidationError as error:
        problems += [describe_error(item) for item in error.errors()]
    if problems:
        raise ConfigError(str(path), problems)
    return config.model_copy(update={"root": path.parent, "path": path})


def require_resources(config: Config, *, rendering: bool) -> None:
    """Raise ConfigError, naming each key, for what the configuration names that this machine lacks: a font
    family that is not installed (it would be replaced silently), the registry, and when `rendering`, the
    logo files and the templates directory (a missing logo would be left out silently)."""
    from .fonts import find_family

    problems = []
    for role, families in config.brand.fonts.model_dump().items():
        for family in families:
            if find_family(family) is None:
                problems.append(_("{key}: font family {family} is not installed (`reportgen doctor` lists the "
                                  "fonts)").format(key=f"brand.fonts.{role}", family=quote(family)))
    if not config.registry_path.is_file():  # every counselor and company would be unknown
        problems.append(_("{key}: file {path} does not exist").format(key="project.registry",
                                                                      path=config.registry_path))
    if rendering:
        for name in ("logo", "logo_raster"):
            relative = getattr(config.brand, name)
            if relative and not config.resolve(relative).is_file():
                problems.append(_("{key}: file {path} does not exist (write \"\" for no logo)").format(
                    key=f"brand.{name}", path=config.resolve(relative)))
        if not config.templates_dir.is_dir():
            problems.append(_("{key}: directory {path} does not exist").format(
                key="project.templates", path=config.templates_dir))
    if problems:
        raise ConfigError(str(config.path or config.root), problems)
