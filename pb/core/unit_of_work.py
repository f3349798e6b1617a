"""One unit of work per request and per CLI command.

Use cases flush and never commit. The boundary commits once when the work succeeded and rolls back
when it did not, so a refusal or a crash never leaves half of an action in the database.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar, overload

import click
from flask import Flask, Response, g

from pb.core.errors import PBError
from pb.core.extensions import db

P = ParamSpec("P")
R = TypeVar("R")


def after_commit(callback: Callable[[], None]) -> None:
    """Run `callback` once this request's work is committed (never if it is rolled back): for
    side effects outside the database, such as sending the mail an action queued."""
    g.setdefault("pb_after_commit", []).append(callback)


def _finish_request(response: Response) -> Response:
    # An answer of 400 or more means the action did not happen: nothing of it may stay.
    if response.status_code >= 400:
        db.session.rollback()
        return response
    db.session.commit()
    for callback in g.pop("pb_after_commit", []):
        callback()
    return response


def _forget_request(error: BaseException | None) -> None:
    if error is not None:
        db.session.rollback()
    # `g` can outlive a request (an app context shared by tests or a CLI): nothing may carry over.
    g.pop("pb_after_commit", None)
    g.pop("pb_refusal_view", None)


def init_app(app: Flask) -> None:
    app.after_request(_finish_request)
    app.teardown_request(_forget_request)


@overload
def command_unit(function: Callable[P, R]) -> Callable[P, R]: ...


@overload
def command_unit(*, unchanged: str | None = ...) -> Callable[[Callable[P, R]], Callable[P, R]]: ...


def command_unit(
    function: Callable[P, R] | None = None, *, unchanged: str | None = "Nothing was changed."
) -> Callable[P, R] | Callable[[Callable[P, R]], Callable[P, R]]:
    """A CLI command's boundary: commit once at the end, roll back on any exception, and show a
    domain refusal as the command's error message, followed by `unchanged` (what the refusal
    left undone, e.g. "Nothing was imported."; None: the message alone).

    Use as `@command_unit` or `@command_unit(unchanged=...)`."""

    def decorate(function: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(function)
        def run(*args: P.args, **kwargs: P.kwargs) -> R:
            try:
                result = function(*args, **kwargs)
            except PBError as error:
                db.session.rollback()
                message = f"{error.message} {unchanged}" if unchanged else error.message
                raise click.ClickException(message) from None
            except BaseException:
                db.session.rollback()
                raise
            db.session.commit()
            return result

        return run

    return decorate if function is None else decorate(function)
