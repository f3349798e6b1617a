"""The ballot box of an edition: its key ceremony, the shares, the bulletin board, the opening.

The key ceremony (before voting opens): a commission member creates the edition's X25519 key pair;
the private key is split k-of-n (SLIP-39) among the commission members who have a member key, each
share sealed to that member's key, and the private key is forgotten. Only the public key, its
fingerprint and the sealed shares are stored. A member collects his share once with his password
(which unwraps his member key); the sealed share is then deleted.

The opening (after voting ends): k members enter their shares; the envelopes are read in one
transaction, shuffled with a CSPRNG and opened in memory; the plain ballots are written in that
order, in one new transaction, with fresh random ids (sorted along the shuffled order) and nothing
from the envelope; the receipt hashes go to the bulletin board in hash order; the envelopes are
deleted and the table vacuumed.
The box is then open for good: no envelope can be added, and it cannot be opened again.
"""

from __future__ import annotations

import gc
import secrets
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from nacl.public import PrivateKey
from sqlalchemy import Engine, delete, func, insert, select, text, update

from pb.accounts.models import Role, User
from pb.accounts.operations import password_matches, require_role
from pb.audit import chain as audit
from pb.core.errors import Conflict, InvalidInput, NotFound, PhaseClosed
from pb.core.extensions import db
from pb.core.unit_of_work import add_unless_taken
from pb.editions.models import Edition
from pb.proposals.models import Proposal
from pb.voting import sealing
from pb.voting.models import (
    Ballot,
    BallotBox,
    BallotChoice,
    BulletinEntry,
    Channel,
    Envelope,
    KeyShare,
    MemberKey,
    Participation,
    new_ballot_id,
)

DEFAULT_THRESHOLD = 2
OPEN_BATCH = 5000  # envelopes opened and written per batch while opening
# The demo's key, documented in the README: NEVER used outside `flask pb demo`.
DEMO_SEED = b"pb-demo-only-election-key-seed-2024"

# What the opening writes: a plain ballot (id, edition) and a mark (ballot, proposal, group, value).
BallotRow = tuple[str, int]
ChoiceRow = tuple[str, int, int, int]
# Their columns' types in PostgreSQL, for binary COPY.
BALLOT_TYPES = ("varchar", "int4")
CHOICE_TYPES = ("varchar", "int4", "int4", "int4")
BULLETIN_TYPES = ("varchar", "int4")


# --- member keys ------------------------------------------------------------------------------------


def kdf_cost() -> sealing.KdfCost:
    return sealing.KDF_COSTS[current_app.config.get("PB_SHARE_KDF", "interactive")]


def member_key(user: User) -> MemberKey | None:
    return db.session.get(MemberKey, user.id)


def create_member_key(user: User, password: str, *, now: datetime) -> MemberKey:
    """A commission member prepares to receive shares: his key pair, the private half wrapped
    under his password. The password is checked against his account first."""
    require_role(user, Role.COMMISSION)
    if not password_matches(user, password or ""):
        raise InvalidInput(_("This is not your password."), field="password")
    if member_key(user) is not None:
        raise Conflict(_("You already have a key for receiving shares."))
    wrapped = sealing.new_member_key(password, kdf_cost())
    # the row keeps the wrapped key field for field, as sealing made it
    key = MemberKey(user_id=user.id, created_at=now, **asdict(wrapped))
    db.session.add(key)
    db.session.flush()
    audit.record(user, "member_key.create", user, now=now)
    return key


# --- the ceremony -----------------------------------------------------------------------------------


def ballot_box(edition_id: int) -> BallotBox | None:
    return db.session.get(BallotBox, edition_id)


def members_ready() -> tuple[list[User], list[User]]:
    """Active commission members with a member key, and those still without one."""
    members = list(
        db.session.scalars(
            select(User)
            .where(User.role == Role.COMMISSION, User.is_active_account.is_(True))
            .order_by(User.id)
        )
    )
    keyed = set(db.session.scalars(select(MemberKey.user_id)))
    return [m for m in members if m.id in keyed], [m for m in members if m.id not in keyed]


@dataclass(frozen=True)
class Ceremony:
    box: BallotBox
    members: tuple[User, ...]


