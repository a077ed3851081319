"""An index on enrollments (manufacturer, invited e-mail): adding a partner looks the e-mail up

Revision ID: 3c9a1f5e7b20
Revises: 60fcc8f8f36f
Create Date: 2026-12-04 03:35:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '3c9a1f5e7b20'
down_revision = '60fcc8f8f36f'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('enrollments', schema=None) as batch_op:
        batch_op.create_index('ix_enrollments_invited_email', ['manufacturer_id', 'invited_email'], unique=False)


def downgrade():
    with op.batch_alter_table('enrollments', schema=None) as batch_op:
        batch_op.drop_index('ix_enrollments_invited_email')
