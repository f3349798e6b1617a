"""Who may vote: the registry, declaration and contact policies, ages and one-time codes."""

from __future__ import annotations

import logging
import re
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from pb.core.errors import PhaseClosed
from pb.core.extensions import db
from pb.editions.models import EligibilityPolicy, IdScheme
from pb.messaging.models import OutboxMessage
from pb.voting import casting as voting
from pb.voting import eligibility, identity
from pb.voting.eligibility import AlreadyVoted, VerificationRefused
from pb.voting.models import Channel, OneTimeCode
from tests.factories import make_district, make_edition
from tests.factories_voting import (
    PEPPER,
    birth_number,
    four_rule_edition,
    id_card_of,
    key_of,
    make_voting_edition,
    now_utc,
    register,
    voter,
)
from tests.voting_fixtures import ballot_box_invariant  # noqa: F401

pytestmark = pytest.mark.usefixtures("ballot_box_invariant")


@pytest.fixture
def app_config():
    return {"PB_CODE_DELIVERY": "outbox"}


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


# --- registry --------------------------------------------------------------------------------------


def test_a_registered_resident_is_verified_with_number_and_identity_card(app, backend):
    edition = make_voting_edition(eligibility_policy=EligibilityPolicy.REGISTRY)
    district = make_district()
    born = date(1980, 4, 2)
    number = birth_number(born)
    register(edition, number, born, district.id)
    who = eligibility.verify(
        edition, id_number=number[:6] + "/" + number[6:], factor=id_card_of(number), now=now_utc()
    )
    assert who.voter_key == key_of(number) and who.district_id == district.id
    assert who.birth_year == 1980


@pytest.mark.parametrize("case", ["wrong card", "not registered", "other edition"])
def test_the_registry_refuses_with_one_message_whatever_did_not_match(app, backend, case):
    edition = make_voting_edition(eligibility_policy=EligibilityPolicy.REGISTRY)
    born = date(1980, 4, 2)
    number = birth_number(born)
    if case == "other edition":
        register(make_voting_edition(eligibility_policy=EligibilityPolicy.REGISTRY), number, born)
    elif case == "wrong card":
        register(edition, number, born)
    with pytest.raises(VerificationRefused) as refused:
        eligibility.verify(edition, id_number=number, factor="OP999999", now=now_utc())
    expected = (
        ("factor_wrong", "factor") if case == "wrong card" else ("not_in_registry", "id_number")
    )
    assert (refused.value.reason, refused.value.field) == expected
    assert "register of residents" in refused.value.message


def test_an_invalid_number_is_refused_before_the_registry_is_asked(app, backend):
    edition = make_voting_edition(eligibility_policy=EligibilityPolicy.REGISTRY)
    with pytest.raises(VerificationRefused) as refused:
        eligibility.verify(edition, id_number="7103192746", factor="OP1", now=now_utc())
    assert refused.value.reason == "id_invalid"
    assert "a digit is wrong" in refused.value.message


# --- declaration -----------------------------------------------------------------------------------


def test_a_declared_resident_with_a_valid_number_is_verified(app, backend):
    edition = make_voting_edition()
    district = make_district()
    who = eligibility.verify(
        edition,
        in_person=True,
        id_number="7103192745",
        district_id=district.id,
        declared=True,
        now=now_utc(),
    )
    assert who.voter_key == key_of("7103192745")
    assert (who.district_id, who.birth_year) == (district.id, 1971)


def test_pesel_editions_check_pesel_numbers(app, backend):
    edition = make_voting_edition(id_scheme=IdScheme.PESEL, min_voter_age=None)
    who = eligibility.verify(
        edition, in_person=True, id_number="02211307589", declared=True, now=now_utc()
    )
    assert who.voter_key == identity.voter_key(PEPPER, "pesel:02211307589")
    with pytest.raises(VerificationRefused):
        eligibility.verify(
            edition, in_person=True, id_number="7103192745", declared=True, now=now_utc()
        )


def test_the_declaration_must_be_confirmed(app, backend):
    edition = make_voting_edition()
    with pytest.raises(VerificationRefused) as refused:
        eligibility.verify(
            edition, in_person=True, id_number="7103192745", declared=False, now=now_utc()
        )
    assert (refused.value.reason, refused.value.field) == ("no_declaration", "declaration")


