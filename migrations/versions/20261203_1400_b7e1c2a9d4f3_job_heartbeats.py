"""Job heartbeats: a running job reports it is alive, so a job whose worker died reruns within a minute

Revision ID: b7e1c2a9d4f3
Revises: e7c64104a6cd
Create Date: 2026-12-03 14:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b7e1c2a9d4f3'
down_revision = 'e7c64104a6cd'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('outbox_jobs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('heartbeat_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('outbox_jobs', schema=None) as batch_op:
        batch_op.drop_column('heartbeat_at')
