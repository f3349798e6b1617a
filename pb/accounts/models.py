from __future__ import annotations

import enum
from datetime import datetime
from typing import ClassVar

from flask_login import UserMixin
from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from pb.core.extensions import Model
from pb.core.model_columns import value_enum
from pb.core.types import UTCDateTime, utcnow


class Role(enum.StrEnum):
    RESIDENT = "resident"
    OFFICIAL = "official"
    COMMISSION = "commission"
    ADMIN = "admin"
    # An official of a city department that builds funded projects; scoped to its departments
    # (pb.implementation.models.DepartmentMember).
    IMPLEMENTER = "implementer"


# The roles an admin holds besides his own: never the commission (separation of duties).
ADMIN_ALSO = frozenset({Role.OFFICIAL})
# Roles that must sign in with a second factor (TOTP): they decide, count and publish.
STAFF_ROLES = (Role.OFFICIAL, Role.COMMISSION, Role.ADMIN)


class User(UserMixin, Model):
    __tablename__ = "user_account"
    # Not the table's name: the audit entries have named users "user" from the start.
    audit_type: ClassVar[str] = "user"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(value_enum(Role, 20), default=Role.RESIDENT)
    is_active_account: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Set when the owner followed the link we mailed; voting and submitting need it.
    email_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Part of the id kept in the session and the remember cookie: bumping it ends every session.
    session_version: Mapped[int] = mapped_column(default=1)
    # Failed sign-ins in a row, whatever the address, and until when the account is locked.
    failed_sign_ins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # TOTP (RFC 6238): the shared secret once set up, and the last time step used (no replay).
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_last_step: Mapped[int | None]
    # The eID identity (HMAC of the provider's subject) this account signs in with, if any.
    eid_subject: Mapped[str | None] = mapped_column(String(64), unique=True)

    @property
    def is_active(self) -> bool:  # Flask-Login refuses sign-in to deactivated accounts
        return self.is_active_account

    @property
    def email_confirmed(self) -> bool:
        return self.email_confirmed_at is not None

    @property
    def needs_second_factor(self) -> bool:
        return self.role in STAFF_ROLES

    def get_id(self) -> str:
        # Flask-Login's alternative id: the session and the remember cookie carry the version and
        # the role the account signed in with (pb.accounts.sessions.load_user).
        return f"{self.id}:{self.session_version}:{self.role.value}"

    def has_role(self, *roles: Role) -> bool:
        """Whether the account holds one of `roles`.

        An admin also does an official's work (reviews, paper ballots), but is never a member of
        the commission: the commission checks the administration (counts, approves, publishes,
        decides appeals), and four eyes must be four eyes.
        """
        if self.role in roles:
            return True
        return self.role == Role.ADMIN and any(r in ADMIN_ALSO for r in roles)

    def __repr__(self) -> str:
        return f"<User {self.id} {self.role.value}>"


class RecoveryCode(Model):
    """A one-use code that replaces a TOTP code when the phone is lost; only its hash is kept."""

    __tablename__ = "recovery_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    code_hash: Mapped[str] = mapped_column(String(64))
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
