"""One unit of work per request, per CLI command and per job.

Use cases flush and never commit. The boundary commits once when the work succeeded and rolls back
when it did not, so a refusal or a crash never leaves half of an action in the database. The only
session commits and rollbacks of the platform are here, but for the ballot box's opening, whose
three transactions are its secrecy (pb/voting/ballot_box.py).
"""

from __future__ import annotations

import contextlib
import functools
import logging
from collections.abc import Callable, Iterator
from typing import Any, ParamSpec, TypeVar, cast, overload

import click
from flask import Flask, Response, g
from sqlalchemy import CursorResult, Delete, Update
from sqlalchemy.exc import IntegrityError

from pb.core.errors import Conflict, PBError
from pb.core.extensions import db

P = ParamSpec("P")
R = TypeVar("R")

log = logging.getLogger(__name__)


def inserted(row: object) -> bool:
    """Add `row` under a savepoint: False when another request took its unique key at the same
    moment; only this insert is undone and the unit of work goes on."""
    try:
        with db.session.begin_nested():
            db.session.add(row)
            db.session.flush()
    except IntegrityError:
        return False
    return True


def add_unless_taken(row: object, taken: str) -> None:
    """Add `row`, refused as a Conflict saying `taken` when its unique key is taken (`inserted`)."""
    if not inserted(row):
        raise Conflict(taken)


def rows_changed(statement: Update | Delete) -> int:
    """Run an UPDATE or DELETE and say how many rows it changed. A conditional write settles a
    race: of two at once, the second waits for the first's row and then finds it no longer
    matching, where reading first and writing after would let both through."""
    # Session.execute is typed for SELECTs; a DML statement answers with a CursorResult.
    return cast(CursorResult[Any], db.session.execute(statement)).rowcount


def after_commit(callback: Callable[[], None]) -> None:
    """Run `callback` once this request's work is committed (never if it is rolled back): for
    side effects outside the database, such as sending the mail an action queued."""

    def then(response: Response) -> Response:
        callback()
        return response

    after_commit_answer(then)


def after_commit_answer(callback: Callable[[Response], Response]) -> None:
    """As `after_commit`, for a side effect the answer reports: `callback` gets the response and
    returns it, changed (the receipt cookie saying whether the receipt mail went)."""
    g.setdefault("pb_after_commit", []).append(callback)


def abandon() -> None:
    """Roll the unit of work back: the action did not happen, nothing of it may stay."""
    db.session.rollback()


def single_statement_unit() -> None:
    """Declare that this request writes with one statement, atomic by itself: on PostgreSQL the
    session's connection is then taken in autocommit mode, so the request's reads and that
    statement need no BEGIN and no COMMIT round trip (the busiest request of a vote, the cast).
    The boundary's commit has nothing left to do; a refusal's own writes (`kept_despite_refusal`)
    start a transaction on a fresh connection as usual. Call it before the request reads
    anything; once the session holds a transaction, nothing changes."""
    session = db.session()
    if session.in_transaction() or db.engine.dialect.name != "postgresql":
        return
    session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})


def _commit() -> None:
    db.session.commit()


@contextlib.contextmanager
def kept_despite_refusal() -> Iterator[None]:
    """Abandon what the request wrote so far, then commit what the block writes, at once.

    For what must outlive a refusal that the boundary rolls back (a 4xx answer): a failed
    sign-in's count and lock, a refused verification's count and the attempts a one-time code
    has left. If the block fails, nothing of it stays. What the request writes after the block
    is again its own unit of work."""
    abandon()
    try:
        yield
    except BaseException:
        abandon()
        raise
    _commit()


def run_job(job: Callable[[], object], *, what: str) -> None:
    """A small job after a request's commit, as a unit of work of its own: committed when it
    succeeds; when it fails, rolled back and logged, never undoing the request before it."""
    try:
        job()
        _commit()
    except Exception:
        abandon()
        log.exception("%s failed", what)


def _finish_request(response: Response) -> Response:
    # An answer of 400 or more means the action did not happen: nothing of it may stay.
    if response.status_code >= 400:
        abandon()
        return response
    # A request that neither read nor wrote (the receipt page, static answers) holds no
    # transaction, often not even a session: committing would only begin one to end it.
    if db.session.registry.has() and db.session().in_transaction():
        _commit()
    for callback in g.pop("pb_after_commit", []):
        response = callback(response)
    return response


def _forget_request(error: BaseException | None) -> None:
    if error is not None:
        abandon()
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
                abandon()
                message = f"{error.message} {unchanged}" if unchanged else error.message
                raise click.ClickException(message) from None
            except BaseException:
                abandon()
                raise
            _commit()
            return result

        return run

    return decorate if function is None else decorate(function)
