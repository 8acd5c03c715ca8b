"""Every user-facing message (Python and templates) has a Simplified Chinese translation."""

from __future__ import annotations

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from generator.core.i18n import LOCALE_DIR

from .conftest import REPO


def _extracted() -> set[str]:
    method_map = [("generator/**.py", "python"), ("templates/**.j2", "jinja2"),
                  ("generator/web/templates/**.j2", "jinja2")]
    options = {"templates/**.j2": {"extensions": "jinja2.ext.i18n"},
               "generator/web/templates/**.j2": {"extensions": "jinja2.ext.i18n"}}
    messages = set()
    for _filename, _lineno, message, _comments, _context in extract_from_dir(
            str(REPO), method_map=method_map, options_map=options, keywords={"_": None, "N_": None}):
        if isinstance(message, str):
            messages.add(message)
    assert len(messages) > 150  # the extraction itself works
    return messages


def test_every_message_has_a_chinese_translation():
    with (LOCALE_DIR / "zh_CN" / "LC_MESSAGES" / "reportgen.po").open("rb") as handle:
        catalog = read_po(handle)
    translated = {message.id for message in catalog if message.id and message.string}
    missing = sorted(_extracted() - translated)
    assert missing == []


def test_english_is_the_source_and_chinese_the_default():
    from generator.core.i18n import _, set_language

    set_language("en")
    assert _("validate drafts") == "validate drafts"
    set_language(None)
    assert _("validate drafts") == "检查草稿"


def test_every_rule_is_documented():
    from generator.core.codes import CODES

    documented = (REPO / "docs" / "rules.md").read_text(encoding="utf-8")
    for code, rule in CODES.items():
        assert f"| {code} | {rule.name} |" in documented, code
