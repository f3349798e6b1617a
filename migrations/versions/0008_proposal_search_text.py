"""proposal.search_text: title, summary and place folded for search without accents

"hriste" finds "Hřiště": the application keeps a lower-case, accent-free copy of the searchable
text on every save (the same on SQLite and PostgreSQL); this migration adds the column and fills
it for the proposals already there.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-24 12:00:00

"""
import unicodedata

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def upgrade():
    with op.batch_alter_table('proposal', schema=None) as batch_op:
        batch_op.add_column(sa.Column('search_text', sa.Text(), nullable=False, server_default=''))
    connection = op.get_bind()
    rows = connection.execute(sa.text('SELECT id, title, summary, address FROM proposal')).all()
    for row in rows:
        folded = _fold(' '.join((row.title or '', row.summary or '', row.address or '')))
        connection.execute(
            sa.text('UPDATE proposal SET search_text = :text WHERE id = :id'),
            {'text': folded, 'id': row.id},
        )


def downgrade():
    with op.batch_alter_table('proposal', schema=None) as batch_op:
        batch_op.drop_column('search_text')
