"""Settings, driven by the environment.

DATABASE_URL   default sqlite:///<repo>/rongcuo.sqlite3 (the embedded default); postgres://… for PostgreSQL
RONGCUO_DEBUG  1 for development (default 1 unless RONGCUO_PRODUCTION=1)
RONGCUO_SECRET_KEY, RONGCUO_ALLOWED_HOSTS (comma-separated), RONGCUO_MEDIA_ROOT, RONGCUO_PACKS
RONGCUO_CACHE_URL  redis://host:port/db: one cache for every worker (throttles, sessions); see below
RONGCUO_EMAIL_*, RONGCUO_TASKS, RONGCUO_SITE_URL  notification e-mail and its background worker; see below
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parents[3]
PRODUCTION = os.environ.get("RONGCUO_PRODUCTION") == "1"
DEBUG = os.environ.get("RONGCUO_DEBUG", "0" if PRODUCTION else "1") == "1"
SECRET_KEY = os.environ.get("RONGCUO_SECRET_KEY") or ("" if PRODUCTION else "dev-only-not-secret-rongcuo")
if not SECRET_KEY:
    raise RuntimeError("RONGCUO_SECRET_KEY must be set when RONGCUO_PRODUCTION=1")
ALLOWED_HOSTS = [h for h in os.environ.get("RONGCUO_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",") if h]

INSTALLED_APPS = [
    "ninja",  # serves its Swagger UI from local static files, not a CDN
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rongcuo.audit",
    "rongcuo.workdays",
    "rongcuo.registry",
    "rongcuo.policies",
    "rongcuo.cases",
    "rongcuo.review",
    "rongcuo.funds",
    "rongcuo.monitoring",
    "rongcuo.notifications",
    "django_tasks",
    "django_tasks_db",  # the background worker's queue, in this database (`manage.py db_worker`)
    "rongcuo.demo",
    "rongcuo.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "rongcuo.web.middleware.ContentSecurityPolicyMiddleware",
    "rongcuo.web.middleware.NulCharacterMiddleware",  # PostgreSQL cannot store U+0000; refuse it everywhere alike
    "django.contrib.sessions.middleware.SessionMiddleware",
    "rongcuo.web.middleware.ChineseFirstLocaleMiddleware",  # Chinese unless the user picks English
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "rongcuo.web.urls"
WSGI_APPLICATION = "rongcuo.web.wsgi.application"

# The pages are Jinja2 templates (<app>/jinja2/, rongcuo.web.jinja: compiled to Python, faster to render than
# Django's engine); Django's engine stays for the admin's own templates.
CONTEXT_PROCESSORS = [
    "django.contrib.auth.context_processors.auth",
    "django.contrib.messages.context_processors.messages",
    "django.template.context_processors.i18n",
    "rongcuo.web.context.navigation",
]
TEMPLATES = [
    {
        "BACKEND": "rongcuo.web.jinja.Jinja2",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {"environment": "rongcuo.web.jinja.environment", "context_processors": CONTEXT_PROCESSORS},
    },
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {"context_processors": ["django.template.context_processors.request", *CONTEXT_PROCESSORS]},
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'rongcuo.sqlite3'}", conn_max_age=60,
    )
}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # A transaction takes SQLite's write lock when it begins (IMMEDIATE), so two writers queue for up to `timeout`
    # seconds; with SQLite's default (DEFERRED) two transactions that read and then write fail at once with
    # "database is locked". The write-ahead log lets pages read while one writes.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        timeout=20, transaction_mode="IMMEDIATE", init_command="PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;")
elif os.environ.get("RONGCUO_DB_PREPARE", "1") != "0":
    # PostgreSQL: the parameters travel apart from the query (psycopg 3's server-side binding), and a query a
    # connection has run 5 times is kept prepared on it, so PostgreSQL no longer parses and plans it on every request
    # (the case page's own query: 2.7 -> 1.6 ms). Django leaves both off because a pooler in transaction mode
    # (PgBouncer) cannot keep prepared statements: behind one, set RONGCUO_DB_PREPARE=0. After a migration that
    # changes a table, restart the server (its connections' prepared plans would no longer match).
    DATABASES["default"].setdefault("OPTIONS", {}).update(server_side_binding=True, prepare_threshold=5)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "start"
LOGOUT_REDIRECT_URL = "home"

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
MEDIA_ROOT = Path(os.environ.get("RONGCUO_MEDIA_ROOT", BASE_DIR / "media"))
MEDIA_URL = "media/"

# Evidence uploads (证据材料): what is accepted, and how large.
EVIDENCE_MAX_BYTES = int(os.environ.get("RONGCUO_EVIDENCE_MAX_BYTES", 20 * 1024 * 1024))
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# Deadlines: how many working days before a due date a deadline counts as "due soon".
DUE_SOON_WORKING_DAYS = int(os.environ.get("RONGCUO_DUE_SOON_WORKING_DAYS", 5))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}

# The cache holds the login-failure counts, the objection rate limit and a few short-lived page helpers.
# RONGCUO_CACHE_URL (redis://host:port/db) makes it one cache shared by every worker process, so the limits
# count across workers and sessions are read from the cache before the database (cached_db). Without it each
# process keeps its own in-memory cache: right for `dev.py run` and the tests, and `check --deploy` warns
# (rongcuo.W001) that the limits then count per worker.
CACHE_URL = os.environ.get("RONGCUO_CACHE_URL", "")
if CACHE_URL:
    if not CACHE_URL.startswith(("redis://", "rediss://", "unix://")):
        raise ImproperlyConfigured(
            f"RONGCUO_CACHE_URL must start with redis://, rediss:// or unix:// (a Redis server), got {CACHE_URL!r} "
            "/ RONGCUO_CACHE_URL 须为 Redis 地址（redis://、rediss:// 或 unix://）")
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL,
                          "KEY_PREFIX": os.environ.get("RONGCUO_CACHE_PREFIX", "rongcuo")}}
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

# Behind reverse proxies (nginx, a load balancer): how many of them stand in front of the server. Then the client's
# address is the one the outermost proxy saw (X-Forwarded-For, counted from the right: common.security.client_address,
# what login throttling and the objection limit count per address), and a request the proxy received over HTTPS is
# secure (X-Forwarded-Proto: https), so the HTTPS redirect does not loop. The proxies must set both headers.
_hops = os.environ.get("RONGCUO_PROXY_HOPS", "0")
if not _hops.isdigit():
    raise ImproperlyConfigured(
        f"RONGCUO_PROXY_HOPS must be a whole number of 0 or more (the reverse proxies in front of the server), got "
        f"{_hops!r} / RONGCUO_PROXY_HOPS 须为不小于 0 的整数（服务器前的反向代理层数）")
RONGCUO_PROXY_HOPS = int(_hops)
if RONGCUO_PROXY_HOPS:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

AUTHENTICATION_BACKENDS = ["rongcuo.common.security.ThrottledModelBackend"]
# The audit trail (rongcuo.audit.anchor): the key each event's MAC is made with (default: derived from SECRET_KEY for
# this purpose only; set it, and keep it out of the database and its backups), and the directory the chain's head
# and checkpoints are anchored in (writable by the server, not by the database's account; empty switches it off).
RONGCUO_AUDIT_KEY = os.environ.get("RONGCUO_AUDIT_KEY", "")
RONGCUO_AUDIT_ANCHOR_DIR = os.environ.get("RONGCUO_AUDIT_ANCHOR_DIR", str(BASE_DIR / "var" / "audit"))
# The key backups are signed with (HMAC-SHA256; `manage.py backup` / `restore`): keep it apart from the database.
# Without it, a key derived from SECRET_KEY for this purpose only.
RONGCUO_BACKUP_KEY = os.environ.get("RONGCUO_BACKUP_KEY", "")
LOGIN_FAILURE_LIMIT = int(os.environ.get("RONGCUO_LOGIN_FAILURE_LIMIT", 5))
LOGIN_FAILURE_WINDOW = int(os.environ.get("RONGCUO_LOGIN_FAILURE_WINDOW", 900))  # seconds
# Attempts from one address whatever the username (password spraying), in the same window.
LOGIN_ADDRESS_FAILURE_LIMIT = int(os.environ.get("RONGCUO_LOGIN_ADDRESS_FAILURE_LIMIT", 30))

# Content-Security-Policy: everything from this origin; inline styles allowed (server-rendered pages).
RONGCUO_CSP = os.environ.get(
    "RONGCUO_CSP",
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "font-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'self'; object-src 'none'")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
WHITENOISE_USE_FINDERS = True  # the app's own static files are served without a collectstatic step
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise warns when it is missing

SESSION_COOKIE_SECURE = PRODUCTION
CSRF_COOKIE_SECURE = PRODUCTION
SECURE_HSTS_SECONDS = int(os.environ.get("RONGCUO_HSTS_SECONDS", 31536000 if PRODUCTION else 0))
SECURE_HSTS_INCLUDE_SUBDOMAINS = os.environ.get("RONGCUO_HSTS_SUBDOMAINS", "1") == "1"
SECURE_HSTS_PRELOAD = os.environ.get("RONGCUO_HSTS_PRELOAD", "1" if PRODUCTION else "0") == "1"
SECURE_SSL_REDIRECT = PRODUCTION and os.environ.get("RONGCUO_SSL_REDIRECT", "1") == "1"

# Notifications (rongcuo.notifications): the in-app inbox row is written with the change; its e-mail is sent after the
# transaction commits by a background task. RONGCUO_TASKS=database (the default) queues tasks in this database for
# `manage.py db_worker` (`dev.py run` starts one beside the server; production runs it as its own process: README,
# "Operating it"); RONGCUO_TASKS=immediate runs them in the process that queued them (the tests).
_tasks = os.environ.get("RONGCUO_TASKS", "database")
if _tasks not in ("database", "immediate"):
    raise ImproperlyConfigured(f"RONGCUO_TASKS must be database or immediate, got {_tasks!r} / "
                               "RONGCUO_TASKS 须为 database 或 immediate")
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend" if _tasks == "database"
                     else "django_tasks.backends.immediate.ImmediateBackend", "QUEUES": ["default"]}}
# E-mail through SMTP when RONGCUO_EMAIL_HOST is set; otherwise each message is written as a file into
# RONGCUO_EMAIL_FILE_DIR (default var/mail/ in the checkout), so that nothing fails where no mail server is
# configured (`dev.py run`), and `check --deploy` warns (rongcuo.W002).
EMAIL_HOST = os.environ.get("RONGCUO_EMAIL_HOST", "")
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = os.environ.get("RONGCUO_EMAIL_FILE_DIR", str(BASE_DIR / "var" / "mail"))
EMAIL_PORT = int(os.environ.get("RONGCUO_EMAIL_PORT", 25))
EMAIL_HOST_USER = os.environ.get("RONGCUO_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("RONGCUO_EMAIL_PASSWORD", "")
EMAIL_USE_TLS = os.environ.get("RONGCUO_EMAIL_TLS", "0") == "1"  # STARTTLS (usually port 587)
EMAIL_USE_SSL = os.environ.get("RONGCUO_EMAIL_SSL", "0") == "1"  # implicit TLS (usually port 465)
EMAIL_TIMEOUT = int(os.environ.get("RONGCUO_EMAIL_TIMEOUT", 20))  # seconds; a mail server that hangs is a failure
DEFAULT_FROM_EMAIL = os.environ.get("RONGCUO_EMAIL_FROM", "容错平台 Rongcuo <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# How often and how far apart a failed e-mail is tried again: attempt n+1 waits BASE × 4^(n-1) seconds
# (1 min, 4 min, 16 min, about 1 h, 4 h with the defaults); after the last it stays on record as failed, shown to
# administrators, until `manage.py notifications_deliver --failed` tries it again.
NOTIFY_MAIL_MAX_ATTEMPTS = int(os.environ.get("RONGCUO_MAIL_MAX_ATTEMPTS", 6))
NOTIFY_MAIL_RETRY_SECONDS = int(os.environ.get("RONGCUO_MAIL_RETRY_SECONDS", 60))
# The site's address as people reach it, for the links in e-mail.
SITE_URL = os.environ.get("RONGCUO_SITE_URL", "http://127.0.0.1:8000").rstrip("/")
