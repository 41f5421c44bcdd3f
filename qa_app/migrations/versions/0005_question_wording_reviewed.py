"""A question remembers when a moderator reviewed its public wording (saved or approved it); until then
citizen-facing views hide every name-like sequence and digit run in it

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""
import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('question', schema=None) as batch_op:
        batch_op.add_column(sa.Column('wording_reviewed_at', sa.DateTime(timezone=True), nullable=True))
    # A wording a moderator already saved counts as reviewed (the audit says when); the others are hidden
    # more strictly from now on, until a moderator approves them.
    op.execute(
        "UPDATE question SET wording_reviewed_at = ("
        "SELECT max(audit_event.at) FROM audit_event WHERE audit_event.action = 'question.edit' "
        "AND audit_event.entity_type = 'question' AND audit_event.entity_id = question.id)"
    )


def downgrade() -> None:
    with op.batch_alter_table('question', schema=None) as batch_op:
        batch_op.drop_column('wording_reviewed_at')
