"""Language choice and the formatting of money and dates for the visitor's language."""

from __future__ import annotations

from datetime import datetime, timedelta

from babel.numbers import get_currency_symbol
from flask import Flask, current_app, has_request_context, request, session
from flask_babel import format_date, format_decimal, get_locale, refresh

from pb.core.extensions import babel


def select_locale() -> str:
    # Services raise translated messages from the CLI too, where there is no visitor to ask.
    if not has_request_context():
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    # The JSON API speaks one language to programs; the data keep the city's own words.
    if request.path.startswith("/api/"):
        return "en"
    chosen = session.get("lang")
    if chosen in current_app.config["LANGUAGES"]:
        return chosen
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def localized(obj: object, field: str) -> str:
    """`obj.<field>_<lang>` when the city gave a translation, else the original (Czech) text."""
    lang = str(get_locale() or "cs")
    if lang != "cs":
        translated = getattr(obj, f"{field}_{lang}", None)
        if translated:
            return translated
    return getattr(obj, field)


def format_money(amount: int | None, currency: str = "CZK") -> str:
    """Whole currency units, grouped the local way: "10 000 000 Kč", "CZK 10,000,000"."""
    if amount is None:
        return ""
    locale = str(get_locale() or "cs")
    number = format_decimal(amount)
    symbol = get_currency_symbol(currency, locale=locale)
    if locale == "en":
        return f"{symbol}\u00a0{number}"
    return f"{number}\u00a0{symbol}"


def format_day(value: datetime | None) -> str:
    return format_date(value, "long") if value else ""


def format_last_day(end: datetime | None) -> str:
    """A window ends at midnight starting the next day; people read the last day it is open."""
    return format_date(end - timedelta(seconds=1), "long") if end else ""


def init_app(app: Flask) -> None:
    babel.init_app(app, locale_selector=select_locale)
    # Flask-Babel caches the locale on the app context, which a request may share with its caller
    # (tests, CLI); each request decides afresh.
    app.before_request(refresh)
    app.jinja_env.globals["localized"] = localized
    app.jinja_env.globals["current_locale"] = lambda: str(get_locale())
    app.jinja_env.filters["money"] = format_money
    app.jinja_env.filters["day"] = format_day
    app.jinja_env.filters["last_day"] = format_last_day
