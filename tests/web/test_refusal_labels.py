"""Every reason a verification or a ballot is refused for has a label in the anomaly report."""

from __future__ import annotations

import re
from pathlib import Path

from pb.results.presenters import REFUSAL_LABELS

PB = Path(__file__).resolve().parents[2] / "pb"
REASON = re.compile(r"""\breason\s*=\s*["']([a-z_]+)["']""")


def test_every_refusal_reason_in_the_code_has_a_label():
    reasons = {
        found
        for path in PB.rglob("*.py")
        for found in REASON.findall(path.read_text(encoding="utf-8"))
    }
    reasons |= {"account_other_person", "person_other_account", "eid_failed", "already_voted"}
    assert reasons - set(REFUSAL_LABELS) == set()


def test_the_labels_of_the_account_and_eid_refusals_are_translated(app):
    from flask_babel import force_locale

    new = [
        "factor_missing",
        "factor_wrong",
        "contact_used",
        "account_other_person",
        "person_other_account",
        "eid_failed",
        "eid_no_id",
        "eid_not_in_registry",
        "eid_not_accepted",
    ]
    with app.test_request_context():
        with force_locale("en"):
            english = {reason: str(REFUSAL_LABELS[reason]) for reason in new}
        for language in ("cs", "sk", "pl"):
            with force_locale(language):
                untranslated = [r for r in new if str(REFUSAL_LABELS[r]) == english[r]]
            assert untranslated == [], language
