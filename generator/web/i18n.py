"""The workspace's messages, in the request's language, from the CLI's catalog (`generator/locale/…/reportgen.po`).

Python code writes `_("English message")`; templates write `{{ _("English message") }}`. Both are extracted by
pybabel (babel.cfg) into the one catalog, and tests/test_i18n.py checks every message has its translation."""

from __future__ import annotations

from django.templatetags.static import static
from django.urls import reverse
from django.utils import translation
from jinja2 import Environment

import generator


def current_language() -> str:
    return "en" if (translation.get_language() or "").startswith("en") else "zh_CN"


def _(message: str) -> str:
    return generator.translation(current_language()).gettext(message)


def ngettext(singular: str, plural: str, count: int) -> str:
    return generator.translation(current_language()).ngettext(singular, plural, count)


def environment(**options) -> Environment:
    options["autoescape"] = True
    options["extensions"] = [*options.get("extensions", ()), "jinja2.ext.i18n"]
    env = Environment(**options)
    env.install_gettext_callables(_, ngettext, newstyle=True)
    env.globals.update(static=static, url=lambda name, *args: reverse(name, args=args),
                       language=current_language)
    return env


def page_context(request) -> dict:
    """What every page's frame shows: the user and their roles (Django's error pages included)."""
    from . import permissions

    return {"user": request.user, "roles": permissions.roles(request.user),
            "may_compile": permissions.can_for_year(request.user, "compile"),
            "may_board": permissions.can(request.user, "board", ()),
            "may_audit": permissions.can(request.user, "audit", ())}
