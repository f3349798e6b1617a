"""Settings from the environment, with development defaults that work on a fresh machine.

Production (`PB_ENV=production`) refuses to start with the development secrets: a leaked default
SECRET_KEY forges sessions, and a default ID pepper would let anyone recompute voter keys.
"""

from __future__ import annotations

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = Path(os.environ.get("PB_INSTANCE_DIR", BASE_DIR / "instance"))

DEV_SECRET_KEY = "dev-secret-key-not-for-production"
DEV_ID_PEPPER = "dev-id-pepper-not-for-production"


class ConfigurationError(RuntimeError):
    """The environment does not describe a safe configuration."""


def normalise_database_url(url: str) -> str:
    # Hosting platforms hand out postgres:// URLs; SQLAlchemy wants the psycopg 3 driver named.
    if url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgres://")
    elif url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return url


def _database_url() -> str:
    return normalise_database_url(
        os.environ.get("DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'pb.sqlite3'}")
    )


class Config:
    ENV_NAME = os.environ.get("PB_ENV", "development")
    SECRET_KEY = os.environ.get("SECRET_KEY", DEV_SECRET_KEY)
    ID_PEPPER = os.environ.get("PB_ID_PEPPER", DEV_ID_PEPPER)
    SQLALCHEMY_DATABASE_URI = _database_url()
    REDIS_URL = os.environ.get("REDIS_URL")
    RATELIMIT_STORAGE_URI = os.environ.get("REDIS_URL") or "memory://"
    RATELIMIT_HEADERS_ENABLED = True
    # Redis away: limits go on in this process's memory (logged by `flask-limiter`), never a 500.
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    RATELIMIT_SWALLOW_ERRORS = True
    # How many reverse proxies in front of the app set X-Forwarded-For/-Proto/-Host (ProxyFix):
    # 0 (no proxy) trusts no such header, so nobody can pick the address their limits count on.
    PB_TRUSTED_PROXIES = int(os.environ.get("PB_TRUSTED_PROXIES", "0"))
    BABEL_DEFAULT_LOCALE = "cs"
    BABEL_DEFAULT_TIMEZONE = os.environ.get("PB_TIMEZONE", "Europe/Prague")
    LANGUAGES = ("cs", "en", "pl", "sk")
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = os.environ.get("PB_ENV") == "production"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = os.environ.get("PB_ENV") == "production"
    REMEMBER_COOKIE_DURATION = 60 * 60 * 24 * int(os.environ.get("PB_REMEMBER_DAYS", "14"))
    # Strict-Transport-Security max-age in production (seconds); 0 leaves the header out.
    PB_HSTS_SECONDS = int(os.environ.get("PB_HSTS_SECONDS", str(365 * 24 * 3600)))
    WTF_CSRF_TIME_LIMIT = None
    MAX_CONTENT_LENGTH = 16 * 1024 * 1024
    CITY_NAME = os.environ.get("PB_CITY_NAME", "Statutární město Liberec")
    # Proposals' attachments: kept outside the web root, served only through the app.
    PB_ATTACHMENT_DIR = os.environ.get("PB_ATTACHMENT_DIR", str(INSTANCE_DIR / "attachments"))
    PB_MAX_ATTACHMENT_BYTES = int(os.environ.get("PB_MAX_ATTACHMENT_BYTES", 5 * 1024 * 1024))
    PB_MAX_ATTACHMENTS = int(os.environ.get("PB_MAX_ATTACHMENTS", 10))
    # Messages to people: by SMTP when a host is set, otherwise written to the log.
    # The site's address, for links in messages sent by jobs outside a request (unsubscribe links).
    PB_PUBLIC_URL = os.environ.get("PB_PUBLIC_URL", "http://127.0.0.1:5000")
    # Photos of proposals and of funded projects' milestones, re-encoded without metadata.
    PB_PHOTO_DIR = os.environ.get("PB_PHOTO_DIR", str(INSTANCE_DIR / "photos"))
    PB_MAX_PHOTO_BYTES = int(os.environ.get("PB_MAX_PHOTO_BYTES", 10 * 1024 * 1024))
    # The map tiles' address ({z}/{x}/{y}); OpenStreetMap unless the city runs its own.
    PB_TILE_URL = os.environ.get("PB_TILE_URL", "https://tile.openstreetmap.org/{z}/{x}/{y}.png")
    PB_TILE_ATTRIBUTION = os.environ.get("PB_TILE_ATTRIBUTION", "© OpenStreetMap contributors")

    PB_SMTP_HOST = os.environ.get("PB_SMTP_HOST")
    PB_SMTP_PORT = int(os.environ.get("PB_SMTP_PORT", 587))
    PB_SMTP_USER = os.environ.get("PB_SMTP_USER")
    PB_SMTP_PASSWORD = os.environ.get("PB_SMTP_PASSWORD")
    PB_SMTP_STARTTLS = os.environ.get("PB_SMTP_STARTTLS", "1") != "0"
    PB_MAIL_FROM = os.environ.get("PB_MAIL_FROM", "participace@example.cz")
    # eID by OpenID Connect (NIA, login.gov.pl); without an issuer eID is off. The ID number is
    # read from the ID token's claim PB_OIDC_ID_CLAIM and keyed like the register's.
    PB_OIDC_ISSUER = os.environ.get("PB_OIDC_ISSUER")
    PB_OIDC_CLIENT_ID = os.environ.get("PB_OIDC_CLIENT_ID")
    PB_OIDC_CLIENT_SECRET = os.environ.get("PB_OIDC_CLIENT_SECRET")
    PB_OIDC_ID_CLAIM = os.environ.get("PB_OIDC_ID_CLAIM", "national_id")
    PB_OIDC_SCOPE = os.environ.get("PB_OIDC_SCOPE", "openid profile")


def check_production_safety(config: dict) -> None:
    """Refuse to run in production with secrets anybody can read in this repository."""
    if config.get("ENV_NAME") != "production":
        return
    if config.get("SECRET_KEY") in (None, "", DEV_SECRET_KEY):
        raise ConfigurationError("SECRET_KEY must be set to a private value in production.")
    if config.get("ID_PEPPER") in (None, "", DEV_ID_PEPPER):
        raise ConfigurationError("PB_ID_PEPPER must be set to a private value in production.")
