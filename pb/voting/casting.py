"""Casting ballots: one secret ballot per person and edition, online or on paper.

`cast_ballot` checks the phase and the group rules (pure `pb.tally.ballot_rules`), seals the
marks in memory to the edition's public election key (padded to one length per edition, see
`pb.voting.sealing`) and writes, in ONE transaction, the participation (unique per edition and
voter key: the database's unique constraint is the last word under any race) and the envelope:
the sealed bytes and the SHA-256 of a fresh receipt code. The plain choices and the code itself
are written nowhere; the code goes back to the route, which shows it once (pb.voting.receipts).

What keeps ballots and participations apart:

- an envelope can be opened only with k commission members' shares of the key, after voting;
- opening the box (pb.voting.ballot_box) shuffles the envelopes with a CSPRNG and writes the plain
  ballots in one new transaction with fresh random ids: no id, order, time or transaction id of
  the envelope survives, and the envelopes are deleted and vacuumed;
- no column or key of a plain ballot refers to a person (tests/integration/test_secrecy_schema.py).

Paper votes at two desks: `check_in` records the participation (no ballot), `enter_sheet` seals a
sheet from the box with no identity, and `record_sheet_batch` audits how many sheets an official
entered, never which.

On PostgreSQL the whole online write is one statement (one round trip): the participation insert
with ON CONFLICT DO NOTHING and the envelope in a data-modifying CTE that writes only when the
participation did. Elsewhere the inserts run one after another in the same transaction.
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy import func, insert, select
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from pb.accounts.models import Role, User
from pb.accounts.operations import require_role
from pb.audit import chain as audit
from pb.core.errors import InvalidInput, NotFound, PBError, PhaseClosed
from pb.core.extensions import db
from pb.core.i18n import format_money
from pb.editions.districts import District
from pb.editions.models import BallotRule, Category, Edition, EligibilityPolicy, IdScheme
from pb.proposals.models import CostItem, Proposal, ProposalStatus
from pb.tally import ballot_rules
from pb.tally.ballot_rules import Code, GroupRule, Rule, Violation
from pb.voting import sealing
from pb.voting.ballot_box import paper_check_ins
from pb.voting.eligibility import AlreadyVoted, VerifiedVoter, local_day
from pb.voting.models import BallotBox, Channel, Envelope, Participation
from pb.voting.ranked import ranked_violation_text

RECEIPT_BYTES = 16  # 128 random bits
DEFINITION_CACHE_SECONDS = 10.0


# --- what is on the ballot -------------------------------------------------------------------------


@dataclass(frozen=True)
class ProposalOnBallot:
    id: int
    number: int | None
    title: str
    summary: str
    cost: int


@dataclass(frozen=True)
class GroupOnBallot:
    """One project group as the ballot shows it; `rule` is its ballot rule over its projects, as
    `pb.tally.ballot_rules` checks it and `pb.web.labels.ballot_rule_text` states it."""

    category_id: int
    name: str
    name_en: str | None
    description: str
    description_en: str | None
    district_id: int | None
    district_name: str | None
    proposals: tuple[ProposalOnBallot, ...]
    rule: GroupRule

    @property
    def ballot_rule(self) -> BallotRule:
        return BallotRule(self.rule.rule.value)


@dataclass(frozen=True)
class BallotDefinition:
    """Everything casting needs to know about an edition, read once and kept for a few seconds."""

    edition_id: int
    slug: str
    name: str
    name_en: str | None
    currency: str
    timezone: str
    policy: EligibilityPolicy
    id_scheme: IdScheme
    min_voter_age: int | None
    voting_starts_at: datetime
    voting_ends_at: datetime
    groups: tuple[GroupOnBallot, ...]
    rules: Mapping[int, GroupRule] = field(default_factory=dict)
    group_of: Mapping[int, int] = field(default_factory=dict)  # proposal id -> category id
    public_key: bytes | None = None  # the ballot box's; None before the key ceremony
    plain_length: int = 0  # every sealed ballot of the edition has this padded length
    accept_eid: bool = False

    def voting_open(self, now: datetime) -> bool:
        return self.voting_starts_at <= now < self.voting_ends_at

    def groups_for(self, district_id: int | None) -> list[GroupOnBallot]:
        """The groups a voter of this district votes in: every city-wide one and their own."""
        return [g for g in self.groups if g.district_id is None or g.district_id == district_id]


def _load_definition(edition: Edition) -> BallotDefinition:
    categories = db.session.execute(
        select(Category, District.name)
        .outerjoin(District, District.id == Category.district_id)
        .where(Category.edition_id == edition.id)
        .order_by(Category.position, Category.id)
    ).all()
    costs = (
        select(CostItem.proposal_id, func.coalesce(func.sum(CostItem.amount), 0).label("cost"))
        .group_by(CostItem.proposal_id)
        .subquery()
    )
    rows = db.session.execute(
        select(
            Proposal.id,
            Proposal.number,
            Proposal.title,
            Proposal.summary,
            Proposal.category_id,
            func.coalesce(costs.c.cost, 0),
        )
        .outerjoin(costs, costs.c.proposal_id == Proposal.id)
        .where(Proposal.edition_id == edition.id, Proposal.status == ProposalStatus.ELIGIBLE)
        .order_by(Proposal.number, Proposal.id)
    ).all()
    box = db.session.get(BallotBox, edition.id)
    by_category: dict[int, list[ProposalOnBallot]] = {}
    for pid, number, title, summary, category_id, cost in rows:
        by_category.setdefault(category_id, []).append(
            ProposalOnBallot(pid, number, title, summary, int(cost))
        )
    groups = []
    for category, district_name in categories:
        proposals = tuple(by_category.get(category.id, ()))
        if not proposals:
            continue  # a group with nothing eligible is not on the ballot
        groups.append(
            GroupOnBallot(
                category_id=category.id,
                name=category.name,
                name_en=category.name_en,
                description=category.description,
                description_en=category.description_en,
                district_id=category.district_id,
                district_name=district_name,
                proposals=proposals,
                rule=category.group_rule({str(p.id): p.cost for p in proposals}),
            )
        )
    return BallotDefinition(
        edition_id=edition.id,
        slug=edition.slug,
        name=edition.name,
        name_en=edition.name_en,
        currency=edition.currency,
        timezone=edition.timezone,
        policy=edition.eligibility_policy,
        id_scheme=edition.id_scheme,
        accept_eid=edition.accept_eid,
        min_voter_age=edition.min_voter_age,
        voting_starts_at=edition.voting_starts_at,
        voting_ends_at=edition.voting_ends_at,
        groups=tuple(groups),
        rules={g.category_id: g.rule for g in groups},
        group_of={p.id: g.category_id for g in groups for p in g.proposals},
        public_key=bytes(box.public_key) if box is not None else None,
        plain_length=sealing.plain_length(sum(len(g.proposals) for g in groups)),
    )


def _cache() -> dict:
    return current_app.extensions.setdefault("pb.ballot_definitions", {})


def forget_definitions() -> None:
    """Drop the cached ballots (after changing an edition's groups or proposals in the same process)."""
    _cache().clear()


def ballot_definition(slug: str, now: datetime | None = None) -> BallotDefinition:
    """The edition's ballot, cached per process for `PB_BALLOT_CACHE_SECONDS` (default 10 s).

    During voting the groups and eligible proposals do not change, and a ballot is cast far more
    often than this is read; a change made meanwhile shows within seconds. With `now`, a kept
    ballot serves only while it says voting is open then: whether voting has ended (or not
    started, or has no key yet) is read afresh, since the commission may have extended voting,
    or held the key ceremony, a moment ago in any process.
    """
    ttl = current_app.config.get("PB_BALLOT_CACHE_SECONDS", DEFINITION_CACHE_SECONDS)
    cache = _cache()
    hit = cache.get(slug)
    moment = time.monotonic()
    if hit is not None and hit[0] > moment and (now is None or _serves(hit[1], now)):
        return hit[1]
    edition = db.session.scalar(select(Edition).where(Edition.slug == slug))
    if edition is None:
        raise NotFound(_("There is no such edition."))
    definition = _load_definition(edition)
    if ttl:
        cache[slug] = (moment + ttl, definition)
    return definition


def _serves(kept: BallotDefinition, now: datetime) -> bool:
    return kept.public_key is not None and kept.voting_open(now)


def require_open(definition: BallotDefinition, now: datetime) -> None:
    if definition.voting_open(now):
        if definition.public_key is None:
            raise PhaseClosed(
                _(
                    "Voting in this edition cannot start yet: the commission has not created its "
                    "election key."
                )
            )
        return
    if now < definition.voting_starts_at:
        raise PhaseClosed(_("Voting in this edition has not started yet."))
    raise PhaseClosed(_("Voting in this edition has ended."))


# --- the rules, in words a person can act on ---------------------------------------------------------


# A limit the voter went over, said with what he gave, the limit and the excess (or the project).
_OVER_LIMIT = {
    Code.TOO_MANY_POINTS: _l(
        "Cumulative voting: you gave %(given)d points and may give at most %(limit)d; "
        "take away %(excess)d."
    ),
    Code.TOO_MANY_POINTS_ON_ONE: _l(
        "Cumulative voting: you gave %(given)d points to “%(project)s”; one project may get "
        "at most %(limit)d."
    ),
    Code.TOO_MANY_PLUS: _l(
        "Plus-minus voting: you gave %(given)d plus votes and may give at most %(limit)d; "
        "remove %(excess)d."
    ),
    Code.TOO_MANY_MINUS: _l(
        "Plus-minus voting: you gave %(given)d minus votes and may give at most %(limit)d; "
        "remove %(excess)d."
    ),
}


def violation_text(violation: Violation, definition: BallotDefinition) -> str:
    v = violation.values
    titles = {str(p.id): p.title for g in definition.groups for p in g.proposals}
    project = titles.get(str(v.get("project")), str(v.get("project", "")))
    code = violation.code
    if violation.rule == Rule.RANKED:
        return ranked_violation_text(violation, project)
    if code == Code.EMPTY_BALLOT:
        return _("Your ballot is empty: mark at least one project in one of the groups.")
    if code == Code.UNKNOWN_PROJECT:
        return _(
            "A project you marked is not on your ballot (%(project)s); remove the mark.",
            project=project,
        )
    if code == Code.BAD_VALUE:
        if violation.rule == Rule.CUMULATIVE:
            return _("Points for “%(project)s” must be a whole number from 0 up.", project=project)
        if violation.rule == Rule.PLUS_MINUS:
            return _(
                "For “%(project)s” choose a plus vote, a minus vote or nothing.", project=project
            )
        return _("“%(project)s” can only be marked or left unmarked.", project=project)
    given, limit, excess = v.get("given", 0), v.get("limit", 0), v.get("excess", 0)
    if code == Code.TOO_FEW:
        return ngettext(
            "Approval voting: mark at least %(num)d project here (you marked %(given)d), "
            "or leave the group blank.",
            "Approval voting: mark at least %(num)d projects here (you marked %(given)d), "
            "or leave the group blank.",
            int(limit),
            given=given,
        )
    if code == Code.TOO_MANY:
        return ngettext(
            "Approval voting: you may mark at most %(num)d project here and you marked "
            "%(given)d; remove %(excess)d.",
            "Approval voting: you may mark at most %(num)d projects here and you marked "
            "%(given)d; remove %(excess)d.",
            int(limit),
            given=given,
            excess=excess,
        )
    if code == Code.OVER_BUDGET:
        return _(
            "Knapsack voting: the projects you marked cost %(total)s together, %(excess)s more "
            "than this group's budget of %(budget)s. Remove a project so that the total fits.",
            total=format_money(int(given), definition.currency),
            excess=format_money(int(excess), definition.currency),
            budget=format_money(int(limit), definition.currency),
        )
    over = _OVER_LIMIT.get(code)
    if over is not None:
        return str(over) % {"given": given, "limit": limit, "excess": excess, "project": project}
    return _(
        "Plus-minus voting: a minus vote counts only after %(limit)d plus votes and you gave "
        "%(given)d. Add plus votes or take the minus vote back.",
        limit=limit,
        given=given,
    )


class BallotRefused(InvalidInput):
    """The ballot breaks a group's rule; nothing was stored. `problems` maps a category id (or
    None for the whole ballot) to the messages for it."""

    reason = "ballot_rule"

    def __init__(self, problems: dict[int | None, list[str]]) -> None:
        first = next(iter(m for messages in problems.values() for m in messages))
        super().__init__(first)
        self.problems = problems


def check_marks(
    definition: BallotDefinition, voter_district: int | None, marks: Mapping[int, int]
) -> dict[int | None, list[str]]:
    """Problems of a ballot by group (None: the whole ballot); empty when it may be cast."""
    groups = definition.groups_for(voter_district)
    allowed = {p.id: g.category_id for g in groups for p in g.proposals}
    by_group: dict[str, dict[str, int]] = {str(g.category_id): {} for g in groups}
    problems: dict[int | None, list[str]] = {}
    for pid, value in marks.items():
        if value == 0:
            continue
        category_id = allowed.get(pid)
        if category_id is None:
            problems.setdefault(None, []).append(
                violation_text(
                    Violation(None, Code.UNKNOWN_PROJECT, values={"project": pid}), definition
                )
            )
            continue
        by_group[str(category_id)][str(pid)] = value
    rules = {str(g.category_id): definition.rules[g.category_id] for g in groups}
    for violation in ballot_rules.check_ballot(rules, by_group):
        key = int(violation.group) if violation.group else None
        if violation.code == Code.EMPTY_BALLOT and None in problems:
            continue  # the unknown project says enough
        problems.setdefault(key, []).append(violation_text(violation, definition))
    return problems


# --- casting -------------------------------------------------------------------------------------------


def new_receipt_code() -> str:
    """128 random bits in base32, grouped by four: "K7QF-2M3X-...". Shown once, never stored."""
    raw = base64.b32encode(secrets.token_bytes(RECEIPT_BYTES)).decode("ascii").rstrip("=")
    return "-".join(raw[i : i + 4] for i in range(0, len(raw), 4))


_NOT_BASE32 = re.compile(r"[^A-Z2-7]")


def receipt_hash(code: str) -> str:
    normalised = _NOT_BASE32.sub("", (code or "").upper().replace("0", "O").replace("1", "I"))
    return hashlib.sha256(normalised.encode("ascii")).hexdigest()


class AccountInactive(PBError):
    """The account casting online was deactivated after it verified."""

    http_status = 403


@dataclass(frozen=True)
class CastResult:
    receipt_code: str
    cast_on: date


# One statement, one round trip: the participation insert decides; the envelope is inserted only
# from its RETURNING row, so a second attempt by the same voter key writes nothing at all. When
# the ballot is cast from an account (online), the account must still be active in the same
# statement. The ballot box's row is read FOR KEY SHARE: opening the box takes it FOR UPDATE, so
# a cast either lands before the opening reads the box or finds it open and writes nothing.
_PG_CAST = """
    WITH a AS (
        SELECT 1 FROM user_account
        WHERE id = %(account_id)s::integer AND is_active_account
        UNION ALL
        SELECT 1 WHERE %(account_id)s::integer IS NULL
    ), x AS (
        SELECT 1 FROM ballot_box
        JOIN edition ON edition.id = ballot_box.edition_id
        WHERE ballot_box.edition_id = %(edition_id)s AND ballot_box.opened_at IS NULL
          AND edition.count_started_at IS NULL
        FOR KEY SHARE OF ballot_box
    ), p AS (
        INSERT INTO participation
            (edition_id, voter_key, channel, voted_at, district_id, birth_year, network_bucket)
        SELECT %(edition_id)s, %(voter_key)s, %(channel)s, %(voted_at)s, %(district_id)s,
               %(birth_year)s, %(bucket)s
        WHERE EXISTS (SELECT 1 FROM a) AND EXISTS (SELECT 1 FROM x)
        ON CONFLICT (edition_id, voter_key) DO NOTHING
        RETURNING 1
    ), e AS (
        INSERT INTO envelope (id, edition_id, sealed, receipt_hash)
        SELECT %(envelope_id)s, %(edition_id)s, %(sealed)s, %(receipt_hash)s FROM p
        WHERE %(sealed)s::bytea IS NOT NULL
    )
    SELECT (SELECT count(*) FROM a), (SELECT count(*) FROM p), (SELECT count(*) FROM x)
"""


def _write_postgresql(participation: dict, envelope: dict | None) -> tuple[bool, bool, bool]:
    """(account fine, written, box still sealed): one statement in the session's transaction."""
    params = dict(participation)
    params["voted_at"] = participation["voted_at"].astimezone(UTC).replace(tzinfo=None)
    params.update(
        envelope_id=envelope["id"] if envelope else None,
        sealed=envelope["sealed"] if envelope else None,
        receipt_hash=envelope["receipt_hash"] if envelope else None,
    )
    row = _execute_raw(db.session.connection().connection.driver_connection, params)
    return bool(row[0]), bool(row[1]), bool(row[2])


def _execute_raw(driver_connection, params: dict) -> tuple:
    with driver_connection.cursor() as cursor:
        cursor.execute(_PG_CAST, params)
        return cursor.fetchone()


def _box_sealed(edition_id: int) -> bool:
    return (
        db.session.scalar(
            select(BallotBox.edition_id).where(
                BallotBox.edition_id == edition_id, BallotBox.opened_at.is_(None)
            )
        )
        is not None
    )


def _write_generic(participation: dict, envelope: dict | None) -> tuple[bool, bool, bool]:
    """(account fine, written, box still sealed), in the session's transaction."""
    if participation["account_id"] is not None and not db.session.scalar(
        select(User.is_active_account).where(User.id == participation["account_id"])
    ):
        return False, False, True
    if not _box_sealed(participation["edition_id"]):
        return True, False, False
    table = Participation.__table__
    row = {
        "edition_id": participation["edition_id"],
        "voter_key": participation["voter_key"],
        "channel": Channel(participation["channel"]),
        "voted_at": participation["voted_at"],
        "district_id": participation["district_id"],
        "birth_year": participation["birth_year"],
        "network_bucket": participation["bucket"],
    }
    if db.session.get_bind().dialect.name == "sqlite":
        statement = (
            sqlite_insert(table)
            .values(row)
            .on_conflict_do_nothing(index_elements=["edition_id", "voter_key"])
            .returning(table.c.id)
        )
        if db.session.execute(statement).first() is None:
            return True, False, True
    else:  # another database: the unique constraint refuses the second participation
        db.session.execute(insert(table).values(row))
    if envelope is not None:
        db.session.execute(insert(Envelope.__table__).values(envelope))
    return True, True, True


def _seal(definition: BallotDefinition, marks: Mapping[int, int]) -> tuple[str, dict]:
    """A new receipt code and the envelope: the marks sealed, the code's hash. The code is
    returned to be shown once; it is written nowhere."""
    # Nothing is sealed without the key: `require_open` and `enter_sheet` refuse that edition.
    assert definition.public_key is not None
    code = new_receipt_code()
    envelope = {
        "id": secrets.token_hex(16),
        "edition_id": definition.edition_id,
        "sealed": sealing.seal_marks(definition.public_key, marks, definition.plain_length),
        "receipt_hash": receipt_hash(code),
    }
    return code, envelope


def _write(
    definition: BallotDefinition,
    voter: VerifiedVoter,
    envelope: dict | None,
    *,
    channel: Channel,
    now: datetime,
    account_id: int | None,
    network_bucket: str | None,
) -> None:
    participation = {
        "edition_id": definition.edition_id,
        "voter_key": voter.voter_key,
        "channel": channel.value,
        "voted_at": now,
        "district_id": voter.district_id,
        "birth_year": voter.birth_year,
        "bucket": network_bucket,
        "account_id": account_id,
    }
    if db.session.get_bind().dialect.name == "postgresql":
        account_fine, written, sealed_box = _write_postgresql(participation, envelope)
    else:
        account_fine, written, sealed_box = _write_generic(participation, envelope)
    if not account_fine:
        raise AccountInactive(_("This account is deactivated; it cannot vote."))
    if not sealed_box:
        # The box is opened when counting starts (the same one-way door as below).
        raise PhaseClosed(_("Counting has started in this edition; no ballot can be added."))
    if not written:
        raise AlreadyVoted(
            _("You have already voted in this edition, online or on paper. Each person votes once.")
        )


def cast_ballot(
    definition: BallotDefinition,
    voter: VerifiedVoter,
    marks: Mapping[int, int],
    *,
    channel: Channel,
    now: datetime,
    account_id: int | None = None,
    network_bucket: str | None = None,
) -> CastResult:
    """Seal the ballot and store the envelope with the participation, or nothing.

    The marks are sealed in memory with the edition's public key (padded to the edition's one
    length); only the sealed bytes and the receipt code's SHA-256 are stored. Raises PhaseClosed
    outside the voting window, before the key ceremony or once the box is open, BallotRefused
    when a group's rule is broken, AccountInactive when `account_id` (the account that cast it
    online) is deactivated, and AlreadyVoted when this voter key has voted in the edition (by
    either channel, even a moment ago in another session). A refusal writes nothing.

    Flushes into the caller's transaction (the request's unit of work commits it).
    """
    if voter.edition_id != definition.edition_id:
        raise InvalidInput(_("This verification is for another edition; verify again."))
    require_open(definition, now)
    # Once counting started no ballot enters. On PostgreSQL the cast statement checks it itself,
    # under the box's row lock; elsewhere it is read here.
    if db.session.get_bind().dialect.name != "postgresql":
        fresh = db.session.get(Edition, definition.edition_id, populate_existing=True)
        if fresh is None or not fresh.accepts_ballots(now):
            raise PhaseClosed(_("Counting has started in this edition; no ballot can be added."))
    problems = check_marks(definition, voter.district_id, marks)
    if problems:
        raise BallotRefused(problems)
    code, envelope = _seal(definition, marks)
    _write(
        definition,
        voter,
        envelope,
        channel=channel,
        now=now,
        account_id=account_id,
        network_bucket=network_bucket,
    )
    return CastResult(code, local_day(definition.timezone, now))


def _paper_place(official: User, polling_place: str) -> str:
    require_role(official, Role.OFFICIAL)
    place = (polling_place or "").strip()
    if not place:
        raise InvalidInput(_("Name the polling place."), field="polling_place")
    return place[:120]


def check_in(
    definition: BallotDefinition,
    voter: VerifiedVoter,
    *,
    official: User,
    polling_place: str,
    now: datetime,
) -> None:
    """The check-in desk: an official verified the person in front of them; their participation
    is recorded (the same uniqueness as online) and they get a blank ballot sheet. No ballot is
    written here: the sheet goes into the box and is entered at the ballot-entry desk."""
    place = _paper_place(official, polling_place)
    if voter.edition_id != definition.edition_id:
        raise InvalidInput(_("This verification is for another edition; verify again."))
    require_open(definition, now)
    _write(
        definition,
        voter,
        None,
        channel=Channel.PAPER,
        now=now,
        account_id=None,
        network_bucket=None,
    )
    audit.record(
        official,
        "paper.check_in",
        audit.Subject(Edition.audit_type, definition.edition_id),
        after={"polling_place": place, "voter": voter.voter_key[:12]},
        now=now,
    )


def enter_sheet(
    definition: BallotDefinition,
    district_id: int | None,
    marks: Mapping[int, int],
    *,
    official: User,
    now: datetime,
) -> None:
    """The ballot-entry desk: one paper sheet from the box, with no identity; sealed like an
    online ballot. At most as many sheets as paper check-ins. Not audited one by one: the desk
    records how many sheets an official entered (see `record_sheet_batch`)."""
    require_role(official, Role.OFFICIAL)
    if definition.public_key is None:
        raise PhaseClosed(_("This edition has no election key: its ballot box does not exist."))
    if now < definition.voting_starts_at:
        raise PhaseClosed(_("Voting in this edition has not started yet."))
    problems = check_marks(definition, district_id, marks)
    if problems:
        raise BallotRefused(problems)
    box = db.session.scalar(
        select(BallotBox).where(BallotBox.edition_id == definition.edition_id).with_for_update()
    )
    if box is None or box.opened_at is not None:
        raise PhaseClosed(_("The ballot box of this edition is open: nothing more can be entered."))
    checked_in = paper_check_ins(definition.edition_id)
    if box.paper_sheets >= checked_in:
        raise InvalidInput(
            _(
                "Every paper check-in already has its sheet entered (%(n)d): a further sheet "
                "would be a ballot nobody checked in for.",
                n=checked_in,
            )
        )
    _code, envelope = _seal(definition, marks)
    db.session.execute(insert(Envelope.__table__).values(envelope))
    box.paper_sheets += 1
    db.session.flush()


def record_sheet_batch(
    definition: BallotDefinition, *, official: User, polling_place: str, sheets: int, now: datetime
) -> None:
    """The audit entry of a batch of sheets: who entered how many, never which."""
    place = _paper_place(official, polling_place)
    if sheets <= 0:
        return
    audit.record(
        official,
        "paper.sheets_enter",
        audit.Subject(Edition.audit_type, definition.edition_id),
        after={"polling_place": place, "sheets": sheets},
        now=now,
    )


# --- receipts ------------------------------------------------------------------------------------------


def receipt_is_counted(code: str) -> bool:
    """Whether an envelope with this receipt is (or was, before the count) in the ballot box;
    nothing about its content."""
    from pb.voting.ballot_box import receipt_in_box

    return receipt_in_box(receipt_hash(code))