def hold_ceremony(
    edition: Edition,
    *,
    actor: User,
    now: datetime,
    threshold: int | None = None,
    demo_seed: bytes | None = None,
    check_phase: bool = True,
) -> Ceremony:
    """Create the edition's key and seal one share to every ready member; forget the key.

    `demo_seed` and `check_phase=False` are for `flask pb demo` only (its finished edition gets
    its key as if the ceremony had been held before its voting)."""
    require_role(actor, Role.COMMISSION)
    if check_phase and now >= edition.voting_ends_at:
        raise PhaseClosed(_("Voting in this edition has ended; it can no longer get a key."))
    already = _("This edition already has its election key.")
    if ballot_box(edition.id) is not None:
        raise Conflict(already)
    k = threshold or int(current_app.config.get("PB_KEY_THRESHOLD", DEFAULT_THRESHOLD))
    ready, _missing = members_ready()
    if len(ready) < max(k, 2):
        raise InvalidInput(
            _(
                "The key is split among the commission members who prepared a key for receiving "
                "shares; %(k)d are needed and %(n)d have one.",
                k=max(k, 2),
                n=len(ready),
            )
        )
    if demo_seed is not None:
        master = sealing.hashlib.sha256(demo_seed + b":master").digest()[
            : sealing.MASTER_SECRET_BYTES
        ]
    else:
        master = sealing.new_master_secret()
    public = bytes(sealing.private_key_of(master).public_key)
    mnemonics = sealing.split_secret(master, k, len(ready), seed=demo_seed)
    del master
    keys = {m.user_id: m for m in db.session.scalars(select(MemberKey))}
    box = BallotBox(
        edition_id=edition.id,
        public_key=public,
        fingerprint=sealing.fingerprint(public),
        threshold=k,
        share_count=len(ready),
        created_at=now,
        created_by_id=actor.id,
        paper_sheets=0,
    )
    # Two members pressing the button at once: the box's key (the edition) lets one in; the
    # other is refused as if it had come a moment later, and nothing of its key is kept.
    add_unless_taken(box, already)
    for member, mnemonic in zip(ready, mnemonics, strict=True):
        db.session.add(
            KeyShare(
                edition_id=edition.id,
                member_id=member.id,
                sealed_share=sealing.seal_share(keys[member.id].public_key, mnemonic),
            )
        )
    del mnemonics
    db.session.flush()
    audit.record(
        actor,
        "ballot_box.create",
        edition,
        after={
            "fingerprint": box.fingerprint,
            "threshold": k,
            "members": [m.email for m in ready],
        },
        now=now,
    )
    return Ceremony(box, tuple(ready))


def demo_shares(count: int = 3, threshold: int = DEFAULT_THRESHOLD) -> list[str]:
    """The demo commission's shares (README): the same split `hold_ceremony` makes from DEMO_SEED."""
    master = sealing.hashlib.sha256(DEMO_SEED + b":master").digest()[: sealing.MASTER_SECRET_BYTES]
    return sealing.split_secret(master, threshold, count, seed=DEMO_SEED)


def share_of(edition_id: int, member: User) -> KeyShare | None:
    return db.session.scalar(
        select(KeyShare).where(KeyShare.edition_id == edition_id, KeyShare.member_id == member.id)
    )


def collect_share(edition: Edition, member: User, password: str, *, now: datetime) -> str:
    """The member's share, once: unwrapped with his password, then deleted from the database."""
    require_role(member, Role.COMMISSION)
    share = share_of(edition.id, member)
    if share is None:
        raise NotFound(_("You hold no share of this edition's key."))
    if share.sealed_share is None:
        raise Conflict(
            _(
                "You have already collected your share; it is not kept anywhere, so it cannot be shown again."
            )
        )
    key = member_key(member)
    private = (
        sealing.unwrap_member_key(
            password or "", key.wrapped_private_key, key.salt, key.opslimit, key.memlimit
        )
        if key is not None
        else None
    )
    if private is None:
        raise InvalidInput(_("This is not your password."), field="password")
    mnemonic = sealing.open_share(private, share.sealed_share)
    share.sealed_share = None
    share.received_at = now
    db.session.flush()
    audit.record(member, "key_share.collect", edition, now=now)
    return mnemonic


