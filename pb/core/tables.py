"""A model's table, for the statements that go past the ORM (bulk inserts, locked updates)."""

from __future__ import annotations

from sqlalchemy import Table

from pb.core.extensions import Model


def table_of(model: type[Model]) -> Table:
    """The Table behind a model. SQLAlchemy types `__table__` as any selectable, because a class
    may be mapped to a join or a query; every model here declares its own table."""
    table = model.__table__
    assert isinstance(table, Table), f"{model.__name__} is mapped to {table!r}, not a table"
    return table
