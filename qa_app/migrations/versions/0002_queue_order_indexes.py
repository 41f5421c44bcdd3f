"""Indexes matching the moderation queue's orderings, so that a page never sorts the whole episode

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29
"""
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The queue orders by (priority, created_at, id) all descending: the index is scanned backwards.
    op.create_index('ix_question_queue_priority', 'question', ['episode_id', 'priority', 'created_at', 'id'])
    op.create_index('ix_question_queue_status_priority', 'question',
                    ['episode_id', 'status', 'priority', 'created_at', 'id'])
    op.create_index('ix_question_queue_created', 'question', ['episode_id', 'created_at', 'id'])
    op.create_index('ix_question_department_due', 'question', ['department_id', 'status', 'due_date'])


def downgrade() -> None:
    op.drop_index('ix_question_department_due', table_name='question')
    op.drop_index('ix_question_queue_created', table_name='question')
    op.drop_index('ix_question_queue_status_priority', table_name='question')
    op.drop_index('ix_question_queue_priority', table_name='question')