# --- casting into the box ----------------------------------------------------------------------------


def paper_check_ins(edition_id: int) -> int:
    """How many people were checked in at the paper desks: no more sheets than that go in."""
    return db.session.execute(
        select(func.count())
        .select_from(Participation)
        .where(Participation.edition_id == edition_id, Participation.channel == Channel.PAPER)
    ).scalar_one()


def paper_sheets_allowed(edition_id: int) -> int:
    """How many more paper sheets may be entered: paper check-ins minus sheets entered."""
    checked_in = paper_check_ins(edition_id)
    box = ballot_box(edition_id)
    return checked_in - (box.paper_sheets if box else 0)


# --- the bulletin board -------------------------------------------------------------------------------


def bulletin_board(edition_id: int) -> list[str]:
    """Every receipt hash in the box (before the count) or that was (after), in hash order."""
    sealed = db.session.scalars(
        select(Envelope.receipt_hash)
        .where(Envelope.edition_id == edition_id)
        .order_by(Envelope.receipt_hash)
    )
    opened = db.session.scalars(
        select(BulletinEntry.receipt_hash)
        .where(BulletinEntry.edition_id == edition_id)
        .order_by(BulletinEntry.receipt_hash)
    )
    return sorted([*sealed, *opened])


def receipt_in_box(digest: str) -> bool:
    found = db.session.scalar(select(Envelope.id).where(Envelope.receipt_hash == digest))
    if found is not None:
        return True
    return (
        db.session.scalar(
            select(BulletinEntry.receipt_hash).where(BulletinEntry.receipt_hash == digest)
        )
        is not None
    )


# --- opening the box -----------------------------------------------------------------------------------


def is_open(edition_id: int) -> bool:
    box = ballot_box(edition_id)
    return box is not None and box.opened_at is not None


def require_opened(edition: Edition) -> None:
    """For the count: an edition whose ballots are sealed is counted only once its box is open."""
    box = ballot_box(edition.id)
    if box is not None and box.opened_at is None:
        raise PhaseClosed(
            _(
                "The ballot box is still sealed. %(k)d commission members open it with their "
                "shares of the key first.",
                k=box.threshold,
            )
        )


