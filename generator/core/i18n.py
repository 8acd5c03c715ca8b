"""User-facing language: gettext catalogs (Babel `.po` files) and the choice of language.

Messages are written in English in the code and translated through `generator/locale/<lang>/LC_MESSAGES/
reportgen.po`. Simplified Chinese is the default; English is chosen with `--lang en`, the configuration,
or an English locale in the environment (LC_ALL, LC_MESSAGES, LANG).
"""

from __future__ import annotations

import errno
import gettext
import hashlib
import io
import os
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache
from pathlib import Path

LOCALE_DIR = Path(__file__).parents[1] / "locale"
DOMAIN = "reportgen"
DEFAULT_LANGUAGE = "zh_CN"
SUPPORTED = ("zh_CN", "en")

_current: gettext.NullTranslations = gettext.NullTranslations()
_current_language = "en"
# A language for the current thread or task only (`messages_in`): a server answers each request in its own.
_in_context: ContextVar[tuple[str, gettext.NullTranslations] | None] = ContextVar("reportgen_messages", default=None)


@lru_cache(maxsize=None)
def _catalog(language: str) -> gettext.NullTranslations:
    """The catalog of `language`, compiled from its `.po` file once per version of that file: the compiled
    catalog is kept in the user cache (parsing the `.po` with Babel took a tenth of a second of every process)."""
    po_path = LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"
    try:
        source = po_path.read_bytes()
    except OSError:
        return gettext.NullTranslations()
    from .usercache import recall, remember

    name = f"catalog-{language}-{hashlib.sha256(source).hexdigest()[:16]}.mo"
    compiled = recall(name)  # verified: an entry that is not what its name says is compiled again
    if compiled is not None:
        try:
            return gettext.GNUTranslations(io.BytesIO(compiled))
        except (OSError, ValueError, UnicodeDecodeError, IndexError):
            from .verify import discard

            discard(name, "not a message catalog")
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    buffer = io.BytesIO()
    write_mo(buffer, read_po(io.BytesIO(source), locale=language))
    compiled = buffer.getvalue()
    remember(name, compiled)
    return gettext.GNUTranslations(io.BytesIO(compiled))


def normalise_language(value: str | None) -> str | None:
    """Map `en`, `en_US.UTF-8`, `zh`, `zh-CN` … to a supported language, or None when unknown."""
    if not value:
        return None
    code = value.split(".")[0].split("@")[0].replace("-", "_").lower()
    if code.startswith("en"):
        return "en"
    if code.startswith("zh"):
        return "zh_CN"
    return None


def language_from_environment() -> str | None:
    for variable in ("LC_ALL", "LC_MESSAGES", "LANG"):
        language = normalise_language(os.environ.get(variable))
        if language:
            return language
    return None


def set_language(language: str | None) -> str:
    """Select the language for all later messages; returns the language in force."""
    global _current, _current_language
    chosen = normalise_language(language) or DEFAULT_LANGUAGE
    _current_language = chosen
    _current = gettext.NullTranslations() if chosen == "en" else _catalog(chosen)
    return chosen


@contextmanager
def messages_in(language: str | None):
    """Messages made inside the block, in this thread (or asyncio task) only, are in `language`; the
    process's language (`set_language`) is untouched, so concurrent requests each get their own."""
    chosen = normalise_language(language) or DEFAULT_LANGUAGE
    token = _in_context.set((chosen, gettext.NullTranslations() if chosen == "en" else _catalog(chosen)))
    try:
        yield chosen
    finally:
        _in_context.reset(token)


def current_language() -> str:
    override = _in_context.get()
    return override[0] if override else _current_language


def _(message: str) -> str:
    """Translate `message` into the current language."""
    override = _in_context.get()
    return (override[1] if override else _current).gettext(message)


def ngettext(singular: str, plural: str, count: int) -> str:
    override = _in_context.get()
    return (override[1] if override else _current).ngettext(singular, plural, count)


def in_every_language(message: str) -> tuple[str, ...]:
    """`message` as each supported language writes it: to recognise text this program wrote, in whichever
    language it was then using."""
    return tuple(dict.fromkeys(message if language == "en" else _catalog(language).gettext(message)
                               for language in SUPPORTED))


def N_(message: str) -> str:
    """Mark a message for extraction without translating it here (it is translated where it is shown)."""
    return message


# The messages argparse shows users of this command line, exactly as the running Python's argparse writes
# them (tests/test_config_messages.py checks that they still are). argparse translates them with gettext's
# global domain; `route_argparse_messages` makes it use this module's catalog instead.
ARGPARSE_MESSAGES = (
    N_("usage: "), N_("positional arguments"), N_("options"), N_("show this help message and exit"),
    N_("argument %(argument_name)s: %(message)s"), N_("unrecognized arguments: %s"),
    N_("ambiguous option: %(option)s could match %(matches)s"),
    N_("invalid choice: %(value)r (choose from %(choices)s)"), N_("invalid %(type)s value: %(value)r"),
    N_("expected one argument"), N_("expected at most one argument"), N_("expected at least one argument"),
    N_("the following arguments are required: %s"), N_("one of the arguments %s is required"),
    N_("not allowed with argument %s"), N_("ignored explicit argument %r"),
    N_("unknown parser %(parser_name)r (choices: %(choices)s)"), N_("%(prog)s: error: %(message)s\n"),
)


def route_argparse_messages() -> None:
    """Have argparse's usage lines, help headings and errors follow the language chosen here.

    argparse looks each message up through `gettext.gettext` (imported into its module as `_`), that is in
    gettext's process-wide default domain and the environment's locale; pointing those two names at this
    module's functions puts its messages in this catalog, in the language `set_language` chose."""
    import argparse

    argparse._ = _
    argparse.ngettext = ngettext


def describe_os_error(error: OSError) -> str:
    """Why a file could not be read, in the current language (the system's `strerror` is English)."""
    if isinstance(error, FileNotFoundError):
        return _("the file does not exist")
    if isinstance(error, IsADirectoryError):
        return _("it is a directory, not a file")
    if isinstance(error, PermissionError):
        return _("permission denied")
    if isinstance(error, (FileExistsError, NotADirectoryError)):
        return _("a file is in the way where a directory is needed")
    reasons = {errno.ENOSPC: _("no space left on the device"), errno.EROFS: _("the file system is read-only"),
               errno.EDQUOT: _("the disk quota is exhausted"), errno.ELOOP: _("too many levels of symbolic links"),
               errno.ENAMETOOLONG: _("the file name is too long"), errno.EIO: _("input/output error")}
    return reasons.get(error.errno) or error.strerror or str(error)


def join_list(items) -> str:
    """Join names the way the current language lists them (、 in Chinese)."""
    separator = ", " if current_language() == "en" else "、"
    return separator.join(str(item) for item in items)


def quote(text: object) -> str:
    """Quote a name inside a message (“…” in Chinese, “…” in English too)."""
    return f"“{text}”"


set_language(DEFAULT_LANGUAGE)
