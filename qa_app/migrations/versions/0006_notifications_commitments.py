"""Outbox of notifications to citizens, commitment follow-up and verdicts

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('commitment_verdict',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('commitment_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('submission_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('verdict', sa.Enum('yes', 'not_yet', 'partly', name='verdict', native_enum=False, length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['commitment_id'], ['commitment.id'], name=op.f('fk_commitment_verdict_commitment_id_commitment'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['submission_id'], ['submission.id'], name=op.f('fk_commitment_verdict_submission_id_submission')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_commitment_verdict')),
    sa.UniqueConstraint('commitment_id', 'submission_id', name='uq_commitment_verdict_commitment_submission')
    )
    with op.batch_alter_table('commitment_verdict', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_commitment_verdict_commitment_id'), ['commitment_id'], unique=False)

    op.create_table('outbound_message',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('kind', sa.Enum('answered_on_air', 'answer_published', 'out_of_scope', 'commitment_done', 'commitment_dropped', 'commitment_check', name='messagekind', native_enum=False, length=32), nullable=False),
    sa.Column('channel', sa.String(length=8), nullable=False),
    sa.Column('episode_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('question_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('submission_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('commitment_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('dedupe_key', sa.String(length=160), nullable=False),
    sa.Column('delivery_id', sa.String(length=32), nullable=False),
    sa.Column('status', sa.Enum('pending', 'sending', 'sent', 'failed', 'in_doubt', 'cancelled', name='messagestatus', native_enum=False, length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('lease_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('claimed_by', sa.String(length=64), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('subject', sa.String(length=255), nullable=True),
    sa.Column('body', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['commitment_id'], ['commitment.id'], name=op.f('fk_outbound_message_commitment_id_commitment'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['episode_id'], ['episode.id'], name=op.f('fk_outbound_message_episode_id_episode')),
    sa.ForeignKeyConstraint(['question_id'], ['question.id'], name=op.f('fk_outbound_message_question_id_question')),
    sa.ForeignKeyConstraint(['submission_id'], ['submission.id'], name=op.f('fk_outbound_message_submission_id_submission')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbound_message')),
    sa.UniqueConstraint('dedupe_key', name=op.f('uq_outbound_message_dedupe_key')),
    sa.UniqueConstraint('delivery_id', name=op.f('uq_outbound_message_delivery_id'))
    )
    with op.batch_alter_table('outbound_message', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outbound_message_episode_id'), ['episode_id'], unique=False)
        batch_op.create_index('ix_outbound_message_status_next', ['status', 'next_attempt_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_outbound_message_submission_id'), ['submission_id'], unique=False)

    with op.batch_alter_table('commitment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('claimed_by_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True))
        batch_op.add_column(sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('review_note', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('drop_reason', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('done_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('verdict_requested_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_commitment_claimed_by_id_user_account'), 'user_account', ['claimed_by_id'], ['id'])

    with op.batch_alter_table('submission', schema=None) as batch_op:
        batch_op.add_column(sa.Column('notifications_stopped_at', sa.DateTime(timezone=True), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('submission', schema=None) as batch_op:
        batch_op.drop_column('notifications_stopped_at')

    with op.batch_alter_table('commitment', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_commitment_claimed_by_id_user_account'), type_='foreignkey')
        batch_op.drop_column('verdict_requested_at')
        batch_op.drop_column('done_at')
        batch_op.drop_column('drop_reason')
        batch_op.drop_column('review_note')
        batch_op.drop_column('claimed_at')
        batch_op.drop_column('claimed_by_id')

    with op.batch_alter_table('outbound_message', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbound_message_submission_id'))
        batch_op.drop_index('ix_outbound_message_status_next')
        batch_op.drop_index(batch_op.f('ix_outbound_message_episode_id'))

    op.drop_table('outbound_message')
    with op.batch_alter_table('commitment_verdict', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_commitment_verdict_commitment_id'))

    op.drop_table('commitment_verdict')
