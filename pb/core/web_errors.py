"""Error pages and the mapping of domain errors to answers a person can act on."""

from __future__ import annotations

from flask import Flask, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from pb.core.extensions import db


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def _http_error(error: HTTPException):
    if _wants_json():
        return {"error": error.name, "message": error.description}, error.code
    template = "errors/404.html" if error.code == 404 else "errors/generic.html"
    return render_template(template, error=error), error.code


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
