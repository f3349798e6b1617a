"""Response headers every page carries, and the sign-in loader."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, Response, session, url_for

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


def _set_security_headers(response: Response) -> Response:
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("Permissions-Policy", "geolocation=(), camera=(), microphone=()")
    return response


def init_app(app: Flask) -> None:
    app.after_request(_set_security_headers)
    login_manager.login_view = "auth.login"
    login_manager.session_protection = "strong"

    from flask_babel import lazy_gettext

    login_manager.login_message = lazy_gettext("Please sign in to continue.")
    login_manager.login_message_category = "info"


def session_account_id() -> int | None:
    """The signed-in account's id from the signed session, after Flask-Login's own session
    protection check, without loading the account; None when the session names none.

    Only for a request whose single statement checks the account itself (casting a ballot,
    the busiest request of a vote); everywhere else `current_user` is the way.
    """
    if login_manager._session_protection_failed():
        return None
    user_id = session.get("_user_id")
    return int(user_id) if isinstance(user_id, str) and user_id.isdigit() else None


def safe_redirect_target(target: str | None) -> str:
    """Only a path on this site: an open redirect would let others borrow the city's address."""
    if not target:
        return url_for("public.home")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return url_for("public.home")
    return target
