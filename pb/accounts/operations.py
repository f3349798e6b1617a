"""Accounts: registration with e-mail confirmation, sign-in with a per-account lock, password
reset, sessions that end everywhere, TOTP for staff, "my data" export and deletion.

Use cases take `now`, flush and never commit. Links in e-mails are signed with the app's secret
(itsdangerous), expire, and are single-use because they carry a fingerprint of the state they
change (a confirmation link is spent once the address is confirmed; a reset link once the
password hash changes).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import string
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app, has_app_context
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import delete, func, or_, select, update
from zxcvbn import zxcvbn

from pb.accounts.models import RecoveryCode, Role, User
from pb.core.errors import Conflict, Forbidden, InvalidInput
from pb.core.extensions import db
from pb.core.unit_of_work import rows_changed
from pb.messaging.delivery import Message, deliver


# argon2id with the library's current defaults (RFC 9106 low-memory profile). Only the test suite
# sets PB_ARGON2 (PasswordHasher arguments, e.g. {"time_cost": 1, "memory_cost": 8,
# "parallelism": 1}), so that hashing there costs microseconds instead of a tenth of a second.
@lru_cache(maxsize=4)
def _hasher_for(settings: tuple = ()) -> tuple[PasswordHasher, str]:
    hasher = PasswordHasher(**dict(settings))
    # Verifying against this dummy when the e-mail is unknown makes both answers take the same time.
    return hasher, hasher.hash("not a real password")


def _hashing() -> tuple[PasswordHasher, str]:
    settings = current_app.config.get("PB_ARGON2") if has_app_context() else None
    return _hasher_for(tuple(sorted((settings or {}).items())))


_hasher_for()  # the default hasher and its dummy hash, made at import

MIN_PASSWORD_LENGTH = 10
MIN_STRENGTH = 3  # zxcvbn's score, 0..4: 3 is "safely unguessable" against online attacks
CONFIRM_LIFETIME = timedelta(days=2)
RESET_LIFETIME = timedelta(hours=1)
# Failed sign-ins in a row before the account is locked, and the first lock; each further
# failure doubles it, up to MAX_LOCK.
FREE_FAILURES = 5
FIRST_LOCK = timedelta(minutes=1)
MAX_LOCK = timedelta(hours=24)
RECOVERY_CODES = 10
TOTP_ISSUER = "Participativní rozpočet"


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def hash_password(password: str) -> str:
    return _hashing()[0].hash(password)


# --- passwords ------------------------------------------------------------------------------------


def check_password_strength(password: str, *, email: str, name: str) -> None:
    """Refuse a password that is short, guessable (zxcvbn), or made of the e-mail or name."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(
            _("The password must have at least %(n)d characters.", n=MIN_PASSWORD_LENGTH),
            field="password",
        )
    email = normalise_email(email)
    local = email.split("@", 1)[0]
    lowered = _plain(password)
    words = _plain(name).split()
    personal = [email, local, *words, "".join(words)]
    if any(len(part) >= 3 and part in lowered for part in personal):
        raise InvalidInput(
            _("The password must not contain your e-mail address or your name."),
            field="password",
        )
    result = zxcvbn(password[:100], user_inputs=[p for p in personal if p])
    if result["score"] < MIN_STRENGTH:
        raise InvalidInput(
            _(
                "This password is too easy to guess. Use a longer one: several unrelated words "
                "are easy to remember and hard to guess."
            ),
            field="password",
        )