def _lock_box(edition_id: int) -> BallotBox:
    box = db.session.scalar(
        select(BallotBox)
        .where(BallotBox.edition_id == edition_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if box is None:  # its edition was deleted since the box was read
        raise NotFound(_("This edition has no ballot box: it never had an election key."))
    return box


def _private_key_from(box: BallotBox, shares: Sequence[str]) -> PrivateKey:
    entered = [s for s in shares if sealing.normalise_share(s)]
    if len(entered) < box.threshold:
        raise InvalidInput(
            _(
                "The box opens with %(k)d shares of the key. Shares entered: %(n)d.",
                k=box.threshold,
                n=len(entered),
            ),
            field="shares",
        )
    try:
        master = sealing.combine_shares(entered)
    except sealing.ShareError:
        raise InvalidInput(
            _(
                "These shares do not rebuild a key: a word is mistyped, a share is entered twice, "
                "or the shares belong to different keys. Nothing was opened."
            ),
            field="shares",
        ) from None
    private = sealing.private_key_of(master)
    del master
    if bytes(private.public_key) != bytes(box.public_key):
        raise InvalidInput(
            _("These shares rebuild another key, not this edition's. Nothing was opened."),
            field="shares",
        )
    return private


def open_ballot_box(edition: Edition, shares: Sequence[str], *, actor: User, now: datetime) -> int:
    """Open the edition's box with k shares; returns how many ballots it held.

    Commits: the reading, the writing of the plain ballots and the vacuum are three steps of
    their own (see the module's docstring); a refusal changes nothing.
    """
    require_role(actor, Role.COMMISSION)
    box = ballot_box(edition.id)
    if box is None:
        raise NotFound(_("This edition has no ballot box: it never had an election key."))
    if now < edition.voting_ends_at:
        raise PhaseClosed(_("The ballot box opens only after voting ends."))
    if box.opened_at is not None:
        raise Conflict(_("The ballot box of this edition is already open."))
    private = _private_key_from(box, shares)
    open_one = sealing.opener(private)
    del private

    # 1. Read every envelope in one transaction (voting is over: nothing is cast meanwhile).
    # Core statements on the session's connection (plain tuples, no ORM row machinery), streamed
    # in batches so that the driver never holds a second copy of the whole box.
    connection = db.session.connection()
    on_postgresql = connection.dialect.name == "postgresql"
    sealed = [
        bytes(s)
        for s in connection.execute(
            select(Envelope.sealed)
            .where(Envelope.edition_id == edition.id)
            .execution_options(yield_per=OPEN_BATCH)
        ).scalars()
    ]
    receipts = sorted(
        connection.execute(
            select(Envelope.receipt_hash)
            .where(Envelope.edition_id == edition.id)
            .execution_options(yield_per=OPEN_BATCH)
        ).scalars()
    )
    # Deliberate commit (secrecy): the reading transaction ends here, so the plain ballots are
    # written in a transaction of their own, sharing no transaction id or snapshot with the
    # envelopes they come from.
    db.session.commit()
    # 2. Shuffle (CSPRNG); in a new transaction, under the box's row lock (so a straggling cast or
    # a second opening waits and then finds the box open), open each envelope in memory and
    # write the plain ballots in the shuffled order with fresh random ids.
    secrets.SystemRandom().shuffle(sealed)
    box = _lock_box(edition.id)
    in_box = db.session.scalar(
        select(func.count()).select_from(Envelope).where(Envelope.edition_id == edition.id)
    )
    if box.opened_at is not None or in_box != len(sealed):
        # Nothing is written yet in this transaction; the boundary's rollback lets go of the
        # box's row lock (a second opening, or a straggling cast, waits on it).
        raise Conflict(_("The ballot box changed while it was being opened. Open it again."))
    group_of = dict(
        db.session.execute(
            select(Proposal.id, Proposal.category_id).where(Proposal.edition_id == edition.id)
        ).all()
    )
    total = len(sealed)
    # Fresh random ids, drawn before any envelope is opened, one per position of the shuffled
    # order. Sorted, so that the ballots, their choices and both primary keys are written in key
    # order (each insert and each key check lands where the last one did, instead of anywhere
    # in the index). An id then tells the position its ballot has in the shuffled order, which
    # the shuffle drew and which the row's place in the table shows anyway; nothing else.
    ballot_ids = sorted(new_ballot_id() for _ in range(total))
    write = _copy_batch if on_postgresql else _insert_batch
    batches = _opened_batches(open_one, sealed, ballot_ids, edition.id, group_of)
    # The next batch of envelopes is opened in a worker thread while the database checks and
    # stores the one before (libsodium lets go of the interpreter's lock), so the two overlap; an
    # error in the worker is raised by result(), and leaving the block waits for the worker.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="ballot-box-opening") as opener:
        upcoming = opener.submit(next, batches, None)
        while (batch := upcoming.result()) is not None:
            upcoming = opener.submit(next, batches, None)
            write(*batch)
    del open_one, sealed, ballot_ids, batches
    if on_postgresql:
        _copy_rows(
            "COPY bulletin_entry (receipt_hash, edition_id) FROM STDIN (FORMAT BINARY)",
            ((r, edition.id) for r in receipts),
            BULLETIN_TYPES,
        )
    else:
        for start in range(0, len(receipts), OPEN_BATCH):
            db.session.execute(
                insert(BulletinEntry.__table__),
                [
                    {"receipt_hash": r, "edition_id": edition.id}
                    for r in receipts[start : start + OPEN_BATCH]
                ],
            )
    db.session.execute(delete(Envelope).where(Envelope.edition_id == edition.id))
    db.session.execute(
        update(BallotBox)
        .where(BallotBox.edition_id == edition.id)
        .values(opened_at=now, opened_envelopes=total)
    )
    db.session.execute(
        update(KeyShare).where(KeyShare.edition_id == edition.id).values(sealed_share=None)
    )
    # Opening the box is where the count starts: the one-way door (no ballot, no reopening).
    if edition.count_started_at is None:
        edition.count_started_at = now.replace(microsecond=0)
    # The paper sheets entered in all (the batches in the log should add up to it).
    audit.record(
        actor,
        "ballot_box.open",
        edition,
        after={"envelopes": total, "shares": box.threshold, "paper_sheets": box.paper_sheets},
        now=now,
    )
    # Deliberate commit (secrecy): the plain ballots, the bulletin board, the deleted envelopes
    # and the open box are one step, and it must be committed before the vacuum, which can only
    # reclaim the envelopes' row versions once no transaction holds them.
    db.session.commit()
    gc.collect()
    # 3. Reclaim the deleted envelopes' row versions (and give the plain ballots' tables their
    # planner statistics).
    vacuum_envelopes()
    return total


def _opened_batches(
    open_one: Callable[[bytes], dict[int, int]],
    sealed: list[bytes],
    ballot_ids: Sequence[str],
    edition_id: int,
    group_of: dict[int, int],
) -> Iterator[tuple[list[BallotRow], list[ChoiceRow]]]:
    """The envelopes opened in the order given, a batch at a time: each becomes the plain ballot
    with the id at its position and its marks. Each envelope is dropped from the list once its
    marks are out."""
    for start in range(0, len(sealed), OPEN_BATCH):
        ballots: list[BallotRow] = []
        choices: list[ChoiceRow] = []
        for position in range(start, min(start + OPEN_BATCH, len(sealed))):
            marks = open_one(sealed[position])
            sealed[position] = b""
            ballot_id = ballot_ids[position]
            ballots.append((ballot_id, edition_id))
            choices.extend(
                (ballot_id, pid, group_of[pid], value) for pid, value in sorted(marks.items())
            )
        yield ballots, choices


def _insert_batch(ballots: list[BallotRow], choices: list[ChoiceRow]) -> None:
    """Plain ballots and their choices, in the order given, as multi-row inserts."""
    if ballots:
        db.session.execute(
            insert(Ballot.__table__), [{"id": i, "edition_id": e} for i, e in ballots]
        )
    if choices:
        db.session.execute(
            insert(BallotChoice.__table__),
            [
                {"ballot_id": b, "proposal_id": p, "category_id": c, "value": v}
                for b, p, c, v in choices
            ],
        )


def _copy_batch(ballots: list[BallotRow], choices: list[ChoiceRow]) -> None:
    """On PostgreSQL: plain ballots and their choices by binary COPY, in the order given (the
    server then parses no text; the types are the columns' own, and COPY refuses any other)."""
    _copy_rows("COPY ballot (id, edition_id) FROM STDIN (FORMAT BINARY)", ballots, BALLOT_TYPES)
    _copy_rows(
        "COPY ballot_choice (ballot_id, proposal_id, category_id, value) FROM STDIN (FORMAT BINARY)",
        choices,
        CHOICE_TYPES,
    )


def _copy_rows(
    statement: str, rows: Iterable[tuple[Any, ...]], types: Sequence[str] | None = None
) -> None:
    """On PostgreSQL: rows by COPY on the session's connection, in its transaction (one stream
    instead of thousands of bound parameters); the rows keep the order given. A binary COPY
    names its columns' types."""
    driver = db.session.connection().connection.driver_connection
    assert driver is not None  # the session's connection, checked out just above, is live
    with driver.cursor() as cursor, cursor.copy(statement) as copy:
        if types is not None:
            copy.set_types(types)
        for row in rows:
            copy.write_row(row)


def vacuum_envelopes() -> None:
    # Flask-SQLAlchemy's get_bind() answers the app's Engine when asked for no particular bind;
    # its signature also allows the Connection a caller may pass in.
    engine: Engine = db.session.get_bind()  # type: ignore[assignment]
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM envelope, key_share"))
            # The plain ballots arrived all at once and the count reads them next: it is planned
            # on their real number (a merge over both keys) rather than on the empty tables'.
            connection.execute(text("ANALYZE ballot, ballot_choice"))
    elif engine.dialect.name == "sqlite":
        # SQLite vacuums only when no transaction is open on the file: the opening has just
        # committed its own. Deleted rows were zeroed already (secure_delete, pb/core/extensions).
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("VACUUM")


def participation_count(edition_id: int) -> int:
    return db.session.execute(
        select(func.count())
        .select_from(Participation)
        .where(Participation.edition_id == edition_id)
    ).scalar_one()
