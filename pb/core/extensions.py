"""Extension objects, created unbound so that models and blueprints can import them without cycles."""

from typing import TYPE_CHECKING, Any, ClassVar

from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate  # type: ignore[import-untyped]  # Flask-Migrate ships no types
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData, Table
from sqlalchemy.orm import DeclarativeBase

# Stable constraint names let Alembic drop and alter constraints on SQLite and PostgreSQL alike.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)

    if TYPE_CHECKING:
        # Every model here names its table (`__tablename__`), so declarative maps it to a Table;
        # SQLAlchemy types `__table__` as any FromClause (a class may map a join or a select),
        # which Core's insert() and update() refuse.
        __table__: ClassVar[Table[Any]]


db = SQLAlchemy(model_class=Base)

if TYPE_CHECKING:
    # mypy cannot take an attribute (db.Model) as a base class; at run time the models get
    # Flask-SQLAlchemy's Model, whose metaclass names the tables and binds the session.
    Model = Base
else:
    Model = db.Model
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
limiter = Limiter(key_func=get_remote_address, default_limits=[])


def _python_lower(value: str | None) -> str | None:
    return value.lower() if isinstance(value, str) else value


def _configure_sqlite_connections() -> None:
    """SQLite ignores foreign keys unless asked on every connection; PostgreSQL always checks them.

    A deleted row's bytes are overwritten on SQLite (secure_delete), as sealed envelopes must not
    outlive their deletion in free pages of the file.

    SQLite's lower() folds only ASCII ("ŠKOLA" stays "ŠKOLA"), so searching Czech or Polish text
    would miss capitals with accents; Python's lower() takes its place on SQLite connections.
    """
    import sqlite3

    from sqlalchemy import event
    from sqlalchemy.engine import Engine
    from sqlalchemy.engine.interfaces import DBAPIConnection
    from sqlalchemy.pool import ConnectionPoolEntry

    @event.listens_for(Engine, "connect")
    def _on_connect(dbapi_connection: DBAPIConnection, _record: ConnectionPoolEntry) -> None:
        if isinstance(dbapi_connection, sqlite3.Connection):
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA secure_delete=ON")
            cursor.close()
            dbapi_connection.create_function("lower", 1, _python_lower, deterministic=True)


_configure_sqlite_connections()


# Pessimistic disconnect handling, but only for connections that sat idle: SQLAlchemy's
# pool_pre_ping costs a round trip on every checkout, which under load (when connections are
# never idle long) is a fifth of a ballot's database work. A connection the server dropped while
# it was idle is found here and replaced (DisconnectionError makes the pool take a fresh one).
PING_AFTER_IDLE_SECONDS = 10.0


def _configure_idle_ping() -> None:
    import time

    from sqlalchemy import event, exc
    from sqlalchemy.engine.interfaces import DBAPIConnection
    from sqlalchemy.pool import ConnectionPoolEntry, Pool, PoolProxiedConnection

    @event.listens_for(Pool, "checkin")
    def _on_checkin(
        _dbapi_connection: DBAPIConnection | None, record: ConnectionPoolEntry | None
    ) -> None:
        if record is not None:
            record.info["pb_idle_since"] = time.monotonic()

    @event.listens_for(Pool, "checkout")
    def _on_checkout(
        dbapi_connection: DBAPIConnection,
        record: ConnectionPoolEntry,
        _proxy: PoolProxiedConnection,
    ) -> None:
        idle_since = record.info.get("pb_idle_since")
        if idle_since is None or time.monotonic() - idle_since < PING_AFTER_IDLE_SECONDS:
            return
        try:
            cursor = dbapi_connection.cursor()
            cursor.execute("SELECT 1")
            cursor.close()
            dbapi_connection.rollback()
        except Exception as error:  # any failure means this connection is unusable
            raise exc.DisconnectionError() from error


_configure_idle_ping()
