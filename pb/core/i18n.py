"""Language choice and the formatting of money and dates for the visitor's language."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from babel.numbers import get_currency_symbol
from flask import Flask, current_app, has_request_context, request, session
from flask_babel import format_date, format_decimal, get_locale, refresh

from pb.core.extensions import babel


def select_locale() -> str:
    default: str = current_app.config["BABEL_DEFAULT_LOCALE"]
    # Services raise translated messages from the CLI too, where there is no visitor to ask.
    if not has_request_context():
        return default
    # The JSON API speaks one language to programs; the data keep the city's own words.
    if request.path.startswith("/api/"):
        return "en"
    languages: tuple[str, ...] = current_app.config["LANGUAGES"]
    chosen = session.get("lang")
    if isinstance(chosen, str) and chosen in languages:
        return chosen
    return default


def localized(obj: object, field: str) -> str:
    """`obj.<field>_<lang>` when the city gave a translation, else the original (Czech) text."""
    lang = str(get_locale() or "cs")
    if lang != "cs":
        translated: str | None = getattr(obj, f"{field}_{lang}", None)
        if translated:
            return translated
    original: str = getattr(obj, field)
    return original


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


def format_file_size(size: int) -> str:
    """A file's size the way the visitor reads it: "5 MB", "2,5 MB" in Czech, "700 kB"."""
    if size >= 1024 * 1024:
        return f"{format_decimal(size / (1024 * 1024), format='#,##0.#')}\u00a0MB"
    return f"{format_decimal(max(1, size // 1024))}\u00a0kB"


def format_day(value: date | None) -> str:
    # A date or a moment; only a moment is moved into the reader's time zone (Flask-Babel's rule).
    return _long_date(value) if value else ""


def format_last_day(end: datetime | None) -> str:
    """A window ends at midnight starting the next day; people read the last day it is open."""
    return _long_date(end - timedelta(seconds=1)) if end else ""


def _long_date(value: date) -> str:
    day: str = format_date(value, "long")  # Flask-Babel ships no types; Babel's answer is a str
    return day


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
