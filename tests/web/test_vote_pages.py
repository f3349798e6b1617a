"""Online voting through the web: verify, fill in, refuse, confirm, cast, receipt; limits; paper."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from pb.accounts.models import Role
from pb.audit.models import AuditEntry
from pb.core.extensions import db
from pb.editions.models import BallotRule, EligibilityPolicy, Phase
from pb.messaging.models import OutboxMessage
from pb.voting.models import (
    Ballot,
    Channel,
    Envelope,
    Participation,
    RefusedAttempt,
    VoterRegistryEntry,
)
from tests.factories import make_district, make_edition, make_user
from tests.factories_voting import (
    birth_number,
    declare_online,
    four_rule_edition,
    make_group,
    make_on_ballot,
    make_voting_edition,
    now_utc,
)
from tests.voting_fixtures import ballot_box_invariant  # noqa: F401

pytestmark = pytest.mark.usefixtures("ballot_box_invariant")

FOUR_RULES = (
    BallotRule.APPROVAL,
    BallotRule.KNAPSACK,
    BallotRule.CUMULATIVE,
    BallotRule.PLUS_MINUS,
)


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def english(client) -> None:
    client.get("/language/en")


def sign_in(client, auth, role=Role.RESIDENT, **overrides):
    user = make_user(role, **overrides)
    db.session.commit()
    auth.login(user.email)
    english(client)
    return user


def verify(client, edition, number="7103192745", district="", declared="y"):
    return declare_online(client, edition, number, district=district, declared=declared)


def valid_form(proposals) -> dict:
    a, k, c, pm = (proposals[r] for r in FOUR_RULES)
    return {
        f"p{a[0].id}": "1",
        f"p{k[0].id}": "1",
        f"p{k[1].id}": "1",
        f"p{c[0].id}": "5",
        f"p{c[1].id}": "3",
        f"p{pm[0].id}": "1",
        f"p{pm[1].id}": "1",
        f"p{pm[2].id}": "-1",
    }


def test_the_whole_online_vote_from_verification_to_receipt(client, auth, app):
    edition, groups, proposals = four_rule_edition()
    sign_in(client, auth)
    start = client.get(f"/vote/{edition.slug}/")
    assert start.status_code == 200 and "Birth number or PESEL" in start.text
    assert verify(client, edition).headers["Location"].endswith(f"/vote/{edition.slug}/ballot")

    page = client.get(f"/vote/{edition.slug}/ballot")
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    for group in groups.values():
        assert group.name_en in page.text
    assert "Mark projects whose total cost does not exceed" in page.text
    assert "Spread up to 10 points among projects, at most 5 on one project." in page.text
    assert "js/ballot.js" in page.text and "data-counter" in page.text
    assert "Ineligible" not in page.text

    # Over the knapsack budget: refused at the field, nothing stored.
    over = dict(valid_form(proposals))
    over.update({f"p{p.id}": "1" for p in proposals[BallotRule.KNAPSACK]})
    refused = client.post(f"/vote/{edition.slug}/ballot", data={**over, "review": "1"})
    assert refused.status_code == 422
    assert "Knapsack voting: the projects you marked cost" in refused.text
    assert 'value="1" data-cost="300000" checked' in refused.text  # the marks are kept

    confirm = client.post(
        f"/vote/{edition.slug}/ballot", data={**valid_form(proposals), "review": "1"}
    )
    assert confirm.status_code == 200 and "Confirm your ballot" in confirm.text
    assert "Minus vote" in confirm.text and "5 points" in confirm.text
    assert count(Ballot) == 0

    cast = client.post(f"/vote/{edition.slug}/cast", data=valid_form(proposals))
    # Post/Redirect/Get: the code is in no URL, only in a sealed cookie of its own.
    assert cast.status_code == 303 and cast.headers["Cache-Control"] == "no-store"
    assert cast.headers["Location"].endswith(f"/vote/{edition.slug}/receipt")
    receipt = client.get(cast.headers["Location"])
    assert receipt.status_code == 200 and receipt.headers["Cache-Control"] == "no-store"
    code = re.search(r'id="receipt-code">([A-Z2-7-]+)<', receipt.text).group(1)
    assert len(code.replace("-", "")) == 26
    assert code not in cast.headers["Location"] and code not in cast.headers["Set-Cookie"]
    # A refresh shows the same code again.
    assert f'id="receipt-code">{code}<' in client.get(cast.headers["Location"]).text
    assert (count(Envelope), count(Participation), count(Ballot)) == (1, 1, 0)

    # The verification is forgotten: the ballot page sends the voter back to verify.
    assert client.get(f"/vote/{edition.slug}/ballot").status_code == 302
    again = verify(client, edition)
    assert again.status_code == 409 and "already voted" in again.text
    assert count(RefusedAttempt, RefusedAttempt.reason == "already_voted") == 1

    check = client.post("/vote/receipt", data={"code": code.lower()})
    assert "Counted." in check.text
    assert "Not found." in client.post("/vote/receipt", data={"code": "AAAA-BBBB"}).text


def test_the_receipt_mail_goes_only_once_the_ballot_is_committed(client, auth, app, monkeypatch):
    from pb.voting import receipts

    edition, _groups, proposals = four_rule_edition()
    sign_in(client, auth)
    verify(client, edition)
    seen = []

    def email_receipt(address, definition, code, cast_on):
        # The request's transaction has ended (committed) before the code goes anywhere.
        seen.append((db.session().in_transaction(), count(Envelope), count(Participation)))
        return "sent"

    monkeypatch.setattr(receipts, "email_receipt", email_receipt)
    form = {**valid_form(proposals), "send_receipt": "y"}
    cast = client.post(f"/vote/{edition.slug}/cast", data=form)
    assert cast.status_code == 303 and seen == [(False, 1, 1)]
    # A refused cast (already voted) sends nothing and writes nothing.
    verify(client, edition)
    again = client.post(f"/vote/{edition.slug}/cast", data=form)
    assert again.status_code in (302, 409) and len(seen) == 1
    assert (count(Envelope), count(Participation)) == (1, 1)


def test_back_from_the_confirmation_keeps_the_marks(client, auth, app):
    edition, _groups, proposals = four_rule_edition()
    sign_in(client, auth)
    verify(client, edition)
    form = valid_form(proposals)
    page = client.post(f"/vote/{edition.slug}/ballot", data={**form, "edit": "1"})
    assert page.status_code == 200
    cumulative = proposals[BallotRule.CUMULATIVE][0]
    assert re.search(rf'id="p{cumulative.id}"[^>]*value="5"', page.text)
    minus = proposals[BallotRule.PLUS_MINUS][2]
    assert f'id="p{minus.id}-minus" name="p{minus.id}" value="-1" checked' in page.text


def test_a_tampered_ballot_is_refused_at_cast_and_counted_as_refused(client, auth, app):
    edition, _groups, proposals = four_rule_edition()
    sign_in(client, auth)
    verify(client, edition)
    form = valid_form(proposals)
    form[f"p{proposals[BallotRule.APPROVAL][1].id}"] = "1"
    form[f"p{proposals[BallotRule.APPROVAL][2].id}"] = "1"  # 3 in an approval group of at most 2
    refused = client.post(f"/vote/{edition.slug}/cast", data=form)
    assert refused.status_code == 422 and "Approval voting" in refused.text
    assert count(Ballot) == 0 and count(Participation) == 0
    assert count(RefusedAttempt, RefusedAttempt.reason == "ballot_rule") == 1
    garbage = client.post(
        f"/vote/{edition.slug}/cast",
        data={**form, f"p{proposals[BallotRule.CUMULATIVE][0].id}": "lots"},
    )
    assert garbage.status_code == 422 and "must be a whole number" in garbage.text


def test_two_accounts_of_one_person_cannot_vote_twice(client, auth, app):
    edition, _groups, proposals = four_rule_edition()
    sign_in(client, auth)
    verify(client, edition, number="710319/2745")
    assert client.post(f"/vote/{edition.slug}/cast", data=valid_form(proposals)).status_code == 303
    auth.logout()
    sign_in(client, auth)
    refused = verify(client, edition, number="7103192745")
    assert refused.status_code == 409
    assert (count(Envelope), count(Participation)) == (1, 1)


def test_a_verification_in_one_session_does_not_travel_to_another_account(client, auth, app):
    edition, _groups, proposals = four_rule_edition()
    sign_in(client, auth)
    verify(client, edition)
    auth.logout()
    sign_in(client, auth)
    response = client.post(f"/vote/{edition.slug}/cast", data=valid_form(proposals))
    assert response.status_code == 302 and count(Ballot) == 0


def test_an_invalid_number_is_refused_at_its_field_and_counted(client, auth, app):
    edition, _groups, _proposals = four_rule_edition()
    sign_in(client, auth)
    response = verify(client, edition, number="7103192746")
    assert response.status_code == 422
    assert 'id="id_number-error"' in response.text and "a digit is wrong" in response.text
    assert count(RefusedAttempt, RefusedAttempt.reason == "id_invalid") == 1
    assert "pb_voter" not in (
        client.get_cookie("session").value if client.get_cookie("session") else ""
    )


def test_voting_needs_an_account(client, app):
    edition, _groups, _proposals = four_rule_edition()
    response = client.get(f"/vote/{edition.slug}/")
    assert response.status_code == 302 and "/account/login" in response.headers["Location"]


def test_the_order_of_proposals_is_random_per_voter_and_stable_for_one(client, auth, app):
    edition = make_voting_edition()
    group = make_group(edition, BallotRule.APPROVAL, max_choices=3)
    for cost in range(8):
        make_on_ballot(edition, group, 20_000 + cost)
    db.session.commit()
    orders = []
    for _ in range(3):
        sign_in(client, auth)
        verify(client, edition, number=birth_number(date(1980, 1, 1)))
        first = re.findall(r'name="(p\d+)"', client.get(f"/vote/{edition.slug}/ballot").text)
        second = re.findall(r'name="(p\d+)"', client.get(f"/vote/{edition.slug}/ballot").text)
        assert first == second
        orders.append(tuple(first))
        auth.logout()
    assert len(set(orders)) > 1  # 8! orders: three equal ones would be a broken shuffle


def test_a_district_group_shows_only_for_its_residents(client, auth, app):
    edition = make_voting_edition()
    city = make_group(edition, BallotRule.APPROVAL, name="Celé město", name_en="Whole city")
    here, there = make_district(name="Vratislavice"), make_district(name="Vesec")
    local = make_group(
        edition, BallotRule.APPROVAL, name="Jen Vratislavice", name_en=None, district_id=here.id
    )
    make_on_ballot(edition, city)
    make_on_ballot(edition, local)
    db.session.commit()
    sign_in(client, auth)
    verify(client, edition, number=birth_number(date(1970, 1, 1)), district=str(here.id))
    assert "Jen Vratislavice" in client.get(f"/vote/{edition.slug}/ballot").text
    auth.logout()
    sign_in(client, auth)
    verify(client, edition, number=birth_number(date(1970, 1, 1)), district=str(there.id))
    page = client.get(f"/vote/{edition.slug}/ballot").text
    assert "Whole city" in page and "Jen Vratislavice" not in page


def test_voting_pages_say_when_voting_is_not_open(client, auth, app):
    from pb.editions.models import Phase
    from tests.factories import make_edition

    edition = make_edition(Phase.REVIEW, eligibility_policy=EligibilityPolicy.DECLARATION)
    db.session.commit()
    sign_in(client, auth)
    response = client.get(f"/vote/{edition.slug}/")
    assert response.status_code == 409 and "has not started yet" in response.text
    assert verify(client, edition).status_code == 409
    assert client.get("/vote/no-such-edition/").status_code == 404


@pytest.fixture
def app_config(request):
    return getattr(request, "param", {})


@pytest.mark.parametrize(
    "app_config",
    [{"RATELIMIT_ENABLED": True, "PB_VERIFY_LIMIT_ACCOUNT": "3 per hour"}],
    indirect=True,
)
def test_verification_is_rate_limited_per_account_with_a_clear_message(client, auth, app):
    edition, _groups, _proposals = four_rule_edition()
    sign_in(client, auth)
    for _ in range(3):
        assert verify(client, edition, number="7103192746").status_code == 422
    blocked = verify(client, edition, number="7103192745")
    assert blocked.status_code == 429
    assert (
        "Too many verification attempts" in blocked.text and "try again in an hour" in blocked.text
    )
    assert blocked.headers.get("Retry-After")
    # Another account from the same address may still try.
    auth.logout()
    sign_in(client, auth)
    assert verify(client, edition, number="7103192745").status_code == 302


@pytest.mark.parametrize(
    "app_config",
    [{"RATELIMIT_ENABLED": True, "PB_VERIFY_LIMIT_ADDRESS": "4 per hour"}],
    indirect=True,
)
def test_verification_is_rate_limited_per_address_across_accounts(client, auth, app):
    edition, _groups, _proposals = four_rule_edition()
    for _ in range(2):
        sign_in(client, auth)
        verify(client, edition, number="7103192746")
        verify(client, edition, number="7103192746")
        auth.logout()
    sign_in(client, auth)
    assert verify(client, edition, number="7103192745").status_code == 429


@pytest.mark.parametrize("app_config", [{"PB_CODE_DELIVERY": "outbox"}], indirect=True)
def test_contact_policy_verifies_with_a_code_then_votes(client, auth, app):
    edition = make_voting_edition(eligibility_policy=EligibilityPolicy.CONTACT, min_voter_age=None)
    group = make_group(edition, BallotRule.APPROVAL)
    proposal = make_on_ballot(edition, group)
    db.session.commit()
    sign_in(client, auth)
    page = client.get(f"/vote/{edition.slug}/")
    assert "Mobile phone number or e-mail" in page.text and "Home address" in page.text
    sent = client.post(
        f"/vote/{edition.slug}/verify",
        data={
            "name": "Eva Nová",
            "address": "Husova 1",
            "district": "",
            "contact": "601 234 567",
            "declaration": "y",
        },
    )
    assert sent.headers["Location"].endswith(f"/vote/{edition.slug}/code")
    message = db.session.scalar(select(OutboxMessage))
    code = re.search(r"\b(\d{6})\b", message.body).group(1)
    wrong = client.post(f"/vote/{edition.slug}/code", data={"code": "12345"})
    assert wrong.status_code == 422 and "not the code we sent" in wrong.text
    ok = client.post(f"/vote/{edition.slug}/code", data={"code": code})
    assert ok.headers["Location"].endswith(f"/vote/{edition.slug}/ballot")
    cast = client.post(
        f"/vote/{edition.slug}/cast", data={f"p{proposal.id}": "1", "send_receipt": "y"}
    )
    assert cast.status_code == 303
    # Asked for by e-mail: never through the outbox; without SMTP the page says it was not sent.
    assert count(OutboxMessage, OutboxMessage.kind == "voting.receipt") == 0
    page = client.get(cast.headers["Location"])
    assert "the code was not sent" in page.text and 'id="receipt-code"' in page.text
    # Nothing names the person: the code was deleted, the name and address were never stored.
    from pb.voting.models import OneTimeCode

    assert count(OneTimeCode) == 0
    assert count(Participation) == 1


class _SMTPServer:
    """Stands in for smtplib.SMTP and keeps what it was handed."""

    sent: list = []

    def __init__(self, host, port, timeout=None):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def starttls(self):
        pass

    def login(self, user, password):
        pass

    def send_message(self, message):
        _SMTPServer.sent.append(message)


def test_a_receipt_asked_for_by_mail_goes_to_the_smtp_server_and_nowhere_else(
    client, auth, app, monkeypatch, caplog
):
    import smtplib

    _SMTPServer.sent = []
    monkeypatch.setattr(smtplib, "SMTP", _SMTPServer)
    monkeypatch.setitem(app.config, "PB_SMTP_HOST", "smtp.example.cz")
    monkeypatch.setitem(app.config, "PB_SMTP_PORT", 587)
    edition, _groups, proposals = four_rule_edition()
    voter = sign_in(client, auth)
    verify(client, edition)
    with caplog.at_level("DEBUG"):
        cast = client.post(
            f"/vote/{edition.slug}/cast", data={**valid_form(proposals), "send_receipt": "y"}
        )
    page = client.get(cast.headers["Location"])
    code = re.search(r'id="receipt-code">([A-Z2-7-]+)<', page.text).group(1)
    (mail,) = _SMTPServer.sent
    assert mail["To"] == voter.email and code in mail.get_content()
    assert "We also sent it to your e-mail." in page.text
    assert count(OutboxMessage) == 0 and code not in caplog.text


# --- paper ballots ---------------------------------------------------------------------------------


def paper_verify(client, edition, number, place="ZŠ Husova, místnost 2"):
    return client.post(
        f"/paper/{edition.slug}/",
        data={"polling_place": place, "id_number": number, "district": "", "declaration": "y"},
    )


def test_an_official_enters_a_paper_ballot_and_the_person_cannot_vote_online(client, auth, app):
    edition, _groups, proposals = four_rule_edition()
    official = sign_in(client, auth, Role.OFFICIAL, email="urednice@example.cz")
    assert "Paper ballots" in client.get("/paper/").text
    verified = paper_verify(client, edition, "8562045580")
    assert verified.headers["Location"].endswith(f"/paper/{edition.slug}/ballot")
    page = client.get(f"/paper/{edition.slug}/ballot")
    assert "Check in and hand over a sheet" in page.text and "No. " not in page.text
    done = client.post(f"/paper/{edition.slug}/cast")
    assert done.headers["Location"].endswith(f"/paper/{edition.slug}/")
    assert db.session.scalar(select(Participation.channel)) == Channel.PAPER
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "paper.check_in"))
    assert entry.actor_id == official.id and "ZŠ Husova, místnost 2" in entry.after
    assert count(Envelope) == 0  # the sheet is entered at the ballot-entry desk, with no name

    # Ballot entry: the sheet, in its printed order, with no identity.
    sheets = client.get(f"/paper/{edition.slug}/sheets")
    numbers = [int(n) for n in re.findall(r"No\. (\d+)", sheets.text)]
    for rule in FOUR_RULES:  # paper order: by number within each group
        group_numbers = [p.number for p in proposals[rule]]
        assert [n for n in numbers if n in group_numbers] == sorted(group_numbers)
    entered = client.post(
        f"/paper/{edition.slug}/sheets",
        data={**valid_form(proposals), "polling_place": "ZŠ Husova", "sheet": ""},
    )
    assert entered.status_code == 302 and count(Envelope) == 1
    extra = client.post(
        f"/paper/{edition.slug}/sheets",
        data={**valid_form(proposals), "polling_place": "ZŠ Husova", "sheet": ""},
    )
    assert extra.status_code == 422 and count(Envelope) == 1  # one check-in, one sheet
    closed = client.post(f"/paper/{edition.slug}/sheets/close")
    assert closed.status_code == 302
    batch = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "paper.sheets_enter"))
    assert batch.actor_id == official.id and '"sheets":1' in batch.after.replace(" ", "")

    # The same person, again on paper, and online.
    again = paper_verify(client, edition, "856204/5580")
    assert again.status_code == 409 and "Do not accept a paper ballot" in again.text
    auth.logout()
    sign_in(client, auth)
    assert verify(client, edition, number="8562045580").status_code == 409
    assert (count(Envelope), count(Participation)) == (1, 1)
    assert count(RefusedAttempt, RefusedAttempt.channel == Channel.PAPER) == 1


def test_residents_cannot_enter_paper_ballots(client, auth, app):
    edition, _groups, proposals = four_rule_edition()
    sign_in(client, auth)
    assert client.get("/paper/").status_code == 403
    assert paper_verify(client, edition, "8562045580").status_code == 403
    assert client.post(f"/paper/{edition.slug}/cast", data=valid_form(proposals)).status_code == 403
    assert count(Ballot) == 0


def test_a_paper_verification_needs_a_polling_place(client, auth, app):
    edition, _groups, _proposals = four_rule_edition()
    sign_in(client, auth, Role.OFFICIAL)
    response = paper_verify(client, edition, "8562045580", place="")
    assert response.status_code == 422 and 'id="polling_place-error"' in response.text


# --- the register upload ---------------------------------------------------------------------------


def test_an_admin_uploads_the_register_and_sees_a_faulty_line(client, auth, app):
    from io import BytesIO

    # The register is imported before voting opens; from then on it is frozen.
    edition = make_edition(Phase.APPEAL, eligibility_policy=EligibilityPolicy.REGISTRY)
    db.session.commit()
    sign_in(client, auth, Role.ADMIN)
    page = client.get("/registry/")
    assert page.status_code == 200 and edition.name_en in page.text
    good = f"id_number,birth_date,id_card\n{birth_number(date(1975, 5, 5))},1975-05-05,OP1\n"
    good = good.encode()
    done = client.post(
        "/registry/",
        data={"edition": str(edition.id), "file": (BytesIO(good), "register.csv")},
        content_type="multipart/form-data",
    )
    assert done.status_code == 302
    assert "Imported 1 residents" in client.get("/registry/").text
    bad = b"id_number,birth_date,id_card\n7103192745,1971-03-19,OP1\n12,1971-03-19,OP2\n"
    refused = client.post(
        "/registry/",
        data={"edition": str(edition.id), "file": (BytesIO(bad), "register.csv")},
        content_type="multipart/form-data",
    )
    assert refused.status_code == 422
    assert "Line 3" in refused.text and "Nothing was imported" in refused.text
    huge = b"id_number,birth_date,id_card\n" + b"9" * 1_000_000 + b",1971-03-19,OP3\n"
    too_big = client.post(
        "/registry/",
        data={"edition": str(edition.id), "file": (BytesIO(huge), "register.csv")},
        content_type="multipart/form-data",
    )
    assert too_big.status_code == 422
    assert "Line 2" in too_big.text and "Nothing was imported" in too_big.text
    assert count(VoterRegistryEntry) == 1  # the register imported before stays as it was


def test_only_admins_upload_the_register(client, auth, app):
    sign_in(client, auth, Role.OFFICIAL)
    assert client.get("/registry/").status_code == 403


def test_casting_needs_an_account(client, app):
    edition, _groups, proposals = four_rule_edition()
    response = client.post(f"/vote/{edition.slug}/cast", data=valid_form(proposals))
    assert response.status_code == 302 and "/account/login" in response.headers["Location"]
    assert count(Ballot) == 0


def test_an_account_deactivated_after_verifying_cannot_cast(client, auth, app, backend):
    edition, _groups, proposals = four_rule_edition()
    user = sign_in(client, auth)
    assert verify(client, edition).status_code == 302
    user.is_active_account = False
    db.session.commit()
    response = client.post(f"/vote/{edition.slug}/cast", data=valid_form(proposals))
    assert response.status_code == 302 and "/account/login" in response.headers["Location"]
    assert (count(Ballot), count(Participation)) == (0, 0)
    # The account is signed out everywhere, not only for casting.
    page = client.get(f"/vote/{edition.slug}/ballot")
    assert page.status_code == 302 and "/account/login" in page.headers["Location"]


def test_a_session_signed_out_elsewhere_cannot_cast(client, auth, app, backend):
    # The cast checks the session version in the statement that writes the ballot: signing out
    # elsewhere or changing the password (both bump it) ends this session's right to cast.
    edition, _groups, proposals = four_rule_edition()
    user = sign_in(client, auth)
    assert verify(client, edition).status_code == 302
    user.session_version += 1
    db.session.commit()
    response = client.post(f"/vote/{edition.slug}/cast", data=valid_form(proposals))
    assert response.status_code == 302 and "/account/login" in response.headers["Location"]
    assert (count(Envelope), count(Participation)) == (0, 0)


def test_a_session_carried_to_another_browser_cannot_cast(client, auth, app, backend):
    # Strong session protection: the session is bound to the address and browser it signed in from.
    edition, _groups, proposals = four_rule_edition()
    sign_in(client, auth)
    assert verify(client, edition).status_code == 302
    response = client.post(
        f"/vote/{edition.slug}/cast",
        data=valid_form(proposals),
        headers={"User-Agent": "another browser"},
    )
    assert response.status_code == 302 and "/account/login" in response.headers["Location"]
    assert (count(Envelope), count(Participation)) == (0, 0)


def test_an_account_whose_address_is_no_longer_confirmed_cannot_cast(client, auth, app, backend):
    edition, _groups, proposals = four_rule_edition()
    user = sign_in(client, auth)
    assert verify(client, edition).status_code == 302
    user.email_confirmed_at = None
    db.session.commit()
    response = client.post(f"/vote/{edition.slug}/cast", data=valid_form(proposals))
    assert response.status_code == 303 and response.headers["Location"].endswith("/account/")
    assert (count(Envelope), count(Participation)) == (0, 0)


def test_the_voter_state_in_the_session_cookie_is_sealed(client, auth, app):
    edition, _groups, _proposals = four_rule_edition()
    sign_in(client, auth)
    verify(client, edition, number="7103192745")
    from tests.factories_voting import key_of

    with client.session_transaction() as stored:
        token = stored["pb_voter"]
    assert isinstance(token, str)
    readable = repr(dict(stored))
    assert key_of("7103192745") not in readable and "1971" not in readable


def test_the_bulletin_board_lists_every_receipt_hash_and_the_turnout(client, auth, app):
    edition, _groups, proposals = four_rule_edition()
    sign_in(client, auth)
    verify(client, edition)
    cast = client.post(f"/vote/{edition.slug}/cast", data=valid_form(proposals))
    page = client.get(cast.headers["Location"])
    digest = re.search(r'id="receipt-hash"[^>]*>([0-9a-f]{64})<', page.text).group(1)
    during = client.get(f"/vote/{edition.slug}/board")
    assert during.status_code == 200 and digest not in during.text  # no count during voting
    edition.voting_ends_at = now_utc() - timedelta(seconds=1)
    db.session.commit()
    from pb.voting.casting import forget_definitions

    forget_definitions()
    board = client.get(f"/vote/{edition.slug}/board")
    assert board.status_code == 200 and digest in board.text
    assert re.search(r'id="board-count">1<', board.text)
    assert re.search(r'id="board-turnout">1<', board.text)


def test_the_receipt_page_is_gone_without_its_cookie(client, auth, app):
    edition, _groups, _proposals = four_rule_edition()
    page = client.get(f"/vote/{edition.slug}/receipt")
    assert page.status_code == 302 and page.headers["Location"].endswith("/vote/receipt")


def test_after_casting_the_vote_pages_say_he_has_voted_instead_of_offering_to_vote(
    client, auth, app
):
    edition, _, proposals = four_rule_edition()
    sign_in(client, auth)
    index = client.get("/vote/").text
    assert f'href="/vote/{edition.slug}/"' in index and "You have voted" not in index
    verify(client, edition)
    client.post(f"/vote/{edition.slug}/cast", data=valid_form(proposals))

    index = client.get("/vote/").text
    assert "You have voted in this edition." in index
    assert f'href="/vote/{edition.slug}/"' not in index and "Vote in this edition" not in index
    assert 'href="/vote/receipt"' in index and f'href="/vote/{edition.slug}/board"' in index
    start = client.get(f"/vote/{edition.slug}/")
    assert start.status_code == 200 and "You have already voted in this edition." in start.text
    assert "Birth number or PESEL" not in start.text and 'href="/vote/receipt"' in start.text

    # Another resident's account still gets the offer: the state is his own, read from his binding.
    auth.logout()
    sign_in(client, auth, email="jan@example.cz")
    assert "Vote in this edition" in client.get("/vote/").text
    assert "Birth number or PESEL" in client.get(f"/vote/{edition.slug}/").text
