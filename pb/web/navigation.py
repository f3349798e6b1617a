"""Main-menu entries. Each blueprint registers its own, so no area edits another's template."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask
from flask_login import current_user

from pb.accounts.models import Role


@dataclass(frozen=True)
class NavItem:
    endpoint: str
    label: object  # a lazy_gettext string
    roles: tuple[
        Role, ...
    ] = ()  # empty: everyone; otherwise signed-in people with one of these roles
    signed_in: bool = False
    order: int = 50


_items: list[NavItem] = []


def register_nav(item: NavItem) -> None:
    if all(existing.endpoint != item.endpoint for existing in _items):
        _items.append(item)
        _items.sort(key=lambda i: i.order)


def visible_items() -> list[NavItem]:
    shown = []
    for item in _items:
        if item.roles or item.signed_in:
            if not current_user.is_authenticated:
                continue
            if item.roles and not current_user.has_role(*item.roles):
                continue
        shown.append(item)
    return shown


def init_app(app: Flask) -> None:
    app.jinja_env.globals["nav_items"] = visible_items
