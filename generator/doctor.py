"""`reportgen doctor`: what this machine has that reportgen needs, with a one-page smoke render."""

from __future__ import annotations

import io
import platform
from dataclasses import dataclass

from generator.core.config import Config
from generator.core.fonts import find_family
from generator.core.i18n import _


@dataclass(frozen=True)
class Finding:
    name: str
    ok: bool
    detail: str
    required: bool = True


def _versions() -> list[Finding]:
    from importlib.metadata import version

    import docx  # noqa: F401
    import markdown
    import weasyprint

    findings = [Finding("Python", True, platform.python_version()),
                Finding("WeasyPrint", True, weasyprint.__version__),
                Finding("python-docx", True, version("python-docx")),
                Finding("Python-Markdown", True, markdown.__version__)]
    from generator.render._weasyprint_private import native_libraries

    harfbuzz, harfbuzz_subset, pango = native_libraries()

    number = pango.pango_version()
    pango_version = f"{number // 10000}.{number // 100 % 100}.{number % 100}"
    findings.append(Finding("Pango", number >= 14400, pango_version))
    subset_ok = bool(harfbuzz_subset) and bool(harfbuzz.hb_version_atleast(4, 1, 0))
    findings.append(Finding(_("HarfBuzz subsetter"), subset_ok,
                            _("found") if subset_ok else _("missing: install libharfbuzz-subset0 (font subsetting "
                                                           "of CJK fonts is ~8x slower without it)")))
    return findings


def _fonts(config: Config) -> list[Finding]:
    findings = []
    for role, families in config.brand.font_families().items():
        for family in families:
            face = find_family(family)
            findings.append(Finding(_("font {role}: {family}").format(role=role, family=family), face is not None,
                                    str(face.path) if face else _("not installed")))
    return findings


def _smoke_render(config: Config) -> Finding:
    try:
        import weasyprint
        from pypdf import PdfReader

        family = config.brand.fonts.body[0]
        html = f'<html lang="zh-CN"><body style="font-family: \'{family}\'">党建辅导员制 Smoke test 2022</body></html>'
        pdf = weasyprint.HTML(string=html).write_pdf()
        reader = PdfReader(io.BytesIO(pdf))
        text = reader.pages[0].extract_text()
        fonts = set()
        for page in reader.pages:
            for font in (page.get("/Resources", {}).get("/Font", {}) or {}).values():
                fonts.add(str(font.get_object().get("/BaseFont", "")))
        from generator.render.pdf import _font_key

        ok = "党建辅导员制" in text and any(_font_key(name).startswith(_font_key(family)) for name in fonts)
        return Finding(_("one-page smoke render"), ok, _("{pages} page, fonts: {fonts}").format(
            pages=len(reader.pages), fonts=", ".join(sorted(fonts)) or "-"))
    except Exception as error:  # the doctor reports, it does not crash
        return Finding(_("one-page smoke render"), False, f"{type(error).__name__}: {error}")


def run_doctor(config: Config) -> list[Finding]:
    try:
        findings = _versions()
    except Exception as error:
        return [Finding(_("libraries"), False, f"{type(error).__name__}: {error}")]
    findings += _fonts(config)
    findings.append(_smoke_render(config))
    return findings
