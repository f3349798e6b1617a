"""NUL and other control characters, in every form field, every query and path parameter and
every API parameter: refused with a message (a form re-rendered, a 4xx), never a 5xx."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
from html.parser import HTMLParser
from urllib.parse import quote, urlencode

import pytest
from flask_wtf import FlaskForm
from wtforms import Form

import pb
from pb.demo.load import DEMO_PASSWORD
from pb.web.forms import CONTROL_MESSAGE, BaseForm, BaseSubForm, has_control_characters

BAD_VALUES = ["a\x00b", "\x01\x08\x1b\x7f x"]
ACCOUNTS = [
    None,
    "admin@example.cz",
    "official@example.cz",
    "commission@example.cz",
    "resident@example.cz",
]
SKIP_POSTS = {"/account/logout", "/language/"}


class FormParser(HTMLParser):
    """Every <form> of a page: its method, action and the names of its fields."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "form":
            self.forms.append(
                {
                    "method": (attributes.get("method") or "get").lower(),
                    "action": attributes.get("action") or "",
                    "fields": set(),
                }
            )
        elif tag in ("input", "textarea", "select") and self.forms:
            name = attributes.get("name")
            kind = (attributes.get("type") or "").lower()
            if name and kind not in ("file", "submit", "hidden"):
                self.forms[-1]["fields"].add(name)


def form_classes() -> list[type]:
    found = []
    for module in pkgutil.walk_packages(pb.__path__, "pb."):
        loaded = importlib.import_module(module.name)
        for _name, value in inspect.getmembers(loaded, inspect.isclass):
            if issubclass(value, Form) and value.__module__.startswith("pb."):
                found.append(value)
    return found


def test_every_form_of_the_app_inherits_the_base_form():
    classes = form_classes()
    assert len(classes) > 20
    strays = [
        c.__qualname__
        for c in classes
        if c not in (BaseForm, BaseSubForm) and not issubclass(c, (BaseForm, BaseSubForm))
    ]
    assert strays == []
    assert all(not issubclass(c, FlaskForm) or issubclass(c, BaseForm) for c in classes)


def test_control_characters_are_told_apart_from_line_breaks():
    assert has_control_characters("a\x00b")
    assert has_control_characters("tab\tin one line")
    assert not has_control_characters("two\r\nlines\twith a tab", multiline=True)
    assert has_control_characters("two\nlines\x00", multiline=True)
    assert not has_control_characters("Žluťoučký kůň – 100 000 Kč")


def url_values(app) -> dict[str, object]:
    from sqlalchemy import select

    from pb.core.extensions import db
    from pb.editions.models import Category, Edition

    with app.app_context():
        slug = db.session.scalar(select(Edition.slug).where(Edition.slug.like("%2026%"))) or (
            db.session.scalar(select(Edition.slug))
        )
        category = db.session.scalar(select(Category.id))
    return {"slug": slug, "category_id": category}


def urls(app) -> list[str]:
    values = url_values(app)
    found = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static" or rule.rule.startswith("/api/"):
            continue
        args = {}
        for name in rule.arguments:
            args[name] = values.get(name, 1)
        path = rule.rule
        for name, value in args.items():
            path = re.sub(rf"<(?:[a-z]+:)?{name}>", str(value), path)
        found.append(path)
    return sorted(set(found))


def sign_in(client, email: str | None) -> None:
    if email:
        response = client.post("/account/login", data={"email": email, "password": DEMO_PASSWORD})
        assert response.status_code == 302
    client.get("/language/en")


@pytest.mark.slow
def test_control_characters_in_every_form_field_never_give_a_server_error(app, demo, backend):
    failures = []
    pages = urls(app)
    for email in ACCOUNTS:
        client = app.test_client()
        sign_in(client, email)
        for path in pages:
            page = client.get(path)
            if page.status_code >= 500:
                failures.append(("GET", email, path, page.status_code))
            if page.status_code != 200 or "html" not in page.content_type:
                continue
            parser = FormParser()
            parser.feed(page.get_data(as_text=True))
            for form in parser.forms:
                action = form["action"] or path
                if any(action.startswith(s) for s in SKIP_POSTS) or not form["fields"]:
                    continue
                for bad in BAD_VALUES:
                    data = {name: bad for name in form["fields"]}
                    if form["method"] == "post":
                        answer = client.post(action, data=data)
                    else:
                        answer = client.get(f"{action.split('?')[0]}?{urlencode(data)}")
                    if answer.status_code >= 500:
                        failures.append((form["method"], email, action, answer.status_code))
                    elif answer.status_code in (200, 400, 409, 422) and "html" in (
                        answer.content_type or ""
                    ):
                        # Re-rendered forms say why at the field (some refuse before, e.g. CSRF).
                        pass
            for bad in BAD_VALUES:
                probe = client.get(f"{path}?q={quote(bad)}&page={quote(bad)}&x={quote(bad)}")
                if probe.status_code >= 500:
                    failures.append(("GET?", email, path, probe.status_code))
        # A control character in a path segment names nothing.
        for path in pages:
            if "/1" in path or "rocnik" in path:
                broken = path.replace("/1", "/1%00", 1)
                if client.get(broken).status_code >= 500:
                    failures.append(("PATH", email, broken, 500))
    assert failures == []


def test_a_nul_in_the_login_and_registration_forms_is_named_at_the_field(app, client, backend):
    client.get("/language/en")
    login = client.post("/account/login", data={"email": "a\x00@example.cz", "password": "x"})
    assert login.status_code in (200, 400, 422)
    assert str(CONTROL_MESSAGE)[:40] in login.get_data(as_text=True)
    register = client.post(
        "/account/register",
        data={"name": "Jan\x00", "email": "jan@example.cz", "password": "x" * 12},
    )
    assert register.status_code < 500
    assert str(CONTROL_MESSAGE)[:40] in register.get_data(as_text=True)


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/editions?x=%00",
        "/api/v1/editions/a%00b",
        "/api/v1/editions/a%00b/proposals",
        "/api/v1/editions/x/proposals?q=a%00b",
        "/api/v1/editions/x/proposals?district=%01",
        "/api/v1/editions/x/results/versions?%00=1",
        "/api/v1/audit/entries?after=%00",
    ],
)
def test_the_api_answers_400_with_a_reason_for_control_characters(app, client, backend, path):
    response = client.get(path)
    assert response.status_code == 400
    body = response.get_json()
    assert body["status"] == 400 and "control character" in body["detail"]
    assert body["error"] and body["message"]
