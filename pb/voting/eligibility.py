"""Who may vote: verifying a person under the edition's policy and deriving their voter key.

The voter key is HMAC-SHA256 (server pepper `ID_PEPPER`) of the normalised identifier, never the
account: the one-ballot rule holds across accounts and across the online and paper channels.

- registry: the birth number / PESEL and a factor the resident holds (the identity-card number or
  the access code the city mailed on paper) must match a resident the city imported; the birth
  date is inside the ID number and proves nothing.
- declaration (the weakest policy): the ID number must pass its checksum and date check; the
  person declares where they live and confirms a one-time code sent to their phone or e-mail, and
  one phone or e-mail confirms one declaration (see pb/voting/bindings.py).
- contact: no ID number; the person declares name, address and district and confirms a one-time
  code sent to their phone or e-mail; the key is the HMAC of that phone number or e-mail.

A minimum age is optional in every policy; nobody over 110 passes an ID check. A verified voter
lives only in the signed session (see `VerifiedVoter.to_session`); nothing about the person is
written to the database until the ballot is cast, and then only the participation.
"""

from __future__ import annotations

import functools
import hmac
import ipaddress
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import delete, exists, select, update

from pb.core.errors import Conflict, InvalidInput, NotFound, PhaseClosed
from pb.core.extensions import db
from pb.core.unit_of_work import rows_changed
from pb.editions.districts import District
from pb.editions.models import Edition, EligibilityPolicy, Phase
from pb.messaging.delivery import Message, deliver
from pb.voting import bindings, identity
from pb.voting.models import Channel, OneTimeCode, Participation, RefusedAttempt, VoterRegistryEntry

CODE_DIGITS = 6
CODE_LIFETIME = timedelta(minutes=10)
CODE_MAX_ATTEMPTS = 5
SESSION_LIFETIME = timedelta(minutes=30)


class VerificationRefused(InvalidInput):
    """The person could not be verified; `reason` is what the anomaly report counts."""

    def __init__(self, message: str, *, reason: str, field: str | None = None) -> None:
        super().__init__(message, field=field)
        self.reason = reason


class AlreadyVoted(Conflict):
    reason = "already_voted"


def pepper() -> str:
    return current_app.config["ID_PEPPER"]


def local_day(timezone: str | None, now: datetime) -> date:
    """The calendar day in the edition's time zone (a ballot keeps only this)."""
    return now.astimezone(ZoneInfo(timezone or "Europe/Prague")).date()


def local_today(edition: Edition, now: datetime) -> date:
    return local_day(edition.timezone, now)


def voting_edition(slug: str, now: datetime) -> Edition:
    """The edition by its slug, provided its voting phase is open now."""
    edition = db.session.scalar(select(Edition).where(Edition.slug == slug))
    if edition is None:
        raise NotFound(_("There is no such edition."))
    require_voting_open(edition, now)
    return edition


def require_voting_open(edition: Edition, now: datetime) -> None:
    if edition.window_open(Phase.VOTING, now):
        return
    if now < edition.voting_starts_at:
        raise PhaseClosed(_("Voting in this edition has not started yet."))
    raise PhaseClosed(_("Voting in this edition has ended."))


@dataclass(frozen=True)
class VerifiedVoter:
    """A person verified for one edition: only what the ballot and the participation need."""

    edition_id: int
    voter_key: str
    district_id: int | None
    birth_year: int | None

    def to_session(self, *, user_id: int, now: datetime, seed: str | None = None) -> dict:
        """What the signed session keeps: the key, the district, a seed for the ballot order."""
        return {
            "e": self.edition_id,
            "k": self.voter_key,
            "d": self.district_id,
            "y": self.birth_year,
            "u": user_id,
            "t": int(now.timestamp()),
            "s": seed or secrets.token_hex(8),
        }

    @staticmethod
    def from_session(
        data: object, *, edition_id: int, user_id: int, now: datetime
    ) -> VerifiedVoter | None:
        """The voter kept in the session, if it is for this edition and account and not stale."""
        if not isinstance(data, dict):
            return None
        try:
            fresh = now.timestamp() - int(data["t"]) < session_lifetime().total_seconds()
            if data["e"] != edition_id or data["u"] != user_id or not fresh:
                return None
            return VerifiedVoter(edition_id, str(data["k"]), data.get("d"), data.get("y"))
        except (KeyError, TypeError, ValueError):
            return None


