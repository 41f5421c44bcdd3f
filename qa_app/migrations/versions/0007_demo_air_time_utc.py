"""The demo episode seeded before times were kept in UTC on SQLite airs at 20:00 in Ho Chi Minh City

The seed wrote 20:00 +07:00 as the digits "20:00" and SQLite dropped the offset, so it read back as
20:00 UTC (03:00 the next morning on screen). Only that episode, only on SQLite, only while it still
holds those digits: 20:00 local is 13:00 UTC.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01
"""
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

DEMO_SLUG = 'trach-nhiem-cong-vu-cai-cach-tthc'


def upgrade() -> None:
    if op.get_bind().dialect.name != 'sqlite':
        return  # timestamptz kept the offset
    op.execute(
        # the seed's times are whole minutes; the text keeps SQLAlchemy's storage format
        "UPDATE episode SET air_start = strftime('%Y-%m-%d %H:%M:%S', air_start, '-7 hours') || '.000000', "
        "air_end = strftime('%Y-%m-%d %H:%M:%S', air_end, '-7 hours') || '.000000' "
        f"WHERE slug = '{DEMO_SLUG}' AND strftime('%H:%M', air_start) = '20:00'"
    )


def downgrade() -> None:
    pass  # the old reading was the bug
