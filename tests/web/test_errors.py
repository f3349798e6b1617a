import pytest
from flask import Blueprint
from sqlalchemy import func, select

from pb.core.extensions import db
from pb.editions.districts import District


def test_an_unexpected_error_shows_the_city_500_page_and_saves_nothing(app, client):
    broken = Blueprint("broken", __name__)

    @broken.get("/broken")
    def fail_midway():
        db.session.add(District(code="half-written", name="Half written"))
        db.session.flush()
        raise RuntimeError("a bug")

    app.register_blueprint(broken)
    app.testing = False  # let the error handler answer, as in production
    app.config["PROPAGATE_EXCEPTIONS"] = False
    response = client.get("/broken")
    assert response.status_code == 500
    html = response.get_data(as_text=True)
    assert "site-header" in html and "RuntimeError" not in html
    assert db.session.scalar(select(func.count()).select_from(District)) == 0


def test_api_errors_answer_in_json(app, client):
    app.testing = False
    app.config["PROPAGATE_EXCEPTIONS"] = False
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.get_json()["error"] == "Not Found"


@pytest.mark.parametrize("signed_in", [False, True])
def test_a_body_over_the_size_limits_is_refused_with_413_never_500(app, client, auth, signed_in):
    """The error page drew the sign-out button from a form that read the body again: a 500."""
    from pb.accounts.models import Role
    from tests.factories import make_user

    if signed_in:
        make_user(Role.RESIDENT, email="radka@example.cz")
        db.session.commit()
        auth.login("radka@example.cz")
    app.testing = False
    app.config["PROPAGATE_EXCEPTIONS"] = False
    limit = app.config["MAX_CONTENT_LENGTH"]
    whole = client.post(
        "/vote/receipt",
        data=b"code=" + b"a" * limit,
        content_type="application/x-www-form-urlencoded",
    )
    assert whole.status_code == 413
    one_field = client.post(
        "/vote/receipt", data={"code": "a" * 1_000_000}, content_type="multipart/form-data"
    )
    assert one_field.status_code == 413 and "site-header" in one_field.get_data(as_text=True)
