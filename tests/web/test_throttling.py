"""Throttling over HTTP on SQLite and PostgreSQL: behind one trusted proxy the limits and the
per-account lock count on the client's address, not the proxy's; with Redis away (a closed port)
the limits go on in memory and no page answers 500."""

from __future__ import annotations

import pytest

from pb.core.extensions import db
from tests.factories import make_user

PROXY = "10.0.0.7"


def through_proxy(client, client_address: str, email: str, password="wrong password"):
    return client.post(
        "/account/login",
        data={"email": email, "password": password},
        environ_base={"REMOTE_ADDR": PROXY},
        headers={"X-Forwarded-For": client_address},
    )


@pytest.mark.parametrize(
    "app_config",
    [
        {
            "PB_TRUSTED_PROXIES": 1,
            "RATELIMIT_ENABLED": True,
            "PB_LOGIN_LIMIT_ADDRESS": "3/minute",
            "PB_LOGIN_LIMIT_ACCOUNT": "100/hour",
        }
    ],
    indirect=True,
)
def test_behind_one_trusted_proxy_each_client_has_its_own_address_limit(app, client, backend):
    client.get("/language/en")
    statuses = [
        through_proxy(client, "203.0.113.5", f"nobody{n}@example.cz").status_code for n in range(4)
    ]
    assert statuses == [422, 422, 422, 429]
    # Another client behind the same proxy is not limited by the first one's attempts.
    assert through_proxy(client, "203.0.113.6", "nobody9@example.cz").status_code == 422
    # A client cannot pick its address: with one trusted proxy only the address that proxy saw
    # counts, whatever the client wrote to the left of it in X-Forwarded-For.
    forged = through_proxy(client, "198.51.100.1, 203.0.113.5", "nobody10@example.cz")
    assert forged.status_code == 429


@pytest.mark.parametrize(
    "app_config",
    [{"PB_TRUSTED_PROXIES": 1, "RATELIMIT_ENABLED": True, "PB_LOGIN_LIMIT_ADDRESS": "100/minute"}],
    indirect=True,
)
def test_behind_one_trusted_proxy_the_account_locks_across_client_addresses(
    app, client, auth, backend
):
    client.get("/language/en")
    make_user(email="target@example.cz")
    db.session.commit()
    statuses = [
        through_proxy(client, f"203.0.113.{n}", "target@example.cz").status_code for n in range(6)
    ]
    assert statuses == [422] * 5 + [429]
    right = through_proxy(client, "203.0.113.99", "target@example.cz", "correct horse battery")
    assert right.status_code == 429 and "locked until" in right.get_data(as_text=True)


@pytest.mark.parametrize(
    "app_config",
    [{"RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:1/0"}],
    indirect=True,
)
def test_redis_on_a_closed_port_gives_no_500(app, client, auth, backend):
    client.get("/language/en")
    make_user(email="resident@example.cz")
    db.session.commit()
    assert (
        client.post(
            "/account/login", data={"email": "resident@example.cz", "password": "wrong password"}
        ).status_code
        == 422
    )
    assert auth.login("resident@example.cz").status_code == 302
    assert client.get("/account/").status_code == 200
    receipt = client.post("/vote/receipt", data={"code": "ABCD-EFGH-IJKL"})
    assert receipt.status_code < 500
    assert client.post("/account/reset", data={"email": "resident@example.cz"}).status_code < 500
