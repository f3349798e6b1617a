"""The platform's limiter skips Flask-Limiter's before-request hook only while it has nothing to count."""

from flask import Flask

from pb.core.extensions import ViewLimiter


def _app_with(limiter: ViewLimiter) -> Flask:
    app = Flask("limited")
    app.config["RATELIMIT_STORAGE_URI"] = "memory://"

    @app.get("/")
    def page():
        return "ok"

    @app.get("/own")
    @limiter.limit("1 per minute")
    def own():
        return "ok"

    limiter.init_app(app)
    return app


def test_a_default_limit_still_counts_every_request():
    client = _app_with(ViewLimiter(key_func=lambda: "one", default_limits=["2 per minute"]))
    client = client.test_client()
    assert [client.get("/").status_code for _ in range(3)] == [200, 200, 429]


def test_an_app_wide_limit_still_counts_every_request():
    client = _app_with(ViewLimiter(key_func=lambda: "one", application_limits=["2 per minute"]))
    client = client.test_client()
    assert [client.get("/").status_code for _ in range(3)] == [200, 200, 429]


def test_without_app_wide_limits_only_a_views_own_limit_counts():
    client = _app_with(ViewLimiter(key_func=lambda: "one")).test_client()
    assert [client.get("/").status_code for _ in range(3)] == [200, 200, 200]
    assert [client.get("/own").status_code for _ in range(2)] == [200, 429]
