"""Settings shared by every deployment. The project is the one `reportgen` finds (REPORTGEN_CONFIG names its
reportgen.toml, otherwise the nearest one above the working directory); the state directory `<project>/.reportgen`
holds the SQLite database and the secret key unless DATABASE_URL and REPORTGEN_SECRET_KEY say otherwise."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import dj_database_url

import generator

CONFIG = generator.load_config(Path(os.environ["REPORTGEN_CONFIG"]).resolve()
                               if os.environ.get("REPORTGEN_CONFIG") else None)
STATE_DIR = Path(os.environ.get("REPORTGEN_STATE_DIR") or CONFIG.root / ".reportgen")
PACKAGE_DIR = Path(__file__).resolve().parent.parent


def _secret_key() -> str:
    """REPORTGEN_SECRET_KEY, or one generated on first start and kept (mode 0600) in the state directory."""
    if os.environ.get("REPORTGEN_SECRET_KEY"):
        return os.environ["REPORTGEN_SECRET_KEY"]
    path = STATE_DIR / "secret_key"
    try:
        return path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        STATE_DIR.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(50)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w", encoding="ascii") as handle:
            handle.write(key)
        return key


SECRET_KEY = _secret_key()
DEBUG = False
ALLOWED_HOSTS = [host for host in os.environ.get("REPORTGEN_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]").split(",")
                 if host]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "generator.web.apps.WorkspaceConfig",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "generator.web.middleware.content_security_policy",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "generator.web.middleware.language",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "generator.web.urls"
WSGI_APPLICATION = "generator.web.wsgi.application"

TEMPLATES = [
    {   # the workspace's pages: Jinja2, so that pybabel extracts their messages into the CLI's catalog
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": False,
        "OPTIONS": {"environment": "generator.web.i18n.environment",
                    "context_processors": ["generator.web.i18n.page_context"]},
    },
    {   # Django's admin
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {"context_processors": [
            "django.template.context_processors.request",
            "django.contrib.auth.context_processors.auth",
            "django.contrib.messages.context_processors.messages",
        ]},
    },
]

DATABASES = {"default": dj_database_url.parse(
    os.environ.get("DATABASE_URL") or f"sqlite:///{STATE_DIR / 'web.sqlite3'}", conn_max_age=60)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "workspace:login"
LOGIN_REDIRECT_URL = "workspace:reports"
LOGOUT_REDIRECT_URL = "workspace:login"

# Login attempts: at most this many failures per account and address in the window, then refused until it ends.
LOGIN_FAILURES_ALLOWED = 5
LOGIN_FAILURE_WINDOW = 15 * 60
CACHES = {"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "workspace_cache"}}

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
USE_I18N = True
TIME_ZONE = os.environ.get("TZ") or "Asia/Shanghai"
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = STATE_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
WHITENOISE_USE_FINDERS = True   # served from the package itself: no collectstatic step to forget

# Sessions and cookies: HttpOnly, SameSite, a working day long; Secure in production (behind TLS).
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 12 * 3600
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"   # nothing of the workspace is framed (previews are page images)

# Request size caps: a draft is at most the checker's limit; an image at most IMAGE_MAX_BYTES.
DATA_UPLOAD_MAX_MEMORY_SIZE = CONFIG.check.max_draft_bytes * 2 + 65536
FILE_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
IMAGE_MAX_BYTES = 8 * 1024 * 1024
IMAGE_MAX_PIXELS = 40_000_000

# The warm renderer pool of previews and downloads: processes, and how long one render may take.
PREVIEW_WORKERS = int(os.environ.get("REPORTGEN_PREVIEW_WORKERS", "2"))
PREVIEW_TIMEOUT = 60

# E-mail (notifications of submissions, returns and approvals): files in the state directory by default; SMTP
# when REPORTGEN_EMAIL_HOST is set (README, "E-mail"). Links in mails start with REPORTGEN_BASE_URL.
if os.environ.get("REPORTGEN_EMAIL_HOST"):
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = os.environ["REPORTGEN_EMAIL_HOST"]
    EMAIL_PORT = int(os.environ.get("REPORTGEN_EMAIL_PORT", "587"))
    EMAIL_HOST_USER = os.environ.get("REPORTGEN_EMAIL_USER", "")
    EMAIL_HOST_PASSWORD = os.environ.get("REPORTGEN_EMAIL_PASSWORD", "")
    EMAIL_USE_TLS = os.environ.get("REPORTGEN_EMAIL_TLS", "starttls") == "starttls"
    EMAIL_USE_SSL = os.environ.get("REPORTGEN_EMAIL_TLS", "starttls") == "ssl"
    EMAIL_TIMEOUT = 20
else:
    EMAIL_BACKEND = os.environ.get("REPORTGEN_EMAIL_BACKEND", "django.core.mail.backends.filebased.EmailBackend")
    EMAIL_FILE_PATH = STATE_DIR / "mail"
DEFAULT_FROM_EMAIL = os.environ.get("REPORTGEN_EMAIL_FROM", "reportgen@localhost")
REPORTGEN_BASE_URL = os.environ.get("REPORTGEN_BASE_URL", "http://127.0.0.1:8000")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {"django": {"handlers": ["console"], "level": "WARNING"}},
}
