"""audit chain head, published anchors, numbered entries; an edition's count state

- audit_entry.seq: each entry's position in the chain, from 1 (unique), and the hash format 2
  (seq in the hash, the body - actor and values - only as its own hash, so the chain can be
  verified publicly without personal data). Existing entries are re-hashed once here: no head of
  the old format was ever published, so there is nothing an observer could compare against.
- audit_head: the single row every writer updates first (serialises the writers).
- audit_anchor: heads published at phase changes, counts and publications.
- edition.count_started_at (the count is a one-way door) and edition.voting_extension_reason.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25 09:00:00

"""
import hashlib
import json

import sqlalchemy as sa
from alembic import op

import pb.core.types

# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

GENESIS_HASH = "0" * 64


def _canonical(value):
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def _sha(text):
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _stamp(value):
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def _rehash(connection):
    entry = sa.table(
        "audit_entry",
        *(sa.column(name) for name in ("id", "actor_label", "action", "object_type")),
        *(sa.column(name) for name in ("object_id", "before", "after")),
        sa.column("created_at", pb.core.types.UTCDateTime()),
    )
    rows = connection.execute(sa.select(entry).order_by(entry.c.id)).all()
    previous = GENESIS_HASH
    for seq, row in enumerate(rows, 1):
        body = _sha(_canonical([row.actor_label, row.before, row.after]))
        digest = _sha(
            _canonical(
                [previous, seq, _stamp(row.created_at), row.action, row.object_type,
                 row.object_id, body]
            )
        )
        connection.execute(
            sa.text(
                "UPDATE audit_entry SET seq = :seq, prev_hash = :prev, entry_hash = :hash"
                " WHERE id = :id"
            ),
            {"seq": seq, "prev": previous, "hash": digest,
             "id": row.id},
        )
        previous = digest
    connection.execute(
        sa.text("INSERT INTO audit_head (id, seq, entry_hash) VALUES (1, :seq, :hash)"),
        {"seq": len(rows), "hash": previous},
    )


def upgrade():
    op.create_table('audit_head',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('entry_hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_head'))
    )
    op.create_table('audit_anchor',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('entry_hash', sa.String(length=64), nullable=False),
    sa.Column('reason', sa.String(length=40), nullable=False),
    sa.Column('edition_slug', sa.String(length=80), nullable=True),
    sa.Column('phase', sa.String(length=20), nullable=True),
    sa.Column('created_at', pb.core.types.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_anchor'))
    )
    with op.batch_alter_table('audit_anchor', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_anchor_created_at'), ['created_at'], unique=False)

    with op.batch_alter_table('audit_entry', schema=None) as batch_op:
        batch_op.add_column(sa.Column('seq', sa.Integer(), nullable=True))
        batch_op.drop_constraint('uq_audit_entry_entry_hash', type_='unique')
    _rehash(op.get_bind())
    with op.batch_alter_table('audit_entry', schema=None) as batch_op:
        batch_op.alter_column('seq', existing_type=sa.Integer(), nullable=False)
        batch_op.create_unique_constraint(batch_op.f('uq_audit_entry_seq'), ['seq'])
        batch_op.create_unique_constraint(batch_op.f('uq_audit_entry_entry_hash'), ['entry_hash'])

    with op.batch_alter_table('edition', schema=None) as batch_op:
        batch_op.add_column(sa.Column('count_started_at', pb.core.types.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('voting_extension_reason', sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table('edition', schema=None) as batch_op:
        batch_op.drop_column('voting_extension_reason')
        batch_op.drop_column('count_started_at')

    # The entries keep their format-2 hashes; the old verifier cannot check them.
    with op.batch_alter_table('audit_entry', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_audit_entry_seq'), type_='unique')
        batch_op.drop_column('seq')

    with op.batch_alter_table('audit_anchor', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_anchor_created_at'))
    op.drop_table('audit_anchor')
    op.drop_table('audit_head')