def test_a_voter_below_the_minimum_age_is_refused_and_one_on_the_birthday_passes(app, backend):
    now = now_utc()
    edition = make_voting_edition(now, min_voter_age=15)
    today = eligibility.local_today(edition, now)
    fifteen_today = (
        today.replace(year=today.year - 15)
        if (today.month, today.day) != (2, 29)
        else today.replace(year=today.year - 15, day=28)
    )
    young = birth_number(fifteen_today + timedelta(days=1))
    with pytest.raises(VerificationRefused) as refused:
        eligibility.verify(edition, in_person=True, id_number=young, declared=True, now=now)
    assert refused.value.reason == "too_young" and "15" in refused.value.message
    eligibility.verify(
        edition, in_person=True, id_number=birth_number(fifteen_today), declared=True, now=now
    )


def test_no_minimum_age_lets_children_vote_but_not_anyone_over_110(app, backend):
    now = now_utc()
    edition = make_voting_edition(now, min_voter_age=None)
    eligibility.verify(
        edition, in_person=True, id_number=birth_number(date(2015, 6, 1)), declared=True, now=now
    )
    with pytest.raises(VerificationRefused) as refused:
        eligibility.verify(
            edition, in_person=True, id_number="050101123", declared=True, now=now
        )  # 1905
    assert refused.value.reason == "too_old"


def test_a_person_who_voted_is_told_so_at_verification(app, backend):
    edition, _groups, proposals = four_rule_edition()
    who = eligibility.verify(
        edition, in_person=True, id_number="7103192745", declared=True, now=now_utc()
    )
    first = next(iter(proposals.values()))[0]
    voting.cast_ballot(
        voting.ballot_definition(edition.slug),
        who,
        {first.id: 1},
        channel=Channel.ONLINE,
        now=now_utc(),
    )
    db.session.commit()
    with pytest.raises(AlreadyVoted):
        eligibility.verify(
            edition, in_person=True, id_number="710319/2745", declared=True, now=now_utc()
        )


def test_verification_is_refused_outside_the_voting_phase(app, backend):
    from pb.editions.models import Phase

    edition = make_edition(Phase.APPEAL, now=now_utc())
    with pytest.raises(PhaseClosed):
        eligibility.voting_edition(edition.slug, now_utc())


# --- contact ---------------------------------------------------------------------------------------


def _sent_code() -> str:
    message = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id.desc())).first()
    return re.search(r"\b(\d{6})\b", message.body).group(1)


def test_contact_verification_by_a_one_time_code_to_a_phone(app, backend):
    now = now_utc()
    edition = make_voting_edition(
        now, eligibility_policy=EligibilityPolicy.CONTACT, min_voter_age=None
    )
    district = make_district()
    pending = eligibility.start_contact(
        edition,
        contact="+420 601 234 567",
        district_id=district.id,
        birth_date=None,
        declared=True,
        now=now,
    )
    db.session.commit()
    message = db.session.scalar(select(OutboxMessage))
    assert (message.recipient, message.kind) == ("+420601234567", "voting.code.sms")
    assert pending.masked.endswith("567") and "601" not in pending.masked
    who = eligibility.confirm_contact(edition, pending, _sent_code(), now)
    db.session.commit()
    assert who.voter_key == identity.voter_key(PEPPER, "phone:+420601234567")
    assert who.district_id == district.id
    assert count(OneTimeCode) == 0  # nothing about the person stays behind


def test_a_wrong_code_is_refused_and_five_wrong_codes_use_it_up(app, backend):
    now = now_utc()
    edition = make_voting_edition(
        now, eligibility_policy=EligibilityPolicy.CONTACT, min_voter_age=None
    )
    pending = eligibility.start_contact(
        edition, contact="eva@example.cz", district_id=None, birth_date=None, declared=True, now=now
    )
    db.session.commit()
    code = _sent_code()
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(eligibility.CODE_MAX_ATTEMPTS):
        with pytest.raises(VerificationRefused) as refused:
            eligibility.confirm_contact(edition, pending, wrong, now)
        assert refused.value.reason == "code_wrong"
        db.session.rollback()
        eligibility.count_wrong_code(pending.code_id)
        db.session.commit()
    with pytest.raises(VerificationRefused) as refused:
        eligibility.confirm_contact(edition, pending, code, now)
    assert refused.value.reason == "code_expired"


def test_an_expired_code_is_refused(app, backend):
    now = now_utc()
    edition = make_voting_edition(
        now, eligibility_policy=EligibilityPolicy.CONTACT, min_voter_age=None
    )
    pending = eligibility.start_contact(
        edition, contact="eva@example.cz", district_id=None, birth_date=None, declared=True, now=now
    )
    db.session.commit()
    with pytest.raises(VerificationRefused) as refused:
        eligibility.confirm_contact(
            edition, pending, _sent_code(), now + eligibility.CODE_LIFETIME + timedelta(seconds=1)
        )
    assert refused.value.reason == "code_expired"


