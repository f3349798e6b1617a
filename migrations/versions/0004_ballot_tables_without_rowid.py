"""ballot tables keep no insertion order on SQLite (WITHOUT ROWID)

SQLite gives every ordinary table a hidden rowid that grows with each insert, so the order ballots
were cast in (and with it the link to the participation written in the same moment) could be read
back. A WITHOUT ROWID table is stored in primary-key order; a ballot's key is random. PostgreSQL
has no such option and is left unchanged here (the voting service mixes ballots there instead).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24 07:00:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

TABLES = ("ballot", "ballot_choice")


def _recreate(with_rowid: bool) -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    # Dropping the old ballot table would cascade into ballot_choice (foreign keys are on), so
    # the choices wait in a plain copy while both tables are rebuilt.
    op.execute("CREATE TABLE _ballot_choice_keep AS SELECT * FROM ballot_choice")
    for table in TABLES:
        # The batch copy keeps columns, keys, checks and indexes and moves the rows over.
        with op.batch_alter_table(
            table, recreate="always", table_kwargs={"sqlite_with_rowid": with_rowid}
        ):
            pass
    op.execute("DELETE FROM ballot_choice")
    op.execute(
        "INSERT INTO ballot_choice (ballot_id, proposal_id, category_id, value)"
        " SELECT ballot_id, proposal_id, category_id, value FROM _ballot_choice_keep"
    )
    op.execute("DROP TABLE _ballot_choice_keep")


def upgrade():
    _recreate(with_rowid=False)


def downgrade():
    _recreate(with_rowid=True)
