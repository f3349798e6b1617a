"""Factories for voting tests: an edition in its voting phase, groups by rule, verified voters."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime

from pb.core.extensions import db
from pb.editions.models import BallotRule, Category, Edition, EligibilityPolicy, IdScheme, Phase
from pb.proposals.models import Proposal, ProposalStatus
from pb.voting import identity, sealing
from pb.voting.eligibility import VerifiedVoter, factor_hash
from pb.voting.models import BallotBox, VoterRegistryEntry
from tests.factories import make_category, make_edition, make_proposal

PEPPER = "test-pepper"  # tests.conftest.make_test_app sets ID_PEPPER to this
_serial = itertools.count(100)


def now_utc() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def make_voting_edition(now: datetime | None = None, *, key: bool = True, **overrides) -> Edition:
    """An edition in its voting phase; with `key` it has its election key (see `give_key`)."""
    fields = dict(
        eligibility_policy=EligibilityPolicy.DECLARATION,
        id_scheme=IdScheme.RODNE_CISLO,
        min_voter_age=15,
    )
    fields.update(overrides)
    edition = make_edition(Phase.VOTING, now=now or now_utc(), **fields)
    if key:
        give_key(edition)
    return edition


_SHARES: dict[int, list[str]] = {}


def give_key(edition: Edition, threshold: int = 2, count: int = 3) -> list[str]:
    """The edition's ballot box with a fresh key, as if the ceremony had been held; the shares
    are returned (and kept for `shares_of`) instead of being sealed to members."""
    master = sealing.new_master_secret()
    public = bytes(sealing.private_key_of(master).public_key)
    db.session.add(
        BallotBox(
            edition_id=edition.id,
            public_key=public,
            fingerprint=sealing.fingerprint(public),
            threshold=threshold,
            share_count=count,
            paper_sheets=0,
        )
    )
    db.session.flush()
    shares = sealing.split_secret(master, threshold, count)
    _SHARES[edition.id] = shares
    return shares


def shares_of(edition: Edition) -> list[str]:
    return _SHARES[edition.id]


RULE_DEFAULTS = {
    BallotRule.APPROVAL: dict(min_choices=1, max_choices=2),
    BallotRule.KNAPSACK: dict(),
    BallotRule.CUMULATIVE: dict(max_points=10, max_points_per_project=5),
    BallotRule.PLUS_MINUS: dict(plus_votes=3, minus_votes=1, minus_requires_plus=2),
    BallotRule.RANKED: dict(max_ranks=3, rank_points="3,2,1"),
}


def make_group(edition: Edition, rule: BallotRule, **overrides) -> Category:
    fields = dict(
        ballot_rule=rule,
        min_choices=None,
        max_choices=None,
        budget=500_000,
        min_project_cost=10_000,
        max_project_cost=300_000,
    )
    fields.update(RULE_DEFAULTS[rule])
    fields.update(overrides)
    return make_category(edition, **fields)


def make_on_ballot(edition: Edition, group: Category, cost: int = 100_000, **overrides) -> Proposal:
    return make_proposal(edition, group, costs=[cost], status=ProposalStatus.ELIGIBLE, **overrides)


def four_rule_edition(now: datetime | None = None, **overrides):
    """An edition whose groups use all four rules, three eligible proposals each."""
    edition = make_voting_edition(now, **overrides)
    groups = {
        rule: make_group(edition, rule)
        for rule in (
            BallotRule.APPROVAL,
            BallotRule.KNAPSACK,
            BallotRule.CUMULATIVE,
            BallotRule.PLUS_MINUS,
        )
    }
    proposals = {
        rule: [make_on_ballot(edition, group, cost) for cost in (100_000, 200_000, 300_000)]
        for rule, group in groups.items()
    }
    # Not on the ballot: another status.
    make_proposal(edition, groups[BallotRule.APPROVAL], status=ProposalStatus.INELIGIBLE)
    db.session.commit()
    return edition, groups, proposals


def birth_number(born: date, female: bool = False) -> str:
    """A fresh valid 10-digit birth number for someone born on `born` (1954 or later)."""
    while True:
        month = born.month + (50 if female else 0)
        first_nine = f"{born.year % 100:02d}{month:02d}{born.day:02d}{next(_serial) % 1000:03d}"
        remainder = int(first_nine) % 11
        if remainder != 10:
            return first_nine + str(remainder)


def key_of(number: str, scheme: str = "rodne_cislo") -> str:
    return identity.voter_key(PEPPER, identity.parse_national_id(scheme, number).key_material)


def voter(edition: Edition, key: str | None = None, district_id=None, birth_year=1980):
    return VerifiedVoter(
        edition.id, key or key_of(birth_number(date(birth_year, 5, 5))), district_id, birth_year
    )


def id_card_of(number: str) -> str:
    """The (fictitious) identity-card number the test register gives the holder of `number`."""
    return f"OP{number[-6:]}"


def register(
    edition: Edition, number: str, born: date, district_id=None, id_card: str | None = None
) -> None:
    """Put a resident on the edition's register, with their identity-card number as the second
    factor (`id_card_of(number)` unless given)."""
    key = key_of(number, edition.id_scheme.value)
    db.session.add(
        VoterRegistryEntry(
            edition_id=edition.id,
            voter_key=key,
            birth_year=born.year,
            district_id=district_id,
            factor_hash=factor_hash(PEPPER, key, id_card or id_card_of(number)),
        )
    )
    db.session.flush()


def code_sent_to(recipient: str) -> str:
    """The last one-time code sent to a phone or e-mail (dev mailbox or outbox)."""
    import re

    from sqlalchemy import select

    from pb.messaging.dev_mailbox import messages_to
    from pb.messaging.models import OutboxMessage

    bodies = [m.body for m in messages_to(recipient)]
    bodies += db.session.scalars(
        select(OutboxMessage.body)
        .where(OutboxMessage.recipient == recipient)
        .order_by(OutboxMessage.id)
    ).all()
    return re.search(r"\b(\d{6})\b", bodies[-1]).group(1)


def declare_online(client, edition, number, *, district="", declared="y", contact=None):
    """Verify online under the declaration policy: the form, then the code sent to `contact`
    (one contact per number unless given). The answer of the last step taken."""
    contact = contact or f"volic.{number}@example.cz"
    sent = client.post(
        f"/vote/{edition.slug}/verify",
        data={
            "id_number": number,
            "district": district,
            "declaration": declared,
            "contact": contact,
        },
    )
    if not sent.headers.get("Location", "").endswith("/code"):
        return sent
    return client.post(f"/vote/{edition.slug}/code", data={"code": code_sent_to(contact)})
