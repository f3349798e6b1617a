"""The one map from errors to answers: error pages, forms shown again, problem+json in the API."""

from __future__ import annotations

import time
from collections.abc import Callable

from flask import Flask, g, render_template, request
from flask.typing import ResponseReturnValue
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from pb.core.errors import NotFound, PBError
from pb.core.unit_of_work import abandon

# A route's answer to a refusal of its use case; None: not one it shows, the usual answer is given.
RefusalView = Callable[[PBError], ResponseReturnValue | None]

_TITLES = {
    400: "Bad Request",
    403: "Forbidden",
    404: "Not Found",
    409: "Conflict",
    422: "Unprocessable",
}


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


def problem(status: int, title: str, detail: str, **extra: object) -> ResponseReturnValue:
    """An RFC 9457 problem document."""
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail, **extra}
    body.update(error=title, message=detail)
    return body, status, {"Content-Type": "application/problem+json"}


class _AlsoNotFound:
    """A refusal view that shows the use case's NotFound too."""

    def __init__(self, view: RefusalView) -> None:
        self.view = view

    def __call__(self, error: PBError) -> ResponseReturnValue | None:
        return self.view(error)


def show_refusal_with(view: RefusalView, *, not_found: bool = False) -> None:
    """Let the route say how a refusal of the coming use case is shown (usually its form again).

    A NotFound gets the 404 page, unless `not_found`: then the page the route is on exists and
    what the use case did not find is a part of it (a member's share, an edition's box), which
    `view` shows there. A refusal for which `view` returns None gets the usual answer."""
    g.pb_refusal_view = _AlsoNotFound(view) if not_found else view


def _domain_error(error: PBError) -> ResponseReturnValue:
    # The refused action is abandoned as a whole before anything is shown (a refusal view may
    # answer with a redirect, which the boundary commits).
    abandon()
    if _wants_json():
        fields = {"field": error.field} if error.field else {}
        return problem(
            error.http_status, _TITLES.get(error.http_status, "Refused"), error.message, **fields
        )
    view: RefusalView | None = g.pop("pb_refusal_view", None)
    if isinstance(error, NotFound) and not isinstance(view, _AlsoNotFound):
        # nothing to show a form about
        return render_template("errors/404.html"), 404
    answer = view(error) if view is not None else None
    if answer is not None:
        return answer
    return render_template("errors/refusal.html", error=error), error.http_status


def _http_error(error: HTTPException) -> ResponseReturnValue:
    if _wants_json():
        return problem(error.code or 500, error.name, error.description or error.name)
    template = "errors/404.html" if error.code == 404 else "errors/generic.html"
    retry_after = retry_after_seconds() if error.code == 429 else None
    return render_template(template, error=error, retry_after=retry_after), error.code or 500


def _csrf_error(error: CSRFError) -> ResponseReturnValue:
    return render_template("errors/generic.html", error=error), 400


def _server_error(error: Exception) -> ResponseReturnValue:
    # The request's work is abandoned as a whole before the page is drawn (a failed statement
    # leaves the transaction unusable for the page's own reads).
    abandon()
    if _wants_json():
        return problem(500, "Internal Server Error", "The server could not answer.")
    return render_template("errors/500.html"), 500


def init_app(app: Flask) -> None:
    app.register_error_handler(PBError, _domain_error)
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(500, _server_error)