def session_lifetime() -> timedelta:
    minutes = current_app.config.get("PB_VOTER_SESSION_MINUTES")
    return timedelta(minutes=minutes) if minutes else SESSION_LIFETIME


def has_voted(edition_id: int, voter_key: str) -> bool:
    return bool(
        db.session.scalar(
            select(
                exists().where(
                    Participation.edition_id == edition_id, Participation.voter_key == voter_key
                )
            )
        )
    )


def ensure_not_voted(edition_id: int, voter_key: str) -> None:
    if has_voted(edition_id, voter_key):
        raise AlreadyVoted(
            _(
                "This person has already voted in this edition, online or on paper. "
                "Each person votes once."
            )
        )


def record_refusal(edition_id: int, channel: Channel, reason: str, now: datetime) -> None:
    """Count a refused verification or ballot by its reason; the row names nobody."""
    db.session.add(
        RefusedAttempt(edition_id=edition_id, channel=channel, reason=reason[:60], occurred_at=now)
    )
    db.session.flush()


def network_bucket(address: str | None) -> str | None:
    """A keyed hash of the sender's /24 (IPv4) or /48 (IPv6) network, for the anomaly report."""
    if not address:
        return None
    network = _network_of(address)
    return identity.voter_key(pepper(), f"net:{network}")[:32] if network else None


@functools.lru_cache(maxsize=4096)
def _network_of(address: str) -> str | None:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return None
    prefix = 24 if ip.version == 4 else 48
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False))


# --- the checks shared by the policies -----------------------------------------------------------


def _parse_id(edition: Edition, text: str, today: date) -> identity.NationalId:
    try:
        return identity.parse_national_id(edition.id_scheme.value, text, today)
    except identity.InvalidIdNumber as error:
        name = (
            _("birth number (rodné číslo)")
            if edition.id_scheme.value == "rodne_cislo"
            else _("PESEL number")
        )
        if error.problem == identity.IdProblem.FORMAT:
            message = _("This is not a valid %(name)s: check the number of digits.", name=name)
        elif error.problem == identity.IdProblem.CHECKSUM:
            message = _(
                "This is not a valid %(name)s: a digit is wrong. Check it against your ID card.",
                name=name,
            )
        else:
            message = _(
                "This is not a valid %(name)s: the date it contains does not exist.", name=name
            )
        raise VerificationRefused(message, reason="id_invalid", field="id_number") from None


def check_age(edition: Edition, birth_date: date, today: date, field: str = "id_number") -> None:
    age = identity.age_on(birth_date, today)
    if age > identity.MAX_AGE:
        raise VerificationRefused(
            _(
                "The birth date gives an age over %(max)d years; check the number.",
                max=identity.MAX_AGE,
            ),
            reason="too_old",
            field=field,
        )
    if edition.min_voter_age and age < edition.min_voter_age:
        raise VerificationRefused(
            _(
                "Only people aged %(age)d or more may vote in this edition.",
                age=edition.min_voter_age,
            ),
            reason="too_young",
            field=field,
        )


def _district(district_id: int | None) -> int | None:
    if district_id is None:
        return None
    if db.session.get(District, district_id) is None:
        raise VerificationRefused(
            _("Choose your district from the list."), reason="district_invalid", field="district"
        )
    return district_id


def _require_declaration(declared: bool) -> None:
    if not declared:
        raise VerificationRefused(
            _("Confirm that you live in the city and that what you entered is true."),
            reason="no_declaration",
            field="declaration",
        )


# --- registry ------------------------------------------------------------------------------------


def normalise_factor(text: str | None) -> str:
    """An ID-card number or access code as printed: case, spaces and dashes do not matter."""
    return "".join(ch for ch in (text or "").upper() if ch.isalnum())


def factor_hash(secret: str, voter_key: str, factor: str) -> str:
    """HMAC of the second factor, bound to the person's voter key (a factor alone matches nobody)."""
    return identity.voter_key(secret, f"factor:{voter_key}:{normalise_factor(factor)}")


