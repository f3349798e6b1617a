"""Response headers every page carries, and the sign-in settings."""

from __future__ import annotations

import functools
from urllib.parse import urlsplit

from flask import Flask, Response, current_app, g, url_for
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import URLSafeTimedSerializer

from pb.core.extensions import login_manager

# No inline script or style anywhere: templates load /static files only.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "object-src 'none'",
    ]
)


def _tile_origin(tile_url: str) -> str:
    """The map tile server's origin (PB_TILE_URL), which pages may load images from."""
    parts = urlsplit(tile_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return ""
    host = parts.netloc.replace("{s}", "*")
    return f" {parts.scheme}://{host}"


@functools.cache
def _security_headers(
    env_name: str | None, hsts: int | None, tile_url: str
) -> tuple[tuple[str, str, str], ...]:
    """The headers every answer carries (name, its lower case, value) for these settings: worked
    out once for each, not on every answer."""
    headers: list[tuple[str, str]] = []
    if env_name == "production" and hsts:
        headers.append(("Strict-Transport-Security", f"max-age={int(hsts)}; includeSubDomains"))
    policy = CONTENT_SECURITY_POLICY.replace(
        "img-src 'self' data:", "img-src 'self' data:" + _tile_origin(tile_url)
    )
    headers += [
        ("Cross-Origin-Opener-Policy", "same-origin"),
        ("Content-Security-Policy", policy),
        ("X-Frame-Options", "DENY"),
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "same-origin"),
        ("Permissions-Policy", "geolocation=(), camera=(), microphone=()"),
    ]
    return tuple((name, name.lower(), value) for name, value in headers)


def _set_security_headers(response: Response) -> Response:
    # A header a view set itself stays (setdefault's meaning), looked up in one pass.
    present = {name.lower() for name, _value in response.headers.items()}
    config = current_app.config
    settings = (
        config.get("ENV_NAME"),
        config.get("PB_HSTS_SECONDS"),
        config.get("PB_TILE_URL") or "",
    )
    for name, lowered, value in _security_headers(*settings):
        if lowered not in present:
            response.headers.add(name, value)
    return response


class SessionCookies(SecureCookieSessionInterface):
    """Flask's signed session cookie, with its serializer built once per secret key rather than
    twice per request (reading the cookie and writing it back)."""

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        keys = (app.secret_key, tuple(app.config["SECRET_KEY_FALLBACKS"] or ()))
        cached = app.extensions.get("pb.session_serializer")
        if cached is None or cached[0] != keys:
            cached = (keys, super().get_signing_serializer(app))
            app.extensions["pb.session_serializer"] = cached
        serializer: URLSafeTimedSerializer | None = cached[1]
        return serializer


def _forget_cached_user() -> None:
    # Each request loads its account from its own cookies. (In production `g` is new for every
    # request anyway; where one app context outlives requests, as in tests, Flask-Login's cached
    # user of an earlier request must not answer for this one.)
    g.pop("_login_user", None)


def init_app(app: Flask) -> None:
    proxies = int(app.config.get("PB_TRUSTED_PROXIES") or 0)
    if proxies > 0:
        # Behind N proxies: the client's address is the N-th from the right in X-Forwarded-For;
        # the rate limits and the anomaly report count on it.
        from werkzeug.middleware.proxy_fix import ProxyFix

        # Flask's documented way to add WSGI middleware; Flask types wsgi_app as a method only.
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies, x_prefix=proxies
        )
    app.session_interface = SessionCookies()
    app.after_request(_set_security_headers)
    app.before_request(_forget_cached_user)
    login_manager.login_view = "auth.login"
    login_manager.session_protection = "strong"

    from flask_babel import lazy_gettext

    login_manager.login_message = lazy_gettext("Please sign in to continue.")
    login_manager.login_message_category = "info"


def safe_redirect_target(target: str | None) -> str:
    """Only a path on this site: an open redirect would let others borrow the city's address."""
    if not target:
        return url_for("public.home")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return url_for("public.home")
    return target
