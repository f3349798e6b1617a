from datetime import UTC, datetime

from pb.audit.models import GENESIS_HASH, body_digest, canonical_json, entry_digest

BODY = dict(
    actor_label="official@example.cz",
    before=canonical_json({"status": "submitted"}),
    after=canonical_json({"status": "eligible"}),
)
FIELDS = dict(
    prev_hash=GENESIS_HASH,
    seq=1,
    created_at=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
    action="proposal.review",
    object_type="proposal",
    object_id="7",
    body_sha256=body_digest(**BODY),
)


def test_digest_is_stable_and_hex():
    digest = entry_digest(**FIELDS)
    assert digest == entry_digest(**FIELDS)
    assert len(digest) == 64 and int(digest, 16) >= 0


def test_any_field_change_changes_the_digest():
    original = entry_digest(**FIELDS)
    for key, value in [
        ("prev_hash", "1" * 64),
        ("seq", 2),
        ("action", "proposal.delete"),
        ("object_id", "8"),
        ("body_sha256", body_digest(**{**BODY, "actor_label": "someone@else"})),
        ("body_sha256", body_digest(**{**BODY, "after": canonical_json({"status": "x"})})),
    ]:
        assert entry_digest(**{**FIELDS, key: value}) != original, key


def test_the_documented_algorithm_reproduces_the_digest():
    """An observer's own script (README, "Verifying the audit log") gives the same hash."""
    import hashlib
    import json

    def cj(value):
        return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)

    body = hashlib.sha256(
        cj([BODY["actor_label"], BODY["before"], BODY["after"]]).encode()
    ).hexdigest()
    payload = cj(
        [GENESIS_HASH, 1, "2026-01-02T03:04:05Z", "proposal.review", "proposal", "7", body]
    )
    assert hashlib.sha256(payload.encode()).hexdigest() == entry_digest(**FIELDS)


def test_canonical_json_orders_keys_and_keeps_czech_letters():
    assert canonical_json({"b": 1, "a": "ž"}) == '{"a":"ž","b":1}'