def verify_registry(
    edition: Edition,
    *,
    id_number: str,
    factor: str | None,
    now: datetime,
    require_factor: bool = True,
) -> VerifiedVoter:
    """ID number + the factor the resident holds (ID-card number or the mailed access code).

    The birth date is inside the ID number and is no proof. `require_factor=False` only at the
    paper desk, where an official has checked the person's identity card in front of them.
    """
    today = local_today(edition, now)
    national_id = _parse_id(edition, id_number, today)
    not_found = VerificationRefused(
        _(
            "We did not find this ID number with this identity card number or access code in the "
            "register of residents. Check both; if they are right, ask the city office."
        ),
        reason="not_in_registry",
        field="id_number",
    )
    key = identity.voter_key(pepper(), national_id.key_material)
    entry = db.session.execute(
        select(
            VoterRegistryEntry.birth_year,
            VoterRegistryEntry.district_id,
            VoterRegistryEntry.factor_hash,
        ).where(VoterRegistryEntry.edition_id == edition.id, VoterRegistryEntry.voter_key == key)
    ).first()
    if entry is None or entry.birth_year != national_id.birth_date.year:
        raise not_found
    if require_factor:
        typed = normalise_factor(factor)
        if not typed:
            raise VerificationRefused(
                _("Enter the number of your identity card or the access code from our letter."),
                reason="factor_missing",
                field="factor",
            )
        if entry.factor_hash is None or not hmac.compare_digest(
            factor_hash(pepper(), key, typed), entry.factor_hash
        ):
            raise VerificationRefused(not_found.message, reason="factor_wrong", field="factor")
    check_age(edition, national_id.birth_date, today)
    return VerifiedVoter(edition.id, key, entry.district_id, national_id.birth_date.year)


# --- eID -----------------------------------------------------------------------------------------


def verify_eid(
    edition: Edition, *, national_id: str, district_id: int | None, now: datetime
) -> VerifiedVoter:
    """A person the national eID (OpenID Connect: NIA, login.gov.pl) vouched for, by the national
    ID number it gave: the same voter key as the register and the paper desk, so one person is
    one voter whichever way they verify. eID replaces the ID number and the second factor under
    the registry policy (the register still says who lives in the city, and where), and the
    coded declaration under the declaration policy (the district is declared)."""
    if not edition.accept_eid or edition.eligibility_policy == EligibilityPolicy.CONTACT:
        raise VerificationRefused(
            _("This edition does not accept eID."), reason="eid_not_accepted", field="id_number"
        )
    today = local_today(edition, now)
    try:
        parsed = identity.parse_national_id(edition.id_scheme.value, national_id, today)
    except identity.InvalidIdNumber:
        raise VerificationRefused(
            _(
                "Your eID did not give us a valid ID number of this city's kind, so we cannot "
                "verify you with it. Verify with your ID number instead, or ask the city office."
            ),
            reason="eid_no_id",
            field="id_number",
        ) from None
    key = identity.voter_key(pepper(), parsed.key_material)
    if edition.eligibility_policy == EligibilityPolicy.REGISTRY:
        entry = db.session.execute(
            select(VoterRegistryEntry.birth_year, VoterRegistryEntry.district_id).where(
                VoterRegistryEntry.edition_id == edition.id, VoterRegistryEntry.voter_key == key
            )
        ).first()
        if entry is None or entry.birth_year != parsed.birth_date.year:
            raise VerificationRefused(
                _(
                    "Your eID identity is not in this city's register of residents, so you may "
                    "not vote in this edition. If you live here, ask the city office."
                ),
                reason="eid_not_in_registry",
                field="id_number",
            )
        district_id = entry.district_id
    else:
        district_id = _district(district_id)
    check_age(edition, parsed.birth_date, today)
    ensure_not_voted(edition.id, key)
    return VerifiedVoter(edition.id, key, district_id, parsed.birth_date.year)


# --- declaration ---------------------------------------------------------------------------------


def verify_declaration(
    edition: Edition,
    *,
    id_number: str,
    district_id: int | None,
    declared: bool,
    now: datetime,
) -> VerifiedVoter:
    """The checks of a declaration. Online this is only the first step: `start_declaration`
    sends a one-time code to a phone or e-mail, and only the confirmed code opens the ballot."""
    today = local_today(edition, now)
    national_id = _parse_id(edition, id_number, today)
    check_age(edition, national_id.birth_date, today)
    _require_declaration(declared)
    key = identity.voter_key(pepper(), national_id.key_material)
    return VerifiedVoter(edition.id, key, _district(district_id), national_id.birth_date.year)


