import re

import pytest
from flask import Blueprint
from sqlalchemy import func, select

from pb.accounts.decorators import role_required
from pb.accounts.models import Role, User
from pb.core.extensions import db
from tests.factories import DEFAULT_PASSWORD, make_user


def test_register_signs_the_resident_in(client, app):
    response = client.post(
        "/account/register",
        data={
            "name": "Eva Nová",
            "email": "eva@example.cz",
            "password": "bezpečné heslo",
            "confirm": "bezpečné heslo",
        },
    )
    assert response.status_code == 302
    html = client.get("/").get_data(as_text=True)
    assert "Eva Nová" in html


def test_register_with_mismatched_passwords_changes_nothing_and_says_where(client, app):
    response = client.post(
        "/account/register",
        data={
            "name": "Eva",
            "email": "eva@example.cz",
            "password": "bezpečné heslo",
            "confirm": "jiné heslo!!",
        },
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="confirm-error"' in html
    assert db.session.scalar(select(func.count()).select_from(User)) == 0


def test_register_with_a_taken_email_says_so_at_the_field(client, app):
    make_user(email="taken@example.cz")
    db.session.commit()
    response = client.post(
        "/account/register",
        data={
            "name": "X",
            "email": "taken@example.cz",
            "password": "bezpečné heslo",
            "confirm": "bezpečné heslo",
        },
    )
    assert response.status_code == 422
    assert 'id="email-error"' in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(User)) == 1


def test_login_with_unknown_email_or_wrong_password_gives_one_answer(client, auth, app):
    make_user(email="known@example.cz")
    db.session.commit()
    wrong_password = auth.login("known@example.cz", "not the password")
    unknown_email = auth.login("nobody@example.cz", "not the password")
    assert wrong_password.status_code == unknown_email.status_code == 422

    def error_of(response):
        return re.search(r'id="password-error">(.*?)</p>', response.get_data(as_text=True)).group(1)

    assert error_of(wrong_password) == error_of(unknown_email)


def test_login_starts_a_fresh_session_and_logout_ends_it(client, auth, app):
    make_user(email="known@example.cz")
    db.session.commit()
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"
    response = auth.login("known@example.cz", DEFAULT_PASSWORD)
    assert response.status_code == 302
    with client.session_transaction() as session:
        assert "planted" not in session
        assert session.get("_user_id")
    auth.logout()
    with client.session_transaction() as session:
        assert not session.get("_user_id")


def test_login_redirects_only_within_the_site(client, auth, app):
    make_user(email="known@example.cz")
    db.session.commit()
    response = client.post(
        "/account/login?next=https://evil.example/",
        data={"email": "known@example.cz", "password": DEFAULT_PASSWORD},
    )
    assert response.headers["Location"] == "/"


def test_logout_is_post_only(client, auth, app):
    make_user(email="known@example.cz")
    db.session.commit()
    auth.login("known@example.cz", DEFAULT_PASSWORD)
    assert client.get("/account/logout").status_code == 405


@pytest.fixture
def app_config():
    return {}


class TestWithCsrf:
    @pytest.fixture
    def app_config(self):
        return {"WTF_CSRF_ENABLED": True}

    def test_a_form_post_without_its_token_is_refused_and_changes_nothing(self, client, app):
        response = client.post(
            "/account/register",
            data={
                "name": "X",
                "email": "x@example.cz",
                "password": "bezpečné heslo",
                "confirm": "bezpečné heslo",
            },
        )
        assert response.status_code == 400
        assert db.session.scalar(select(func.count()).select_from(User)) == 0

    def test_a_form_post_with_its_token_is_accepted(self, client, app):
        html = client.get("/account/register").get_data(as_text=True)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
        response = client.post(
            "/account/register",
            data={
                "csrf_token": token,
                "name": "X",
                "email": "x@example.cz",
                "password": "bezpečné heslo",
                "confirm": "bezpečné heslo",
            },
        )
        assert response.status_code == 302


class TestRateLimit:
    @pytest.fixture
    def app_config(self):
        return {"RATELIMIT_ENABLED": True}

    def test_repeated_sign_in_attempts_are_slowed_with_a_clear_page(self, client, auth, app):
        statuses = [auth.login("x@example.cz", "wrong password").status_code for _ in range(12)]
        assert statuses[:10] == [422] * 10
        assert statuses[-1] == 429

    def test_the_sign_in_limit_says_when_to_try_again(self, client, auth, app):
        for _ in range(10):
            auth.login("x@example.cz", "wrong password")
        client.get("/language/en")
        refused = auth.login("x@example.cz", "wrong password")
        assert refused.status_code == 429
        wait = int(refused.headers["Retry-After"])
        assert 0 < wait <= 60
        page = refused.get_data(as_text=True)
        said = re.search(r"Please try again in (\d+) (second|minute)", page)
        assert said, "the page does not say when to try again"
        seconds = int(said.group(1)) * (60 if said.group(2) == "minute" else 1)
        assert abs(seconds - wait) <= 1 or (said.group(2) == "minute" and seconds >= wait)
        client.get("/language/cs")
        assert "Zkuste to prosím znovu za" in auth.login("x@example.cz", "x").get_data(as_text=True)


def test_role_decorator_guards_views(app, client, auth):
    guarded = Blueprint("guarded", __name__)

    @guarded.get("/only-officials")
    @role_required(Role.OFFICIAL)
    def only_officials():
        return "ok"

    app.register_blueprint(guarded)
    make_user(Role.RESIDENT, email="res@example.cz")
    make_user(Role.OFFICIAL, email="off@example.cz")
    make_user(Role.ADMIN, email="adm@example.cz")
    db.session.commit()
    assert client.get("/only-officials").status_code == 302  # to the sign-in page
    auth.login("res@example.cz", DEFAULT_PASSWORD)
    assert client.get("/only-officials").status_code == 403
    auth.logout()
    auth.login("off@example.cz", DEFAULT_PASSWORD)
    assert client.get("/only-officials").status_code == 200
    auth.logout()
    auth.login("adm@example.cz", DEFAULT_PASSWORD)
    assert client.get("/only-officials").status_code == 200
