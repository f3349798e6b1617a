"""ranked ballots, greedy-custom's reserve share, mutually exclusive proposals

A project group may use a ranked ballot (rank up to `max_ranks` projects, `rank_points` by rank,
"3,2,1" in Kraków) and the greedy-custom tally with its `reserve_percent` (80 in Poznań). An
official marks pairs of proposals that cannot be carried out together (`exclusive_pair`).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 03:00:00

"""
from alembic import op
import sqlalchemy as sa

import pb.core.types


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    # Plain ADD/DROP COLUMN (SQLite has both): a batch copy of `category` would have to drop a
    # table that proposals point to.
    op.add_column('category', sa.Column('max_ranks', sa.Integer(), nullable=True))
    op.add_column('category', sa.Column('rank_points', sa.String(length=60), nullable=True))
    op.add_column('category', sa.Column('reserve_percent', sa.Integer(), nullable=True))

    op.create_table('exclusive_pair',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('edition_id', sa.Integer(), nullable=False),
    sa.Column('first_id', sa.Integer(), nullable=False),
    sa.Column('second_id', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', pb.core.types.UTCDateTime(), nullable=False),
    sa.CheckConstraint('first_id < second_id', name=op.f('ck_exclusive_pair_ordered')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_exclusive_pair_created_by_id_user_account')),
    sa.ForeignKeyConstraint(['edition_id'], ['edition.id'], name=op.f('fk_exclusive_pair_edition_id_edition'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['first_id'], ['proposal.id'], name=op.f('fk_exclusive_pair_first_id_proposal'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['second_id'], ['proposal.id'], name=op.f('fk_exclusive_pair_second_id_proposal'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_exclusive_pair')),
    sa.UniqueConstraint('first_id', 'second_id', name=op.f('uq_exclusive_pair_first_id_second_id'))
    )
    with op.batch_alter_table('exclusive_pair', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_exclusive_pair_edition_id'), ['edition_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_exclusive_pair_first_id'), ['first_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_exclusive_pair_second_id'), ['second_id'], unique=False)


def downgrade():
    with op.batch_alter_table('exclusive_pair', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_exclusive_pair_second_id'))
        batch_op.drop_index(batch_op.f('ix_exclusive_pair_first_id'))
        batch_op.drop_index(batch_op.f('ix_exclusive_pair_edition_id'))

    op.drop_table('exclusive_pair')
    op.drop_column('category', 'reserve_percent')
    op.drop_column('category', 'rank_points')
    op.drop_column('category', 'max_ranks')