def start_declaration(
    edition: Edition,
    *,
    id_number: str,
    district_id: int | None,
    declared: bool,
    contact: str,
    now: datetime,
) -> PendingContact:
    """A declaration confirmed by a code sent to a phone or e-mail: a birth number never opens a
    ballot alone, and one phone or e-mail confirms one declaration per edition."""
    voter = verify_declaration(
        edition, id_number=id_number, district_id=district_id, declared=declared, now=now
    )
    ensure_not_voted(edition.id, voter.voter_key)
    kind, material, recipient = _contact_material(edition, contact)
    contact_key = identity.voter_key(pepper(), material)
    bound = bindings.bound_contact(edition.id, contact_key)
    if bound is not None and bound != voter.voter_key:
        raise VerificationRefused(
            _(
                "This phone number or e-mail address has already confirmed another person's "
                "declaration. Use your own phone or e-mail."
            ),
            reason="contact_used",
            field="contact",
        )
    return _send_code(
        edition,
        voter_key=voter.voter_key,
        district=voter.district_id,
        birth_year=voter.birth_year,
        kind=kind,
        recipient=recipient,
        contact_key=contact_key,
        now=now,
    )


# --- contact: a one-time code to a phone or e-mail -------------------------------------------------


@dataclass(frozen=True)
class PendingContact:
    """A code was sent; what the session keeps until the person types it in."""

    edition_id: int
    voter_key: str
    district_id: int | None
    birth_year: int | None
    code_id: int
    masked: str  # the contact with most characters hidden, to remind the person where to look

    def to_session(self, *, user_id: int, now: datetime) -> dict:
        return {
            "e": self.edition_id,
            "k": self.voter_key,
            "d": self.district_id,
            "y": self.birth_year,
            "c": self.code_id,
            "m": self.masked,
            "u": user_id,
            "t": int(now.timestamp()),
        }

    @staticmethod
    def from_session(
        data: object, *, edition_id: int, user_id: int, now: datetime
    ) -> PendingContact | None:
        if not isinstance(data, dict):
            return None
        try:
            fresh = now.timestamp() - int(data["t"]) < CODE_LIFETIME.total_seconds()
            if data["e"] != edition_id or data["u"] != user_id or not fresh:
                return None
            return PendingContact(
                edition_id, str(data["k"]), data.get("d"), data.get("y"), int(data["c"]), data["m"]
            )
        except (KeyError, TypeError, ValueError):
            return None


def _mask(kind: str, contact: str) -> str:
    if kind == "email":
        name, _at, domain = contact.partition("@")
        return f"{name[:1]}•••@{domain}"
    return "•" * (len(contact) - 3) + contact[-3:]


def _code_hash(voter_key: str, code: str) -> str:
    return identity.voter_key(pepper(), f"otp:{voter_key}:{code}")


def _contact_material(edition: Edition, contact: str) -> tuple[str, str, str]:
    """(kind, key material, recipient) of a typed phone or e-mail."""
    country = identity.COUNTRY_CODES[identity.IdScheme(edition.id_scheme.value)]
    try:
        kind, material = identity.contact_key_material(contact, country)
        return kind, material, identity.contact_recipient(contact, country)
    except identity.InvalidContact:
        raise VerificationRefused(
            _("Enter a mobile phone number (e.g. +420 601 234 567) or an e-mail address."),
            reason="contact_invalid",
            field="contact",
        ) from None