def test_contact_with_a_minimum_age_needs_a_birth_date(app, backend):
    now = now_utc()
    edition = make_voting_edition(
        now, eligibility_policy=EligibilityPolicy.CONTACT, min_voter_age=16
    )
    with pytest.raises(VerificationRefused) as refused:
        eligibility.start_contact(
            edition,
            contact="eva@example.cz",
            district_id=None,
            birth_date=None,
            declared=True,
            now=now,
        )
    assert refused.value.field == "birth_date"
    with pytest.raises(VerificationRefused) as refused:
        eligibility.start_contact(
            edition,
            contact="eva@example.cz",
            district_id=None,
            birth_date=now.date() - timedelta(days=365 * 10),
            declared=True,
            now=now,
        )
    assert refused.value.reason == "too_young"
    assert count(OneTimeCode) == 0 and count(OutboxMessage) == 0


def test_a_bad_phone_or_email_is_refused_at_its_field(app, backend):
    now = now_utc()
    edition = make_voting_edition(
        now, eligibility_policy=EligibilityPolicy.CONTACT, min_voter_age=None
    )
    for typed in ("12", "not@valid", "+420 abc"):
        with pytest.raises(VerificationRefused) as refused:
            eligibility.start_contact(
                edition, contact=typed, district_id=None, birth_date=None, declared=True, now=now
            )
        assert (refused.value.reason, refused.value.field) == ("contact_invalid", "contact")


def test_in_development_the_code_is_written_to_the_log_and_not_stored_in_the_outbox(
    app, backend, caplog
):
    app.config["PB_CODE_DELIVERY"] = None  # the default of a development instance
    now = now_utc()
    edition = make_voting_edition(
        now, eligibility_policy=EligibilityPolicy.CONTACT, min_voter_age=None
    )
    with caplog.at_level(logging.INFO, logger="pb.voting.delivery"):
        eligibility.start_contact(
            edition,
            contact="eva@example.cz",
            district_id=None,
            birth_date=None,
            declared=True,
            now=now,
        )
    assert count(OutboxMessage) == 0
    assert re.search(r"\b\d{6}\b", caplog.text) and "eva@example.cz" in caplog.text


def test_a_new_code_replaces_the_earlier_one(app, backend):
    now = now_utc()
    edition = make_voting_edition(
        now, eligibility_policy=EligibilityPolicy.CONTACT, min_voter_age=None
    )
    eligibility.start_contact(
        edition, contact="eva@example.cz", district_id=None, birth_date=None, declared=True, now=now
    )
    db.session.commit()
    first_code = _sent_code()
    second = eligibility.start_contact(
        edition, contact="EVA@example.cz", district_id=None, birth_date=None, declared=True, now=now
    )
    db.session.commit()
    second_code = _sent_code()
    assert count(OneTimeCode) == 1
    if first_code != second_code:
        with pytest.raises(VerificationRefused):
            eligibility.confirm_contact(edition, second, first_code, now)
        db.session.rollback()
    assert eligibility.confirm_contact(edition, second, second_code, now).voter_key == (
        second.voter_key
    )


def test_the_session_forgets_a_voter_after_30_minutes_or_for_another_account(app, backend):
    edition = make_voting_edition()
    who = voter(edition)
    now = now_utc()
    stored = who.to_session(user_id=7, now=now)
    restore = eligibility.VerifiedVoter.from_session
    assert restore(stored, edition_id=edition.id, user_id=7, now=now) == who
    assert restore(stored, edition_id=edition.id, user_id=8, now=now) is None
    assert restore(stored, edition_id=edition.id + 1, user_id=7, now=now) is None
    later = now + timedelta(minutes=31)
    assert restore(stored, edition_id=edition.id, user_id=7, now=later) is None
    assert restore({"e": "garbage"}, edition_id=edition.id, user_id=7, now=now) is None


def test_network_buckets_group_neighbouring_addresses_and_hide_them(app, backend):
    a = eligibility.network_bucket("203.0.113.7")
    assert a == eligibility.network_bucket("203.0.113.250")
    assert a != eligibility.network_bucket("203.0.114.7")
    assert "203" not in a
    assert eligibility.network_bucket("2001:db8::1") == eligibility.network_bucket(
        "2001:db8:0:1::9"
    )
    assert eligibility.network_bucket("nonsense") is None
