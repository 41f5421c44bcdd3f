"""Idempotency keys belong to their caller: a scope (account or anonymous) and a digest of what was sent

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01
"""
import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('submission') as batch:
        batch.add_column(sa.Column('idempotency_scope', sa.String(length=40), server_default='', nullable=False))
        batch.add_column(sa.Column('request_hash', sa.String(length=64), nullable=True))
    # Keys sent before: an account's own when an account entered them, else the anonymous public's.
    op.execute(
        "UPDATE submission SET idempotency_scope = 'user:' || CAST(entered_by_id AS VARCHAR) "
        "WHERE entered_by_id IS NOT NULL AND idempotency_key IS NOT NULL"
    )
    with op.batch_alter_table('submission') as batch:
        batch.drop_constraint('uq_submission_episode_idempotency', type_='unique')
        batch.create_unique_constraint(
            'uq_submission_episode_idempotency_scope', ['episode_id', 'idempotency_key', 'idempotency_scope']
        )


def downgrade() -> None:
    # Two callers may now hold the same key: keep the first, forget the key of the others.
    op.execute(
        "UPDATE submission SET idempotency_key = NULL WHERE idempotency_key IS NOT NULL AND id NOT IN "
        "(SELECT MIN(id) FROM submission WHERE idempotency_key IS NOT NULL GROUP BY episode_id, idempotency_key)"
    )
    with op.batch_alter_table('submission') as batch:
        batch.drop_constraint('uq_submission_episode_idempotency_scope', type_='unique')
        batch.create_unique_constraint('uq_submission_episode_idempotency', ['episode_id', 'idempotency_key'])
        batch.drop_column('request_hash')
        batch.drop_column('idempotency_scope')
