from datetime import UTC, datetime

from pb.audit.models import GENESIS_HASH, canonical_json, entry_digest

FIELDS = dict(
    prev_hash=GENESIS_HASH,
    created_at=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
    actor_label="official@example.cz",
    action="proposal.review",
    object_type="proposal",
    object_id="7",
    before=canonical_json({"status": "submitted"}),
    after=canonical_json({"status": "eligible"}),
)


def test_digest_is_stable_and_hex():
    digest = entry_digest(**FIELDS)
    assert digest == entry_digest(**FIELDS)
    assert len(digest) == 64 and int(digest, 16) >= 0


def test_any_field_change_changes_the_digest():
    original = entry_digest(**FIELDS)
    for key, value in [
        ("prev_hash", "1" * 64),
        ("actor_label", "someone@else"),
        ("action", "proposal.delete"),
        ("object_id", "8"),
        ("after", canonical_json({"status": "ineligible"})),
    ]:
        assert entry_digest(**{**FIELDS, key: value}) != original, key


def test_canonical_json_orders_keys_and_keeps_czech_letters():
    assert canonical_json({"b": 1, "a": "ž"}) == '{"a":"ž","b":1}'