def _plain(text: str) -> str:
    """Lower case without accents: "Nová" and "nova" are the same word to a guesser."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _verify_password(user: User | None, password: str) -> bool:
    stored = user.password_hash if user is not None else _hashing()[1]
    try:
        _hashing()[0].verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False
    return user is not None


def password_matches(user: User, password: str) -> bool:
    """Whether `password` is the account's, for re-confirming an action of a signed-in person
    (it neither counts failures nor signs in)."""
    return _verify_password(user, password)


# --- signed links ---------------------------------------------------------------------------------


def _serializer(purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=f"pb.accounts.{purpose}")


def _fingerprint(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()[:16]


def _load_token(purpose: str, token: str, max_age: timedelta) -> dict | None:
    # itsdangerous checks the age against the wall clock: a link's lifetime is real time.
    try:
        data = _serializer(purpose).loads(token, max_age=int(max_age.total_seconds()))
    except (SignatureExpired, BadSignature):
        return None
    return data if isinstance(data, dict) else None


@dataclass(frozen=True)
class _SignedLink:
    """A mailed link that names an account and carries a fingerprint of the account's `state`:
    it is spent once that state changes."""

    purpose: str
    state_key: str
    state: Callable[[User], str]
    lifetime: timedelta

    def token(self, user: User) -> str:
        return _serializer(self.purpose).dumps({"u": user.id, self.state_key: self._stamp(user)})

    def user(self, token: str) -> User | None:
        """The account the link names, while the link is valid and not spent."""
        data = _load_token(self.purpose, token, self.lifetime)
        if not data or not isinstance(data.get("u"), int):
            return None
        user = db.session.get(User, data["u"])
        if user is None or data.get(self.state_key) != self._stamp(user):
            return None
        return user

    def _stamp(self, user: User) -> str:
        return _fingerprint(self.state(user))


# A confirmation link is spent once the address is confirmed; a reset link once the password is.
_CONFIRM_LINK = _SignedLink("confirm", "e", lambda user: user.email, CONFIRM_LIFETIME)
_RESET_LINK = _SignedLink("reset", "p", lambda user: user.password_hash, RESET_LIFETIME)


def confirmation_token(user: User) -> str:
    return _CONFIRM_LINK.token(user)


def reset_token(user: User) -> str:
    return _RESET_LINK.token(user)


# --- registration and confirmation ----------------------------------------------------------------

LinkFor = Callable[[str], str]


def register_user(
    *,
    email: str,
    name: str,
    password: str,
    now: datetime,
    confirm_link: LinkFor,
    reset_link: LinkFor,
    role: Role = Role.RESIDENT,
) -> User | None:
    """A new unconfirmed account and a confirmation mail; or, when the address already has an
    account, a mail to its owner and None. The caller answers the same way in both cases, so
    nobody learns from the form who has an account."""
    email = normalise_email(email)
    check_password_strength(password, email=email, name=name)
    password_hash = hash_password(password)  # in both cases: both answers take as long
    existing = db.session.scalar(select(User).where(User.email == email))
    if existing is not None:
        deliver(
            Message(
                recipient=email,
                subject=_("Someone tried to create an account with your e-mail"),
                body=_(
                    "Somebody (perhaps you) tried to create a new account with this e-mail "
                    "address, which already has one. If it was you, sign in; if you forgot "
                    "your password, set a new one here (valid for an hour):\n%(link)s\n\n"
                    "If it was not you, ignore this message: nothing has changed.",
                    link=reset_link(reset_token(existing)),
                ),
                kind="account.exists",
            ),
            now,
        )
        return None
    user = User(
        email=email, name=name.strip(), password_hash=password_hash, role=role, created_at=now
    )
    db.session.add(user)
    db.session.flush()
    send_confirmation(user, now=now, confirm_link=confirm_link)
    return user


def send_confirmation(user: User, *, now: datetime, confirm_link: LinkFor) -> None:
    deliver(
        Message(
            recipient=user.email,
            subject=_("Confirm your e-mail address"),
            body=_(
                "Welcome, %(name)s. Confirm your e-mail address by opening this link (valid for "
                "two days); then you can vote and submit proposals:\n%(link)s\n\n"
                "If you did not create an account, ignore this message.",
                name=user.name,
                link=confirm_link(confirmation_token(user)),
            ),
            kind="account.confirm",
        ),
        now,
    )


def confirm_email(token: str, now: datetime) -> User:
    user = _CONFIRM_LINK.user(token)
    if user is None:
        raise InvalidInput(
            _("This confirmation link is not valid or has expired. Sign in to get a new one.")
        )
    if user.email_confirmed_at is None:
        user.email_confirmed_at = now
        db.session.flush()
    return user


def require_confirmed(user: User) -> None:
    """Voting and submitting need a confirmed e-mail address."""
    if not user.email_confirmed:
        raise Forbidden(
            _(
                "Confirm your e-mail address first: open the link we sent you. You can ask for "
                "a new link on your account page."
            )
        )


# --- sign-in, lock, sessions ----------------------------------------------------------------------


@dataclass(frozen=True)
class SignIn:
    """The outcome of a sign-in attempt: the user, or None with `locked_until` when locked."""

    user: User | None
    locked_until: datetime | None = None


def _lock_for(failures: int) -> timedelta:
    if failures <= FREE_FAILURES:
        return timedelta(0)
    return min(FIRST_LOCK * 2 ** (failures - FREE_FAILURES - 1), MAX_LOCK)


def authenticate(email: str, password: str, now: datetime) -> SignIn:
    """Check e-mail and password. Failures are counted per account, whatever the address they
    come from: after FREE_FAILURES the account is locked for a growing time."""
    user = db.session.scalar(select(User).where(User.email == normalise_email(email)))
    if user is not None and user.locked_until is not None and user.locked_until > now:
        _verify_password(None, password)  # the same time as any other answer
        return SignIn(None, user.locked_until)
    if not _verify_password(user, password):
        if user is not None:
            user.failed_sign_ins += 1
            lock = _lock_for(user.failed_sign_ins)
            user.locked_until = now + lock if lock else None
            db.session.flush()
            if user.locked_until is not None:
                return SignIn(None, user.locked_until)
        return SignIn(None)
    assert user is not None, "a password matches only an account that exists"
    if not user.is_active:
        return SignIn(None)
    user.failed_sign_ins = 0
    user.locked_until = None
    if _hashing()[0].check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    db.session.flush()
    return SignIn(user)


def end_all_sessions(user: User) -> None:
    """Every session and remember-me token of the account stops working at once."""
    user.session_version += 1
    db.session.flush()


def change_password(user: User, *, current: str, new: str) -> None:
    if not _verify_password(user, current):
        raise InvalidInput(_("This is not your current password."), field="current")
    check_password_strength(new, email=user.email, name=user.name)
    user.password_hash = hash_password(new)
    end_all_sessions(user)


def send_reset(email: str, *, now: datetime, reset_link: LinkFor) -> None:
    """A reset link to the address if it has an account; the caller answers the same either way."""
    user = db.session.scalar(select(User).where(User.email == normalise_email(email)))
    if user is None or not user.is_active:
        return
    deliver(
        Message(
            recipient=user.email,
            subject=_("Set a new password"),
            body=_(
                "Open this link to set a new password (valid for an hour, once):\n%(link)s\n\n"
                "If you did not ask for it, ignore this message: your password stays.",
                link=reset_link(reset_token(user)),
            ),
            kind="account.reset",
        ),
        now,
    )


def _reset_link_spent() -> InvalidInput:
    return InvalidInput(
        _("This link is not valid: it has expired or was used already. Ask for a new one.")
    )


def user_for_reset(token: str, now: datetime) -> User:
    user = _RESET_LINK.user(token)
    if user is None or not user.is_active:
        raise _reset_link_spent()
    return user


def reset_password(token: str, new: str, now: datetime) -> User:
    """Set a new password from a mailed link: the link is spent, every session ends, the lock
    goes, and the address counts as confirmed (the link reached it)."""
    user = user_for_reset(token, now)
    check_password_strength(new, email=user.email, name=user.name)
    # The link is spent by a conditional UPDATE of the password it was made for: of two uses at
    # once, the second waits for the first's row and finds another password, where both read
    # the old one and each set its own (two successes, the first one's password gone).
    spent = rows_changed(
        update(User)
        .where(User.id == user.id, User.password_hash == user.password_hash)
        .values(password_hash=hash_password(new))
    )
    if not spent:
        raise _reset_link_spent()
    user.failed_sign_ins = 0
    user.locked_until = None
    if user.email_confirmed_at is None:
        user.email_confirmed_at = now
    end_all_sessions(user)
    return user


# --- TOTP for staff -------------------------------------------------------------------------------


def new_totp_secret() -> str:
    return pyotp.random_base32()


def totp_uri(user: User, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=TOTP_ISSUER)


def _totp_step(secret: str, code: str, now: datetime, last_step: int | None) -> int | None:
    """The time step the code belongs to (this one or its neighbours), unless already used."""
    # ASCII digits only: "²" or "٣" count as digits for str.isdigit, and compare_digest refuses them.
    typed = "".join(ch for ch in (code or "") if ch in string.digits)
    if len(typed) != 6:
        return None
    totp = pyotp.TOTP(secret)
    current = int(now.timestamp()) // totp.interval
    for step in (current, current - 1, current + 1):
        if hmac.compare_digest(totp.generate_otp(step), typed):
            return step if last_step is None or step > last_step else None
    return None


def _code_hash(user_id: int, code: str) -> str:
    cleaned = "".join(ch for ch in code.lower() if ch.isalnum())
    return hashlib.sha256(f"{user_id}:{cleaned}".encode()).hexdigest()


def enable_totp(user: User, secret: str, code: str, now: datetime) -> list[str]:
    """Turn on TOTP once the person shows a code from their app; new recovery codes (shown once)."""
    step = _totp_step(secret, code, now, None)
    if step is None:
        raise InvalidInput(
            _("This code does not match. Check the time on your phone and try the next code."),
            field="code",
        )
    user.totp_secret = secret
    user.totp_last_step = step
    return new_recovery_codes(user)


def new_recovery_codes(user: User) -> list[str]:
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = [
        "-".join(secrets.token_hex(2) for _ in range(3)) for _ in range(RECOVERY_CODES)
    ]  # 48 bits each, e.g. 3fa1-09bc-77de
    for code in codes:
        db.session.add(RecoveryCode(user_id=user.id, code_hash=_code_hash(user.id, code)))
    db.session.flush()
    return codes


def verify_second_factor(user: User, code: str, now: datetime) -> bool:
    """A current TOTP code (each usable once) or an unused recovery code (then spent)."""
    if user.totp_secret is None:
        return False
    # Each code is spent by a conditional UPDATE: of two sign-ins sending one code at once, the
    # second waits for the first's row and then finds it spent (read-then-write let both in).
    step = _totp_step(user.totp_secret, code, now, user.totp_last_step)
    if step is not None:
        spent = update(User).where(
            User.id == user.id, or_(User.totp_last_step.is_(None), User.totp_last_step < step)
        )
        return rows_changed(spent.values(totp_last_step=step)) == 1
    spent = update(RecoveryCode).where(
        RecoveryCode.user_id == user.id,
        RecoveryCode.code_hash == _code_hash(user.id, code or ""),
        RecoveryCode.used_at.is_(None),
    )
    return rows_changed(spent.values(used_at=now)) == 1


def recovery_codes_left(user: User) -> int:
    return (
        db.session.scalar(
            select(func.count())
            .select_from(RecoveryCode)
            .where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
        )
        or 0  # a count always has its row
    )


# --- my data --------------------------------------------------------------------------------------


def export_data(user: User) -> dict:
    """Everything the platform keeps about the account, as JSON-ready data."""
    from pb.proposals.engagement import Support  # domains above; only at this one use case
    from pb.proposals.models import Proposal

    proposals = db.session.scalars(select(Proposal).where(Proposal.author_id == user.id)).all()
    supports = db.session.execute(
        select(Support.proposal_id, Support.created_at).where(Support.user_id == user.id)
    ).all()
    return {
        "account": {
            "email": user.email,
            "name": user.name,
            "role": user.role.value,
            "created_at": user.created_at.isoformat(),
            "email_confirmed_at": user.email_confirmed_at.isoformat()
            if user.email_confirmed_at
            else None,
            "two_factor": user.totp_secret is not None,
            "eid_linked": user.eid_subject is not None,
        },
        "proposals": [
            {"number": p.number, "title": p.title, "status": p.status.value} for p in proposals
        ],
        "supports": [
            {"proposal_id": proposal_id, "created_at": created.isoformat()}
            for proposal_id, created in supports
        ],
        "votes": _(
            "Whether and how you voted is not linked to your account: the ballot is secret."
        ),
    }


def delete_account(user: User, *, password: str, now: datetime) -> None:
    """Erase the person from the account and close it. What the law requires stays, without
    the person: submitted proposals and supports (public record, counted when they were given),
    and the participation in a vote, which was never linked to the account; the account's tie to
    a voter key in an edition loses its account, so nobody votes twice by deleting an account. The account row remains as an empty, deactivated shell, so that
    the proposals and the audit log keep pointing at something."""
    if not _verify_password(user, password):
        raise InvalidInput(_("This is not your current password."), field="password")
    if user.role != Role.RESIDENT:
        raise Conflict(
            _("A staff account is closed by an administrator, not deleted by its holder.")
        )
    from pb.voting.bindings import VoterBinding  # a domain above; only at this one use case

    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    db.session.execute(
        VoterBinding.__table__.update()
        .where(VoterBinding.account_id == user.id)
        .values(account_id=None)
    )
    user.email = f"deleted-{user.id}-{secrets.token_hex(4)}@deleted.invalid"
    user.name = _("Deleted account")
    user.password_hash = _hashing()[1]
    user.totp_secret = None
    user.eid_subject = None
    user.is_active_account = False
    end_all_sessions(user)


def require_role(user: User | None, *roles: Role) -> User:
    """Services call this too: a route's decorator is not the only guard."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.has_role(*roles):
        raise Forbidden(_("You do not have permission to do this."))
    return user
