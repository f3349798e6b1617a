"""The results API once results are published: its answers match the OpenAPI document.

tests/web/test_api.py runs schemathesis over every operation with the demo unpublished (every
results answer is then "not found"); here the demo's 2024 results are published first, so the
schema of the real answers is checked too.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from sqlalchemy import select

from pb.accounts.models import User
from pb.core.extensions import db
from pb.editions.models import Edition
from pb.results import counting as results

RESULT_OPERATIONS = [
    "/api/v1/editions/{slug}/results",
    "/api/v1/editions/{slug}/results/versions",
    "/api/v1/editions/{slug}/results/{version}",
]


@pytest.fixture
def published(app, demo):
    from tests.factories_results import NOW

    edition = db.session.scalar(select(Edition).where(Edition.slug == "liberec-2024"))
    first, second = (
        db.session.scalar(select(User).where(User.email == email))
        for email in ("commission@example.cz", "commission2@example.cz")
    )
    result = results.count_results(edition, actor=first, now=NOW)
    for member in (first, second):
        results.approve_result(
            result, actor=member, snapshot_sha256=result.snapshot_sha256, now=NOW
        )
    results.publish_result(result, actor=second, now=NOW)
    db.session.commit()
    return result


def test_published_results_answer_with_winners_turnout_and_download_links(client, published):
    body = client.get("/api/v1/editions/liberec-2024/results").get_json()
    assert body["version"] == 1 and body["status"] == "published"
    assert body["snapshot_sha256"] == published.snapshot_sha256
    assert [g["name_en"] for g in body["groups"]] == [
        "Small projects",
        "Large projects",
        "Extra-large project",
    ]
    extra = body["groups"][2]
    assert extra["selected"] == [30] and extra["money_left"] == 50_000
    assert extra["projects"][1]["reason"]["code"] == "did_not_fit"
    assert body["turnout"]["voters"] == 3_160 and body["turnout"]["registry"] == 88_000
    assert client.get(extra["pabulib_url"]).status_code == 200
    assert client.get(body["downloads"]["csv"]).status_code == 200
    assert client.get("/api/v1/editions/liberec-2024/results/1").get_json() == body
    missing = client.get("/api/v1/editions/liberec-2024/results/2")
    assert missing.status_code == 404 and missing.get_json()["error"] == "Not Found"
    assert client.get("/api/v1/editions/liberec-2024/results/99999999999").status_code == 404


@pytest.mark.parametrize("path", RESULT_OPERATIONS)
def test_published_results_conform_to_the_openapi_document(app, published, path):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operation = schema[path]["GET"]
    # The real edition and version, so the answers checked are full results, not only 404s.
    real = {"slug": "liberec-2024", "version": 1}
    case = operation.Case(path_parameters={k: v for k, v in real.items() if "{" + k + "}" in path})
    response = case.call_and_validate()
    assert response.status_code == 200

    @given(case=operation.as_strategy())
    @settings(
        max_examples=25,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    def no_server_error_and_no_schema_violation(case):
        case.call_and_validate()

    no_server_error_and_no_schema_violation()