def _send_code(
    edition: Edition,
    *,
    voter_key: str,
    district: int | None,
    birth_year: int | None,
    kind: str,
    recipient: str,
    contact_key: str | None,
    now: datetime,
) -> PendingContact:
    # A new code replaces any earlier one for the same person; expired codes go too.
    db.session.execute(
        delete(OneTimeCode).where(
            (OneTimeCode.expires_at < now)
            | ((OneTimeCode.edition_id == edition.id) & (OneTimeCode.voter_key == voter_key))
        )
    )
    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    row = OneTimeCode(
        edition_id=edition.id,
        voter_key=voter_key,
        code_hash=_code_hash(voter_key, code),
        created_at=now,
        expires_at=now + CODE_LIFETIME,
        contact_key=contact_key,
    )
    db.session.add(row)
    db.session.flush()
    deliver(
        Message(
            recipient=recipient,
            subject=_("Your code for voting"),
            body=_(
                "Your one-time code for voting in %(edition)s is %(code)s. It is valid for "
                "%(minutes)d minutes. If you did not ask for it, ignore this message.",
                edition=edition.name,
                code=code,
                minutes=int(CODE_LIFETIME.total_seconds() // 60),
            ),
            kind="voting.code.email" if kind == "email" else "voting.code.sms",
        ),
        now,
    )
    return PendingContact(
        edition.id, voter_key, district, birth_year, row.id, _mask(kind, recipient)
    )


def start_contact(
    edition: Edition,
    *,
    contact: str,
    district_id: int | None,
    birth_date: date | None,
    declared: bool,
    now: datetime,
) -> PendingContact:
    """Check the declaration, send a fresh one-time code, and say where it went."""
    kind, material, recipient = _contact_material(edition, contact)
    birth_year = None
    if edition.min_voter_age:
        if birth_date is None:
            raise VerificationRefused(
                _("Enter your birth date: this edition has a minimum age."),
                reason="birth_date_missing",
                field="birth_date",
            )
        check_age(edition, birth_date, local_today(edition, now), field="birth_date")
        birth_year = birth_date.year
    elif birth_date is not None:
        birth_year = birth_date.year
    _require_declaration(declared)
    district = _district(district_id)
    key = identity.voter_key(pepper(), material)
    ensure_not_voted(edition.id, key)
    return _send_code(
        edition,
        voter_key=key,
        district=district,
        birth_year=birth_year,
        kind=kind,
        recipient=recipient,
        contact_key=None,
        now=now,
    )


def confirm_contact(
    edition: Edition, pending: PendingContact, code: str, now: datetime
) -> VerifiedVoter:
    """The voter when `code` is the one sent; the code is then deleted, used or not needed."""
    row = db.session.get(OneTimeCode, pending.code_id)
    if (
        row is None
        or row.edition_id != edition.id
        or row.voter_key != pending.voter_key
        or row.expires_at <= now
        or row.attempts >= CODE_MAX_ATTEMPTS
    ):
        raise VerificationRefused(
            _("This code has expired or was tried too many times. Ask for a new one."),
            reason="code_expired",
            field="code",
        )
    typed = "".join(ch for ch in (code or "") if ch.isdigit())
    if not hmac.compare_digest(_code_hash(pending.voter_key, typed), row.code_hash):
        raise VerificationRefused(
            _("This is not the code we sent. Check it and try again."),
            reason="code_wrong",
            field="code",
        )
    # Spent by a conditional DELETE before anything is written for it: of two requests sending
    # the code at once (a double click, two tabs), the second waits for the first's row and then
    # finds it gone, where both read it as unspent and went on to bind the contact twice.
    if not rows_changed(delete(OneTimeCode).where(OneTimeCode.id == row.id)):
        raise VerificationRefused(
            _("This code has expired or was tried too many times. Ask for a new one."),
            reason="code_expired",
            field="code",
        )
    db.session.expunge(row)
    # A declaration: this contact now confirms this person only.
    if row.contact_key is not None and not bindings.bind_contact(
        edition.id, row.contact_key, pending.voter_key, now
    ):
        raise VerificationRefused(
            _(
                "This phone number or e-mail address has already confirmed another person's "
                "declaration. Use your own phone or e-mail."
            ),
            reason="contact_used",
            field="code",
        )
    return VerifiedVoter(edition.id, pending.voter_key, pending.district_id, pending.birth_year)


def count_wrong_code(code_id: int) -> None:
    """After a wrong code (and the rollback of its request), count the attempt against the code:
    in the database (attempts + 1), so that guesses sent at once are each counted."""
    db.session.execute(
        update(OneTimeCode)
        .where(OneTimeCode.id == code_id)
        .values(attempts=OneTimeCode.attempts + 1)
    )


def verify(
    edition: Edition,
    *,
    id_number: str = "",
    factor: str | None = None,
    district_id: int | None = None,
    declared: bool = False,
    in_person: bool = False,
    now: datetime,
) -> VerifiedVoter:
    """Verify in one step: the registry policy, or, only where an official checks the person's
    identity card in front of them (`in_person`, the paper desk), a declaration. Online, a
    declaration is confirmed with a code (`start_declaration`)."""
    if edition.eligibility_policy == EligibilityPolicy.REGISTRY:
        voter = verify_registry(
            edition, id_number=id_number, factor=factor, now=now, require_factor=not in_person
        )
    elif edition.eligibility_policy == EligibilityPolicy.DECLARATION and in_person:
        voter = verify_declaration(
            edition, id_number=id_number, district_id=district_id, declared=declared, now=now
        )
    else:
        raise InvalidInput(_("This edition verifies voters by a one-time code."))
    ensure_not_voted(edition.id, voter.voter_key)
    return voter
