"""Lists that scale: a page of rows with its number and count, and the list's state (page, sort,
filters) kept in the URL so a link or a reload shows the same rows."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from flask import request

PER_PAGE = 50


@dataclass(frozen=True)
class Page:
    items: list
    total: int
    page: int
    pages: int
    per_page: int

    @property
    def first(self) -> int:
        return 0 if not self.total else (self.page - 1) * self.per_page + 1

    @property
    def last(self) -> int:
        return min(self.total, self.page * self.per_page)


def page_number(value: str | None = None) -> int:
    raw = request.args.get("page", "1") if value is None else value
    return int(raw) if raw.isascii() and raw.isdigit() and 0 < len(raw) < 7 and int(raw) > 0 else 1


def bounds(total: int, page: int, per_page: int = PER_PAGE) -> tuple[int, int]:
    """(page, pages) with the page held within 1..pages."""
    pages = max(1, -(-total // per_page))
    return min(max(1, page), pages), pages


def paginate(rows: Sequence, page: int, per_page: int = PER_PAGE) -> Page:
    page, pages = bounds(len(rows), page, per_page)
    start = (page - 1) * per_page
    return Page(list(rows[start : start + per_page]), len(rows), page, pages, per_page)


def chosen(value: str | None, allowed: Sequence[str], default: str) -> str:
    """A sort key from the URL when it is one we offer, else the default."""
    return value if value is not None and value in allowed else default


def sort_rows(rows: list, key: str, keys: dict[str, Callable[[Any], Any]]) -> list:
    """Sort by `key` ("title" ascending, "-title" descending) among the offered `keys`."""
    name = key.lstrip("-")
    if name not in keys:
        return rows
    return sorted(rows, key=keys[name], reverse=key.startswith("-"))


def list_args(**changes) -> dict[str, str]:
    """The current list's URL arguments with some changed (None removes one); a new filter or sort
    starts again at page 1."""
    args = {k: v for k, v in request.args.items() if v}
    if "page" not in changes:
        args.pop("page", None)
    for name, value in changes.items():
        if value in (None, ""):
            args.pop(name, None)
        else:
            args[name] = str(value)
    return args
