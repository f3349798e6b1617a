"""accounts and a second factor: confirmation, session versions, locks, TOTP, eID; the register's
second factor; one account one person per edition; one contact one declaration

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25 09:00:00

"""
import sqlalchemy as sa
from alembic import op

import pb.core.types

# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email_confirmed_at', pb.core.types.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('session_version', sa.Integer(), nullable=False, server_default='1'))
        batch_op.add_column(sa.Column('failed_sign_ins', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('locked_until', pb.core.types.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('totp_secret', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('totp_last_step', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('eid_subject', sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_user_account_eid_subject'), ['eid_subject'])
    # Accounts that exist before confirmation was required keep working: they are taken as confirmed.
    op.execute("UPDATE user_account SET email_confirmed_at = created_at")

    op.create_table(
        'recovery_code',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('code_hash', sa.String(length=64), nullable=False),
        sa.Column('used_at', pb.core.types.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_recovery_code_user_id_user_account'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_recovery_code')),
    )
    with op.batch_alter_table('recovery_code', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_recovery_code_user_id'), ['user_id'], unique=False)

    with op.batch_alter_table('voter_registry_entry', schema=None) as batch_op:
        batch_op.add_column(sa.Column('factor_hash', sa.String(length=64), nullable=True))
    with op.batch_alter_table('edition', schema=None) as batch_op:
        batch_op.add_column(sa.Column('accept_eid', sa.Boolean(), nullable=False, server_default=sa.false()))
    with op.batch_alter_table('one_time_code', schema=None) as batch_op:
        batch_op.add_column(sa.Column('contact_key', sa.String(length=64), nullable=True))

    op.create_table(
        'voter_binding',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('edition_id', sa.Integer(), nullable=False),
        sa.Column('account_id', sa.Integer(), nullable=True),
        sa.Column('voter_key', sa.String(length=64), nullable=False),
        sa.Column('created_at', pb.core.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['account_id'], ['user_account.id'], name=op.f('fk_voter_binding_account_id_user_account'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['edition_id'], ['edition.id'], name=op.f('fk_voter_binding_edition_id_edition'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_voter_binding')),
        sa.UniqueConstraint('edition_id', 'account_id', name=op.f('uq_voter_binding_edition_id_account_id')),
        sa.UniqueConstraint('edition_id', 'voter_key', name=op.f('uq_voter_binding_edition_id_voter_key')),
    )
    op.create_table(
        'declaration_contact',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('edition_id', sa.Integer(), nullable=False),
        sa.Column('contact_key', sa.String(length=64), nullable=False),
        sa.Column('voter_key', sa.String(length=64), nullable=False),
        sa.Column('created_at', pb.core.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['edition_id'], ['edition.id'], name=op.f('fk_declaration_contact_edition_id_edition'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_declaration_contact')),
        sa.UniqueConstraint('edition_id', 'contact_key', name=op.f('uq_declaration_contact_edition_id_contact_key')),
        sa.UniqueConstraint('edition_id', 'voter_key', name=op.f('uq_declaration_contact_edition_id_voter_key')),
    )


def downgrade():
    op.drop_table('declaration_contact')
    op.drop_table('voter_binding')
    with op.batch_alter_table('one_time_code', schema=None) as batch_op:
        batch_op.drop_column('contact_key')
    with op.batch_alter_table('edition', schema=None) as batch_op:
        batch_op.drop_column('accept_eid')
    with op.batch_alter_table('voter_registry_entry', schema=None) as batch_op:
        batch_op.drop_column('factor_hash')
    with op.batch_alter_table('recovery_code', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_recovery_code_user_id'))
    op.drop_table('recovery_code')
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_user_account_eid_subject'), type_='unique')
        for column in ('eid_subject', 'totp_last_step', 'totp_secret', 'locked_until',
                       'failed_sign_ins', 'session_version', 'email_confirmed_at'):
            batch_op.drop_column(column)
