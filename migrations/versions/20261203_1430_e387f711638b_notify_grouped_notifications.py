"""Grouped notifications: a group key and an item count, one row per user and group

Revision ID: e387f711638b
Revises: b7e1c2a9d4f3
Create Date: 2026-12-03 14:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e387f711638b'
down_revision = 'b7e1c2a9d4f3'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('group_key', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('item_count', sa.Integer(), nullable=False, server_default='1'))
        batch_op.create_index('ix_notifications_user_group', ['user_id', 'group_key'], unique=True)


def downgrade():
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_index('ix_notifications_user_group')
        batch_op.drop_column('item_count')
        batch_op.drop_column('group_key')
