"""Error pages and the mapping of domain errors to answers a person can act on."""

from __future__ import annotations

import time

from flask import Flask, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from pb.core.extensions import db


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def retry_after_seconds() -> int | None:
    """How long until the limit this request broke lets it through again (Flask-Limiter's own
    figure, the one it sends as Retry-After), or None when no limit applies."""
    from pb.core.extensions import limiter

    current = limiter.current_limit
    if current is None:
        return None
    return max(1, int(current.reset_at - time.time()))


def _http_error(error: HTTPException):
    if _wants_json():
        return {"error": error.name, "message": error.description}, error.code
    template = "errors/404.html" if error.code == 404 else "errors/generic.html"
    retry_after = retry_after_seconds() if error.code == 429 else None
    return render_template(template, error=error, retry_after=retry_after), error.code


def _csrf_error(error: CSRFError):
    return render_template("errors/generic.html", error=error), 400


def _server_error(error: Exception):
    # The request's work is abandoned as a whole: nothing half-written may be committed later.
    db.session.rollback()
    if _wants_json():
        return {"error": "Internal Server Error"}, 500
    return render_template("errors/500.html"), 500


def init_app(app: Flask) -> None:
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(500, _server_error)
