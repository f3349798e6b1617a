"""The commission extends voting through its counting page, with a public reason; never shorter."""

from __future__ import annotations

from datetime import timedelta

from pb.accounts.models import Role
from pb.audit.models import AuditEntry
from pb.core.extensions import db
from pb.core.timefmt import to_local
from tests.factories import make_user
from tests.factories_voting import make_voting_edition, now_utc


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
