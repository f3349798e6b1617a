"""Columns that many models declare alike, declared once.

A part of an edition (a project group, a proposal, a result) and a part of a proposal (a cost
item, a review, a support) each carry the same foreign key: deleted with its owner and looked up
by it. Mix the owner in before `Model`: `class Review(BelongsToProposal, Model)`. An enum column
stores its members' values as text, so that a new member needs no ALTER TYPE on PostgreSQL.
"""

from __future__ import annotations

import enum

from sqlalchemy import Enum, ForeignKey
from sqlalchemy.orm import Mapped, mapped_column


class BelongsToEdition:
    """A row that is part of one edition: deleted with it, and found by it."""

    edition_id: Mapped[int] = mapped_column(
        ForeignKey("edition.id", ondelete="CASCADE"), index=True
    )


class BelongsToProposal:
    """A row that is part of one proposal: deleted with it, and found by it."""

    proposal_id: Mapped[int] = mapped_column(
        ForeignKey("proposal.id", ondelete="CASCADE"), index=True
    )


def value_enum(members: type[enum.Enum], length: int = 30) -> Enum:
    """An enum column's type: the members' values in a string of `length`, no database enum."""
    return Enum(
        members,
        native_enum=False,
        length=length,
        values_callable=lambda kind: [member.value for member in kind],
    )
