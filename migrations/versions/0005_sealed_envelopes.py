"""sealed envelopes: the ballot box, its key shares, envelopes and the bulletin board

A ballot is cast as a sealed envelope (the choices encrypted to the edition's public key) written
with the participation; the plain ballot is written only when k commission members open the box.
A plain ballot keeps no receipt hash and no day any more: the bulletin board (`bulletin_entry`)
keeps the receipt hashes, and statistics by day come from participations.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25 07:00:00

"""
from alembic import op
import sqlalchemy as sa

from pb.core.types import UTCDateTime


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('ballot_box',
    sa.Column('edition_id', sa.Integer(), nullable=False),
    sa.Column('public_key', sa.LargeBinary(length=32), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('threshold', sa.Integer(), nullable=False),
    sa.Column('share_count', sa.Integer(), nullable=False),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('paper_sheets', sa.Integer(), nullable=False),
    sa.Column('opened_at', UTCDateTime(), nullable=True),
    sa.Column('opened_envelopes', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_ballot_box_created_by_id_user_account')),
    sa.ForeignKeyConstraint(['edition_id'], ['edition.id'], name=op.f('fk_ballot_box_edition_id_edition'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('edition_id', name=op.f('pk_ballot_box'))
    )
    op.create_table('member_key',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('public_key', sa.LargeBinary(length=32), nullable=False),
    sa.Column('wrapped_private_key', sa.LargeBinary(length=72), nullable=False),
    sa.Column('salt', sa.LargeBinary(length=16), nullable=False),
    sa.Column('opslimit', sa.Integer(), nullable=False),
    sa.Column('memlimit', sa.BigInteger(), nullable=False),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_member_key_user_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_member_key'))
    )
    op.create_table('key_share',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('edition_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('sealed_share', sa.LargeBinary(), nullable=True),
    sa.Column('received_at', UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['edition_id'], ['edition.id'], name=op.f('fk_key_share_edition_id_edition'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['member_id'], ['user_account.id'], name=op.f('fk_key_share_member_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_key_share')),
    sa.UniqueConstraint('edition_id', 'member_id', name=op.f('uq_key_share_edition_id_member_id'))
    )
    op.create_table('envelope',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('edition_id', sa.Integer(), nullable=False),
    sa.Column('sealed', sa.LargeBinary(), nullable=False),
    sa.Column('receipt_hash', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['edition_id'], ['edition.id'], name=op.f('fk_envelope_edition_id_edition'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_envelope')),
    sa.UniqueConstraint('receipt_hash', name=op.f('uq_envelope_receipt_hash')),
    sqlite_with_rowid=False
    )
    op.create_index(op.f('ix_envelope_edition_id'), 'envelope', ['edition_id'], unique=False)
    op.create_table('bulletin_entry',
    sa.Column('receipt_hash', sa.String(length=64), nullable=False),
    sa.Column('edition_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['edition_id'], ['edition.id'], name=op.f('fk_bulletin_entry_edition_id_edition'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('receipt_hash', name=op.f('pk_bulletin_entry')),
    sqlite_with_rowid=False
    )
    op.create_index(op.f('ix_bulletin_entry_edition_id'), 'bulletin_entry', ['edition_id'], unique=False)
    # Ballots cast before envelopes keep their receipts on the bulletin board.
    op.execute(
        "INSERT INTO bulletin_entry (receipt_hash, edition_id) "
        "SELECT receipt_hash, edition_id FROM ballot ORDER BY receipt_hash"
    )
    with op.batch_alter_table('ballot', table_kwargs={'sqlite_with_rowid': False}) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_ballot_receipt_hash'), type_='unique')
        batch_op.drop_column('receipt_hash')
        batch_op.drop_column('cast_on')


def downgrade():
    with op.batch_alter_table('ballot', table_kwargs={'sqlite_with_rowid': False}) as batch_op:
        batch_op.add_column(sa.Column('cast_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('receipt_hash', sa.String(length=64), nullable=True))
    op.drop_index(op.f('ix_bulletin_entry_edition_id'), table_name='bulletin_entry')
    op.drop_table('bulletin_entry')
    op.drop_index(op.f('ix_envelope_edition_id'), table_name='envelope')
    op.drop_table('envelope')
    op.drop_table('key_share')
    op.drop_table('member_key')
    op.drop_table('ballot_box')
