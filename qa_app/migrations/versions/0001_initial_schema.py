"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-29
"""
from alembic import op
import sqlalchemy as sa


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('department',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('short_name', sa.String(length=64), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('keywords', sa.JSON(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_department')),
    sa.UniqueConstraint('code', name=op.f('uq_department_code'))
    )
    op.create_table('episode',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('slug', sa.String(length=96), nullable=False),
    sa.Column('title', sa.String(length=255), nullable=False),
    sa.Column('theme', sa.String(length=500), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('air_start', sa.DateTime(timezone=True), nullable=True),
    sa.Column('air_end', sa.DateTime(timezone=True), nullable=True),
    sa.Column('status', sa.Enum('draft', 'open', 'live', 'closed', 'archived', name='episodestatus', native_enum=False, length=16), nullable=False),
    sa.Column('answer_deadline_days', sa.Integer(), nullable=False),
    sa.Column('auto_merge_threshold', sa.Double(), nullable=True),
    sa.Column('suggest_threshold', sa.Double(), nullable=True),
    sa.Column('filler_phrases', sa.JSON(), nullable=False),
    sa.Column('on_air_question_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('on_air_since', sa.DateTime(timezone=True), nullable=True),
    sa.Column('studio_link_version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_episode')),
    sa.UniqueConstraint('slug', name=op.f('uq_episode_slug'))
    )
    op.create_table('public_holiday',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.PrimaryKeyConstraint('day', name=op.f('pk_public_holiday'))
    )
    op.create_table('episode_department',
    sa.Column('episode_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('department_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], name=op.f('fk_episode_department_department_id_department')),
    sa.ForeignKeyConstraint(['episode_id'], ['episode.id'], name=op.f('fk_episode_department_episode_id_episode'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('episode_id', 'department_id', name=op.f('pk_episode_department'))
    )
    op.create_table('episode_official',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('episode_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('department_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('name', sa.String(length=128), nullable=False),
    sa.Column('title', sa.String(length=255), nullable=False),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], name=op.f('fk_episode_official_department_id_department')),
    sa.ForeignKeyConstraint(['episode_id'], ['episode.id'], name=op.f('fk_episode_official_episode_id_episode'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_episode_official'))
    )
    with op.batch_alter_table('episode_official', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_episode_official_episode_id'), ['episode_id'], unique=False)

    op.create_table('question',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('episode_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('public_text', sa.Text(), nullable=False),
    sa.Column('search_text', sa.Text(), nullable=False),
    sa.Column('status', sa.Enum('new', 'routed', 'answer_review', 'ready', 'queued', 'on_air', 'answered_on_air', 'answered_in_writing', 'rejected', 'merged', name='questionstatus', native_enum=False, length=24), nullable=False),
    sa.Column('department_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('priority', sa.Integer(), nullable=False),
    sa.Column('due_date', sa.Date(), nullable=True),
    sa.Column('submission_count', sa.Integer(), nullable=False),
    sa.Column('ward_code', sa.String(length=8), nullable=True),
    sa.Column('duplicate_suggestions', sa.JSON(), nullable=False),
    sa.Column('route_suggestions', sa.JSON(), nullable=False),
    sa.Column('reject_reason', sa.Enum('spam', 'offensive', 'off_topic', 'not_a_question', 'duplicate_rejected', 'other', name='rejectreason', native_enum=False, length=24), nullable=True),
    sa.Column('reject_note', sa.Text(), nullable=True),
    sa.Column('merged_into_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('answered_by_official', sa.String(length=255), nullable=True),
    sa.Column('on_time', sa.Boolean(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('routed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], name=op.f('fk_question_department_id_department')),
    sa.ForeignKeyConstraint(['episode_id'], ['episode.id'], name=op.f('fk_question_episode_id_episode')),
    sa.ForeignKeyConstraint(['merged_into_id'], ['question.id'], name=op.f('fk_question_merged_into_id_question')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_question'))
    )
    with op.batch_alter_table('question', schema=None) as batch_op:
        batch_op.create_index('ix_question_episode_department', ['episode_id', 'department_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_question_episode_id'), ['episode_id'], unique=False)
        batch_op.create_index('ix_question_episode_status', ['episode_id', 'status'], unique=False)

    # episode and question refer to each other: the on-air link is added once both exist.
    with op.batch_alter_table('episode', schema=None) as batch_op:
        batch_op.create_foreign_key(
            batch_op.f('fk_episode_on_air_question_id_question'), 'question', ['on_air_question_id'], ['id'],
            ondelete='SET NULL',
        )

    op.create_table('user_account',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('display_name', sa.String(length=128), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('role', sa.Enum('operator', 'moderator', 'officer', 'producer', 'admin', name='role', native_enum=False, length=16), nullable=False),
    sa.Column('department_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_login_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('password_changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], name=op.f('fk_user_account_department_id_department')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_user_account')),
    sa.UniqueConstraint('username', name=op.f('uq_user_account_username'))
    )
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_user_account_department_id'), ['department_id'], unique=False)

    op.create_table('answer',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('question_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('department_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('author_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('official_name', sa.String(length=128), nullable=False),
    sa.Column('official_title', sa.String(length=255), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('match_check', sa.JSON(), nullable=True),
    sa.Column('status', sa.Enum('draft', 'submitted', 'returned', 'approved', 'published', name='answerstatus', native_enum=False, length=16), nullable=False),
    sa.Column('review_comment', sa.Text(), nullable=True),
    sa.Column('reviewed_by_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('approved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['author_id'], ['user_account.id'], name=op.f('fk_answer_author_id_user_account')),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], name=op.f('fk_answer_department_id_department')),
    sa.ForeignKeyConstraint(['question_id'], ['question.id'], name=op.f('fk_answer_question_id_question')),
    sa.ForeignKeyConstraint(['reviewed_by_id'], ['user_account.id'], name=op.f('fk_answer_reviewed_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_answer'))
    )
    with op.batch_alter_table('answer', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_answer_question_id'), ['question_id'], unique=False)

    op.create_table('api_token',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('user_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('name', sa.String(length=128), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('prefix', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_api_token_user_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_token')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_api_token_token_hash'))
    )
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_token_user_id'), ['user_id'], unique=False)

    op.create_table('audit_event',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('actor_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('actor_label', sa.String(length=128), nullable=False),
    sa.Column('action', sa.String(length=64), nullable=False),
    sa.Column('entity_type', sa.String(length=32), nullable=False),
    sa.Column('entity_id', sa.BigInteger(), nullable=True),
    sa.Column('episode_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('before', sa.JSON(), nullable=True),
    sa.Column('after', sa.JSON(), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['actor_id'], ['user_account.id'], name=op.f('fk_audit_event_actor_id_user_account')),
    sa.ForeignKeyConstraint(['episode_id'], ['episode.id'], name=op.f('fk_audit_event_episode_id_episode')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_event'))
    )
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_event_action'), ['action'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_event_at'), ['at'], unique=False)
        batch_op.create_index('ix_audit_event_entity', ['entity_type', 'entity_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_event_episode_id'), ['episode_id'], unique=False)

    op.create_table('reroute_request',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('question_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('from_department_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('suggested_department_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('requested_by_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.Enum('pending', 'accepted', 'declined', name='reroutestatus', native_enum=False, length=16), nullable=False),
    sa.Column('decided_by_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decision_note', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['decided_by_id'], ['user_account.id'], name=op.f('fk_reroute_request_decided_by_id_user_account')),
    sa.ForeignKeyConstraint(['from_department_id'], ['department.id'], name=op.f('fk_reroute_request_from_department_id_department')),
    sa.ForeignKeyConstraint(['question_id'], ['question.id'], name=op.f('fk_reroute_request_question_id_question')),
    sa.ForeignKeyConstraint(['requested_by_id'], ['user_account.id'], name=op.f('fk_reroute_request_requested_by_id_user_account')),
    sa.ForeignKeyConstraint(['suggested_department_id'], ['department.id'], name=op.f('fk_reroute_request_suggested_department_id_department')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reroute_request'))
    )
    with op.batch_alter_table('reroute_request', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reroute_request_question_id'), ['question_id'], unique=False)

    op.create_table('rundown_item',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('episode_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('question_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('skipped', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['episode_id'], ['episode.id'], name=op.f('fk_rundown_item_episode_id_episode')),
    sa.ForeignKeyConstraint(['question_id'], ['question.id'], name=op.f('fk_rundown_item_question_id_question')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rundown_item')),
    sa.UniqueConstraint('episode_id', 'question_id', name='uq_rundown_item_episode_question')
    )
    with op.batch_alter_table('rundown_item', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rundown_item_episode_id'), ['episode_id'], unique=False)

    op.create_table('submission',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('episode_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('question_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('original_question_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('channel', sa.Enum('web', 'phone', 'email', 'letter', 'social', 'import', 'api', 'other', name='channel', native_enum=False, length=16), nullable=False),
    sa.Column('tracking_code', sa.String(length=16), nullable=False),
    sa.Column('name', sa.String(length=128), nullable=True),
    sa.Column('ward_code', sa.String(length=8), nullable=True),
    sa.Column('ward_text', sa.String(length=255), nullable=True),
    sa.Column('contact', sa.String(length=255), nullable=True),
    sa.Column('consent_contact', sa.Boolean(), nullable=False),
    sa.Column('consent_name_on_air', sa.Boolean(), nullable=False),
    sa.Column('consent_version', sa.String(length=32), nullable=True),
    sa.Column('consent_text_hash', sa.String(length=64), nullable=True),
    sa.Column('consented_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('raw_text', sa.Text(), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('idempotency_key', sa.String(length=64), nullable=True),
    sa.Column('fingerprint', sa.String(length=64), nullable=True),
    sa.Column('entered_by_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('contact_purged_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['entered_by_id'], ['user_account.id'], name=op.f('fk_submission_entered_by_id_user_account')),
    sa.ForeignKeyConstraint(['episode_id'], ['episode.id'], name=op.f('fk_submission_episode_id_episode')),
    sa.ForeignKeyConstraint(['original_question_id'], ['question.id'], name=op.f('fk_submission_original_question_id_question')),
    sa.ForeignKeyConstraint(['question_id'], ['question.id'], name=op.f('fk_submission_question_id_question')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_submission')),
    sa.UniqueConstraint('episode_id', 'fingerprint', name='uq_submission_episode_fingerprint'),
    sa.UniqueConstraint('episode_id', 'idempotency_key', name='uq_submission_episode_idempotency'),
    sa.UniqueConstraint('tracking_code', name=op.f('uq_submission_tracking_code'))
    )
    with op.batch_alter_table('submission', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_submission_episode_id'), ['episode_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_submission_question_id'), ['question_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_submission_received_at'), ['received_at'], unique=False)

    op.create_table('commitment',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('answer_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('what', sa.Text(), nullable=False),
    sa.Column('due_date', sa.Date(), nullable=True),
    sa.Column('status', sa.Enum('pending', 'done', 'overdue', name='commitmentstatus', native_enum=False, length=16), nullable=False),
    sa.Column('evidence', sa.Text(), nullable=True),
    sa.Column('reviewed_by_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('reviewed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['answer_id'], ['answer.id'], name=op.f('fk_commitment_answer_id_answer'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['reviewed_by_id'], ['user_account.id'], name=op.f('fk_commitment_reviewed_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_commitment'))
    )
    with op.batch_alter_table('commitment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_commitment_answer_id'), ['answer_id'], unique=False)

    op.create_table('rating',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('question_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('submission_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('score', sa.Integer(), nullable=False),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['question_id'], ['question.id'], name=op.f('fk_rating_question_id_question')),
    sa.ForeignKeyConstraint(['submission_id'], ['submission.id'], name=op.f('fk_rating_submission_id_submission')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rating')),
    sa.UniqueConstraint('submission_id', name=op.f('uq_rating_submission_id'))
    )
    with op.batch_alter_table('rating', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rating_question_id'), ['question_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('episode', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_episode_on_air_question_id_question'), type_='foreignkey')

    with op.batch_alter_table('rating', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rating_question_id'))

    op.drop_table('rating')
    with op.batch_alter_table('commitment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_commitment_answer_id'))

    op.drop_table('commitment')
    with op.batch_alter_table('submission', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_submission_received_at'))
        batch_op.drop_index(batch_op.f('ix_submission_question_id'))
        batch_op.drop_index(batch_op.f('ix_submission_episode_id'))

    op.drop_table('submission')
    with op.batch_alter_table('rundown_item', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rundown_item_episode_id'))

    op.drop_table('rundown_item')
    with op.batch_alter_table('reroute_request', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reroute_request_question_id'))

    op.drop_table('reroute_request')
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_event_episode_id'))
        batch_op.drop_index('ix_audit_event_entity')
        batch_op.drop_index(batch_op.f('ix_audit_event_at'))
        batch_op.drop_index(batch_op.f('ix_audit_event_action'))

    op.drop_table('audit_event')
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_token_user_id'))

    op.drop_table('api_token')
    with op.batch_alter_table('answer', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_answer_question_id'))

    op.drop_table('answer')
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_user_account_department_id'))

    op.drop_table('user_account')
    with op.batch_alter_table('question', schema=None) as batch_op:
        batch_op.drop_index('ix_question_episode_status')
        batch_op.drop_index(batch_op.f('ix_question_episode_id'))
        batch_op.drop_index('ix_question_episode_department')

    op.drop_table('question')
    with op.batch_alter_table('episode_official', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_episode_official_episode_id'))

    op.drop_table('episode_official')
    op.drop_table('episode_department')
    op.drop_table('public_holiday')
    op.drop_table('episode')
    op.drop_table('department')
