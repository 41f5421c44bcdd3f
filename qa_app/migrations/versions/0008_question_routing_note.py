"""A question keeps the moderator's routing note, so the department reads it (it was in the audit log only)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("question", schema=None) as batch_op:
        batch_op.add_column(sa.Column("routing_note", sa.Text(), nullable=True))
    # The latest note a moderator gave when routing, from the audit trail.
    op.execute(
        "UPDATE question SET routing_note = ("
        "SELECT audit_event.note FROM audit_event WHERE audit_event.action = 'question.route' "
        "AND audit_event.entity_type = 'question' AND audit_event.entity_id = question.id "
        "AND audit_event.note IS NOT NULL ORDER BY audit_event.id DESC LIMIT 1)"
    )


def downgrade() -> None:
    with op.batch_alter_table("question", schema=None) as batch_op:
        batch_op.drop_column("routing_note")
