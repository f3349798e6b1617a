"""The commission extends voting through its counting page, with a public reason; never shorter."""

from __future__ import annotations

from datetime import date, timedelta

from pb.accounts.models import Role
from pb.audit.models import AuditEntry
from pb.core.extensions import db
from pb.core.timefmt import to_local
from pb.editions import operations as edition_admin
from pb.editions.models import BallotRule
from tests.factories import make_user
from tests.factories_voting import (
    birth_number,
    declare_online,
    make_group,
    make_on_ballot,
    make_voting_edition,
    now_utc,
)


def _local(edition, moment) -> str:
    return to_local(moment, edition.timezone).strftime("%Y-%m-%dT%H:%M")


def test_the_commission_extends_voting_with_a_public_reason_and_never_shortens_it(client, auth):
    edition = make_voting_edition(now=now_utc())
    make_user(Role.COMMISSION, email="komise@example.cz")
    db.session.commit()
    auth.login("komise@example.cz")
    client.get("/language/en")
    page = client.get(f"/commission/counting/{edition.slug}").get_data(as_text=True)
    assert "Extend voting" in page
    end = edition.voting_ends_at
    earlier = client.post(
        f"/commission/counting/{edition.slug}/extend",
        data={"voting_ends_at": _local(edition, end - timedelta(days=1)), "reason": "x" * 40},
    )
    assert earlier.status_code == 422 and "may only be extended" in earlier.get_data(as_text=True)
    no_reason = client.post(
        f"/commission/counting/{edition.slug}/extend",
        data={"voting_ends_at": _local(edition, end + timedelta(days=1)), "reason": "why"},
    )
    assert no_reason.status_code == 422 and "public reason" in no_reason.get_data(as_text=True)
    for far in ("0001-01-01T00:00", "9999-12-31T23:59"):  # year 1 left the calendar in UTC: a 500
        beyond = client.post(
            f"/commission/counting/{edition.slug}/extend",
            data={"voting_ends_at": far, "reason": "x" * 40},
        )
        assert beyond.status_code == 422
        assert 'id="voting_ends_at-error"' in beyond.get_data(as_text=True)
    db.session.refresh(edition)
    assert edition.voting_ends_at == end
    reason = "The voting site was down for six hours on Saturday."
    done = client.post(
        f"/commission/counting/{edition.slug}/extend",
        data={"voting_ends_at": _local(edition, end + timedelta(days=1)), "reason": reason},
    )
    assert done.status_code == 303
    db.session.refresh(edition)
    assert edition.voting_ends_at > end and edition.voting_extension_reason == reason
    assert db.session.query(AuditEntry).filter_by(action="edition.extend_voting").count() == 1
    assert reason in client.get(f"/editions/{edition.slug}").get_data(as_text=True)


def test_an_admin_cannot_extend_voting(client, auth):
    edition = make_voting_edition(now=now_utc())
    make_user(Role.ADMIN, email="spravce@example.cz")
    db.session.commit()
    auth.login("spravce@example.cz")
    end = edition.voting_ends_at
    response = client.post(
        f"/commission/counting/{edition.slug}/extend",
        data={"voting_ends_at": _local(edition, end + timedelta(days=1)), "reason": "x" * 40},
    )
    assert response.status_code == 403
    db.session.refresh(edition)
    assert edition.voting_ends_at == end


def test_an_empty_end_is_refused_as_no_extension(client, auth):
    edition = make_voting_edition(now=now_utc())
    make_user(Role.COMMISSION, email="komise@example.cz")
    db.session.commit()
    auth.login("komise@example.cz")
    client.get("/language/en")
    end = edition.voting_ends_at
    response = client.post(
        f"/commission/counting/{edition.slug}/extend",
        data={"voting_ends_at": "", "reason": "x" * 40},
    )
    assert response.status_code == 422
    assert "may only be extended" in response.get_data(as_text=True)
    db.session.refresh(edition)
    assert edition.voting_ends_at == end


def test_an_extension_made_moments_before_the_end_holds_at_once_on_the_board_and_the_ballot(
    app, client, auth
):
    """Each process keeps an edition's ballot for a few seconds. Voting extended just before its
    end must hold at once: no count on the bulletin board after the old end, and the ballot
    still taken, although the ballot kept in memory still says voting ends at the old end."""
    edition = make_voting_edition(now=now_utc(), min_voter_age=None)
    proposal = make_on_ballot(edition, make_group(edition, BallotRule.APPROVAL))
    member = make_user(Role.COMMISSION)
    resident = make_user(Role.RESIDENT, email="volic@example.cz")
    db.session.commit()
    end, slug = edition.voting_ends_at, edition.slug
    app.config["PB_FROZEN_NOW"] = (end - timedelta(minutes=2)).isoformat()
    auth.login(resident.email)
    client.get("/language/en")
    assert declare_online(client, edition, birth_number(date(1980, 5, 5))).status_code == 302
    assert "board-count" not in client.get(f"/vote/{slug}/board").get_data(as_text=True)
    edition_admin.extend_voting(
        member,
        edition,
        end + timedelta(days=1),
        "The voting site was down all morning.",
        end - timedelta(seconds=30),
    )
    db.session.commit()
    app.config["PB_FROZEN_NOW"] = (end + timedelta(seconds=1)).isoformat()
    board = client.get(f"/vote/{slug}/board").get_data(as_text=True)
    assert "board-count" not in board and "board-turnout" not in board
    cast = client.post(f"/vote/{slug}/cast", data={f"p{proposal.id}": "1"})
    assert cast.status_code == 303 and cast.headers["Location"].endswith("/receipt")
