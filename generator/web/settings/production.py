"""Production: behind a TLS-terminating proxy that sets X-Forwarded-Proto. `python -m generator.web check
--deploy` is clean with these settings. REPORTGEN_ALLOWED_HOSTS names the public host(s); DATABASE_URL the
PostgreSQL database; REPORTGEN_SECRET_KEY the key (else one kept in the state directory)."""

from .base import *  # noqa: F403

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = 365 * 24 * 3600
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_NAME = "__Secure-sessionid"
CSRF_COOKIE_NAME = "__Secure-csrftoken"
