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
