"""Plain factories with sensible defaults; pass **overrides for what a test cares about."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import count

import pyotp
import pytest

from pb.accounts.models import STAFF_ROLES, Role, User
from pb.accounts.operations import hash_password
from pb.core.extensions import db
from pb.editions.districts import District
from pb.editions.models import BallotRule, Category, Edition, Phase, TallyRule
from pb.proposals.models import CostItem, Proposal, ProposalStatus

DEFAULT_PASSWORD = "correct horse battery"
_seq = count(1)
_hash_cache: dict[str, str] = {}


def _password_hash(password: str) -> str:
    # argon2 is slow on purpose; tests reuse one hash per password.
    if password not in _hash_cache:
        _hash_cache[password] = hash_password(password)
    return _hash_cache[password]


def make_user(role: Role = Role.RESIDENT, password: str = DEFAULT_PASSWORD, **overrides) -> User:
    """A confirmed account; staff (official, commission, admin) with TOTP set up, as they must
    have to sign in (tests.conftest.AuthActions.login types the code)."""
    n = next(_seq)
    fields = dict(
        email=f"{role.value}{n}@example.org",
        name=f"Test {role.value.title()} {n}",
        role=role,
        password_hash=_password_hash(password),
        email_confirmed_at=datetime.now(UTC),
        totp_secret=pyotp.random_base32() if role in STAFF_ROLES else None,
    )
    fields.update(overrides)
    user = User(**fields)
    db.session.add(user)
    db.session.flush()
    return user


def schedule_for(phase: Phase, now: datetime) -> dict[str, datetime]:
    """Phase windows of 30 days each, placed so that `now` falls in the middle of `phase`."""
    order = [Phase.SUBMISSION, Phase.REVIEW, Phase.APPEAL, Phase.VOTING]
    day = timedelta(days=1)
    if phase == Phase.PREPARATION:
        start = now + 10 * day
    elif phase in (Phase.COUNTING, Phase.PUBLISHED):
        start = now - 130 * day
    else:
        start = now - (30 * order.index(phase) + 15) * day
    marks = [start + 30 * i * day for i in range(5)]
    return dict(
        submission_starts_at=marks[0],
        submission_ends_at=marks[1],
        review_starts_at=marks[1],
        review_ends_at=marks[2],
        appeal_starts_at=marks[2],
        appeal_ends_at=marks[3],
        voting_starts_at=marks[3],
        voting_ends_at=marks[4],
        results_published_at=(now - day) if phase == Phase.PUBLISHED else None,
    )


def make_edition(
    phase: Phase = Phase.SUBMISSION, now: datetime | None = None, **overrides
) -> Edition:
    now = now or datetime.now(UTC)
    n = next(_seq)
    fields = dict(
        slug=f"edition-{n}",
        name=f"Testovací ročník {n}",
        name_en=f"Test edition {n}",
        currency="CZK",
        total_budget=1_000_000,
        **schedule_for(phase, now),
    )
    fields.update(overrides)
    edition = Edition(**fields)
    db.session.add(edition)
    db.session.flush()
    return edition


def make_district(**overrides) -> District:
    n = next(_seq)
    fields = dict(code=f"district-{n}", name=f"Obvod {n}")
    fields.update(overrides)
    district = District(**fields)
    db.session.add(district)
    db.session.flush()
    return district


def make_category(edition: Edition, **overrides) -> Category:
    n = next(_seq)
    fields = dict(
        edition=edition,
        name=f"Skupina {n}",
        name_en=f"Group {n}",
        budget=500_000,
        min_project_cost=10_000,
        max_project_cost=200_000,
        ballot_rule=BallotRule.APPROVAL,
        min_choices=1,
        max_choices=3,
        tally_rule=TallyRule.GREEDY,
    )
    fields.update(overrides)
    category = Category(**fields)
    db.session.add(category)
    db.session.flush()
    return category


def make_proposal(
    edition: Edition,
    category: Category | None = None,
    author: User | None = None,
    costs: list[int] | None = None,
    **overrides,
) -> Proposal:
    n = next(_seq)
    category = category or make_category(edition)
    author = author or make_user()
    fields = dict(
        edition=edition,
        category=category,
        author=author,
        number=n,
        title=f"Návrh {n}",
        summary=f"Shrnutí návrhu {n}",
        description=f"Popis návrhu {n}",
        status=ProposalStatus.SUBMITTED,
        consent_to_publication=True,
        submitted_at=datetime.now(UTC),
    )
    fields.update(overrides)
    proposal = Proposal(**fields)
    proposal.cost_items = [
        CostItem(position=i, name=f"Položka {i + 1}", amount=amount)
        for i, amount in enumerate(costs or [50_000])
    ]
    db.session.add(proposal)
    db.session.flush()
    return proposal


def window_edges(phase: str) -> pytest.MarkDecorator:
    """Parametrise a test over the instants around a phase window: (boundary, offset in seconds,
    whether the action is allowed). A window includes its start and excludes its end."""
    return pytest.mark.parametrize(
        ("boundary", "offset", "allowed"),
        [
            (f"{phase}_starts_at", -1, False),
            (f"{phase}_starts_at", 0, True),
            (f"{phase}_ends_at", -1, True),
            (f"{phase}_ends_at", 0, False),
            (f"{phase}_ends_at", 1, False),
        ],
    )
