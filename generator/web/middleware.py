"""The workspace's own middleware: the Content-Security-Policy, and the language of each request."""

from __future__ import annotations

import secrets

from django.utils import translation

import generator

# No inline script, nothing from another origin; page images come from the workspace itself. The editor's own
# style elements (CodeMirror's) carry the response's nonce, which the page hands CodeMirror in a meta element.
CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'", "script-src 'self'", "style-src 'self' 'nonce-{nonce}'", "img-src 'self' data: blob:",
    "object-src 'none'", "frame-src 'none'", "connect-src 'self'", "font-src 'self'", "base-uri 'none'",
    "form-action 'self'", "frame-ancestors 'none'",
])
LANGUAGE_COOKIE = "reportgen_lang"
DJANGO_LANGUAGE = {"zh_CN": "zh-hans", "en": "en"}


def content_security_policy(get_response):
    def middleware(request):
        request.csp_nonce = secrets.token_urlsafe(16)
        response = get_response(request)
        response.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY.format(nonce=request.csp_nonce))
        return response
    return middleware


def language(get_response):
    """Simplified Chinese unless the user chose English (a cookie set by the language switch)."""
    def middleware(request):
        chosen = "en" if request.COOKIES.get(LANGUAGE_COOKIE) == "en" else "zh_CN"
        request.reportgen_language = chosen
        with translation.override(DJANGO_LANGUAGE[chosen]), generator.messages_in(chosen):
            response = get_response(request)   # the library's messages (diagnostics) in that language too
        response.headers.setdefault("Content-Language", DJANGO_LANGUAGE[chosen])
        return response
    return middleware
