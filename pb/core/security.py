"""Response headers every page carries, and the sign-in settings."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, Response, current_app, g, url_for

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


def _tile_origin() -> str:
    """The map tile server's origin (PB_TILE_URL), which pages may load images from."""
    parts = urlsplit(current_app.config.get("PB_TILE_URL") or "")
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return ""
    host = parts.netloc.replace("{s}", "*")
    return f" {parts.scheme}://{host}"


def _set_security_headers(response: Response) -> Response:
    hsts = current_app.config.get("PB_HSTS_SECONDS")
    if current_app.config.get("ENV_NAME") == "production" and hsts:
        response.headers.setdefault(
            "Strict-Transport-Security", f"max-age={int(hsts)}; includeSubDomains"
        )
    response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    policy = CONTENT_SECURITY_POLICY.replace(
        "img-src 'self' data:", "img-src 'self' data:" + _tile_origin()
    )
    response.headers.setdefault("Content-Security-Policy", policy)
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("Permissions-Policy", "geolocation=(), camera=(), microphone=()")
    return response


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
