"""The audit log is a hash chain: any alteration, deletion or reordering is found and named."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import select, text

from pb.accounts.models import Role
from pb.audit import chain as audit
from pb.audit.models import AuditEntry
from pb.core.extensions import db
from tests.factories import make_user

NOW = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)


def write_entries(n: int = 5) -> list[AuditEntry]:
    official = make_user(Role.OFFICIAL)
    entries = [
        audit.record(
            official,
            "proposal.review",
            audit.Subject("proposal", i),
            before={"status": "submitted"},
            after={"decision": "eligible", "note": f"Splňuje kritéria č. {i}"},
            now=NOW + timedelta(minutes=i),
        )
        for i in range(1, n + 1)
    ]
    db.session.commit()
    return entries


def test_an_untouched_chain_verifies(app, backend):
    write_entries()
    report = audit.verify_chain()
    assert report.intact and report.entries == 5


def test_each_entry_links_to_the_previous_hash(app, backend):
    entries = write_entries(3)
    assert entries[1].prev_hash == entries[0].entry_hash
    assert entries[2].prev_hash == entries[1].entry_hash


def test_an_altered_entry_is_named(app, backend):
    entries = write_entries()
    db.session.execute(
        text("UPDATE audit_entry SET after = :v WHERE id = :id"),
        {"v": '{"decision":"ineligible"}', "id": entries[2].id},
    )
    db.session.commit()
    report = audit.verify_chain()
    assert report.first_broken_id == entries[2].id
    assert "hash" in report.problem


def test_a_deleted_entry_breaks_the_next_link(app, backend):
    entries = write_entries()
    db.session.execute(text("DELETE FROM audit_entry WHERE id = :id"), {"id": entries[1].id})
    db.session.commit()
    assert audit.verify_chain().first_broken_id == entries[2].id


def test_reordered_entries_are_found(app, backend):
    entries = write_entries()
    first, second = entries[1].id, entries[2].id
    db.session.execute(text("UPDATE audit_entry SET id = -1 WHERE id = :a"), {"a": first})
    db.session.execute(
        text("UPDATE audit_entry SET id = :a WHERE id = :b"), {"a": first, "b": second}
    )
    db.session.execute(text("UPDATE audit_entry SET id = :b WHERE id = -1"), {"b": second})
    db.session.commit()
    assert audit.verify_chain().first_broken_id == first


def test_cli_verify_exits_non_zero_and_names_the_entry(runner, app, backend):
    entries = write_entries()
    ok = runner.invoke(args=["pb", "audit", "verify"])
    assert ok.exit_code == 0 and "5 entries" in ok.output
    db.session.execute(
        text("UPDATE audit_entry SET actor_label = 'intruder' WHERE id = :id"),
        {"id": entries[3].id},
    )
    db.session.commit()
    broken = runner.invoke(args=["pb", "audit", "verify"])
    assert broken.exit_code == 1
    assert f"entry {entries[3].id}" in broken.output


def test_entries_keep_the_actor_and_the_values_before_and_after(app, backend):
    write_entries(1)
    entry = db.session.scalar(select(AuditEntry))
    assert entry.actor_label.startswith("official")
    assert '"status":"submitted"' in entry.before
    assert "č. 1" in entry.after
