from __future__ import annotations

import enum
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Enum, String
from sqlalchemy.orm import Mapped, mapped_column

from pb.core.extensions import db
from pb.core.types import UTCDateTime, utcnow


class Role(enum.StrEnum):
    RESIDENT = "resident"
    OFFICIAL = "official"
    COMMISSION = "commission"
    ADMIN = "admin"
    # An official of a city department that builds funded projects; scoped to its departments
    # (pb.implementation.models.DepartmentMember).
    IMPLEMENTER = "implementer"


class User(UserMixin, db.Model):
    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(
        Enum(Role, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e]),
        default=Role.RESIDENT,
    )
    is_active_account: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def is_active(self) -> bool:  # Flask-Login refuses sign-in to deactivated accounts
        return self.is_active_account

    def has_role(self, *roles: Role) -> bool:
        # An admin may do everything an official or the commission may do.
        return self.role in roles or self.role == Role.ADMIN

    def __repr__(self) -> str:
        return f"<User {self.id} {self.role.value}>"
