"""The audit chain holds under concurrent writers and is anchored by published heads.

Each writer takes the lock on the single head row in its own transaction; a published head
(number and hash) that is no longer in the chain shows a truncation or a rewrite.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, text

from pb.accounts.models import Role, User
from pb.audit import chain as audit
from pb.audit.models import AuditEntry, AuditHead
from pb.core.extensions import db
from pb.editions.models import Edition, Phase
from pb.editions.operations import CriterionInput, save_criterion
from tests.factories import make_edition, make_user

NOW = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)
WRITERS = 100


def write_entries(n: int, start: int = 0) -> list[AuditEntry]:
    official = make_user(Role.OFFICIAL)
    made = [
        audit.record(
            official,
            "proposal.review",
            audit.Subject("proposal", i),
            after={"decision": "eligible"},
            now=NOW + timedelta(minutes=i),
        )
        for i in range(start + 1, start + n + 1)
    ]
    db.session.commit()
    return made


@pytest.mark.only_on("postgresql")
@pytest.mark.parametrize("app_config", [{"SQLALCHEMY_ENGINE_OPTIONS": {"pool_size": 25}}])
def test_a_hundred_concurrent_official_actions_chain_intact_with_every_entry(app, backend):
    admin = make_user(Role.ADMIN)
    edition = make_edition(Phase.PREPARATION, now=NOW)
    db.session.commit()
    admin_id, edition_id = admin.id, edition.id
    barrier = threading.Barrier(WRITERS, timeout=60)
    failures: list[BaseException] = []

    def one_official(n: int) -> None:
        with app.app_context():
            try:
                barrier.wait()  # all at once; a pool of 25 connections then lets 25 race
                actor = db.session.get(User, admin_id)
                target = db.session.get(Edition, edition_id)
                save_criterion(actor, target, None, CriterionInput(name=f"Kritérium {n}"), NOW)
                db.session.commit()
            except BaseException as error:  # noqa: BLE001 - reported below
                failures.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=one_official, args=(n,)) for n in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert failures == []
    entries = list(db.session.scalars(select(AuditEntry).order_by(AuditEntry.seq)))
    assert len(entries) == WRITERS
    assert [e.seq for e in entries] == list(range(1, WRITERS + 1))
    assert len({e.prev_hash for e in entries}) == WRITERS  # no two chained onto one predecessor
    report = audit.verify_chain([audit.current_head()])
    assert report.intact, report.problem
    assert report.entries == WRITERS


def test_the_head_row_follows_the_newest_entry(app, backend):
    made = write_entries(3)
    assert audit.current_head() == audit.Head(3, made[-1].entry_hash)
    assert db.session.get(AuditHead, 1).seq == 3


def test_a_rolled_back_action_leaves_neither_entry_nor_head_move(app, backend):
    write_entries(2)
    official = make_user(Role.OFFICIAL)
    audit.record(official, "x.y", audit.Subject("x", 1), now=NOW)
    db.session.rollback()
    assert audit.current_head().seq == 2
    write_entries(1, start=10)
    assert audit.verify_chain().intact


def test_truncation_is_caught_against_a_published_head(app, backend):
    write_entries(5)
    published = audit.current_head()
    db.session.execute(text("DELETE FROM audit_entry WHERE seq > 2"))
    # A careful forger also winds the head row back.
    db.session.execute(
        text(
            "UPDATE audit_head SET seq = 2, entry_hash = (SELECT entry_hash FROM audit_entry WHERE seq = 2)"
        )
    )
    db.session.commit()
    assert audit.verify_chain().intact  # without the published head nothing shows
    report = audit.verify_chain([published])
    assert not report.intact
    assert "truncated" in report.problem and "5" in report.problem


def test_a_rewritten_chain_is_caught_against_a_published_head(app, backend):
    write_entries(4)
    published = audit.current_head()
    db.session.execute(text("DELETE FROM audit_entry"))
    db.session.execute(text("DELETE FROM audit_head"))
    db.session.commit()
    # The forger writes a new, self-consistent chain of the same length.
    official = make_user(Role.OFFICIAL, email="forger@example.org")
    for i in range(4):
        audit.record(
            official,
            "proposal.review",
            audit.Subject("proposal", i),
            after={"decision": "ineligible"},
            now=NOW,
        )
    db.session.commit()
    assert audit.verify_chain().intact
    report = audit.verify_chain([published])
    assert not report.intact and "rewritten" in report.problem


def test_cli_verify_against_a_head_and_a_file_of_heads(app, backend, runner, tmp_path):
    write_entries(3)
    first = audit.current_head()
    write_entries(2, start=3)
    second = audit.current_head()
    heads = tmp_path / "heads.txt"
    heads.write_text(f"# kept by an observer\n{first}\n{second}\n")
    ok = runner.invoke(args=["pb", "audit", "verify", "--heads", str(heads)])
    assert ok.exit_code == 0, ok.output
    assert "5 entries" in ok.output and "2 published heads" in ok.output
    db.session.execute(text("DELETE FROM audit_entry WHERE seq = 5"))
    db.session.execute(
        text(
            "UPDATE audit_head SET seq = 4, entry_hash = (SELECT entry_hash FROM audit_entry WHERE seq = 4)"
        )
    )
    db.session.commit()
    cut = runner.invoke(args=["pb", "audit", "verify", "--head", str(second)])
    assert cut.exit_code == 1 and "truncated" in cut.output
    bad = runner.invoke(args=["pb", "audit", "verify", "--head", "5:xyz"])
    assert bad.exit_code == 2 and "64 hexadecimal" in bad.output


def test_anchor_command_publishes_the_head_and_each_phase_change(app, backend, runner):
    edition = make_edition(Phase.SUBMISSION, now=datetime.now(UTC))
    write_entries(2)
    db.session.commit()
    result = runner.invoke(args=["pb", "audit", "anchor"])
    assert result.exit_code == 0, result.output
    assert "2:" in result.output
    found = audit.anchors()
    assert {(a.reason, a.edition_slug, a.phase) for a in found} == {
        ("scheduled", None, None),
        ("phase", edition.slug, "submission"),
    }
    again = runner.invoke(args=["pb", "audit", "anchor"])
    assert again.exit_code == 0
    # The phase did not change: only the regular anchor is added.
    assert [a.reason for a in audit.anchors()].count("phase") == 1


def test_public_entries_verify_without_personal_data(app, backend):
    import hashlib
    import json

    write_entries(3)
    entries = audit.public_entries()
    text_of_all = json.dumps(entries)
    assert "@" not in text_of_all  # no actor e-mail
    previous = "0" * 64
    for n, entry in enumerate(entries, 1):
        payload = json.dumps(
            [
                previous,
                n,
                entry["created_at"],
                entry["action"],
                entry["object_type"],
                entry["object_id"],
                entry["body_sha256"],
            ],
            sort_keys=True,
            separators=(",", ":"),
            ensure_ascii=False,
        )
        assert hashlib.sha256(payload.encode()).hexdigest() == entry["entry_hash"]
        assert entry["prev_hash"] == previous
        previous = entry["entry_hash"]
