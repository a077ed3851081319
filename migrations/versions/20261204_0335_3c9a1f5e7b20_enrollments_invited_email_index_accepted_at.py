"""Enrollments: an index on (manufacturer, invited e-mail), and accepted_at (when the partner accepted)

Adding a partner looks the e-mail up with the index. ``accepted_at`` decides what the manufacturer
sees of the partner organisation; the backfill sets it for enrollments the partner accepted (active,
suspended) and for ended ones from before invitations (``invited_at`` empty); an ended invitation
that was withdrawn before anyone accepted stays empty.

Revision ID: 3c9a1f5e7b20
Revises: 60fcc8f8f36f
Create Date: 2026-12-04 03:35:00.000000

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '3c9a1f5e7b20'
down_revision = '60fcc8f8f36f'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('enrollments', schema=None) as batch_op:
        batch_op.create_index('ix_enrollments_invited_email', ['manufacturer_id', 'invited_email'], unique=False)
        batch_op.add_column(sa.Column('accepted_at', sa.DateTime(timezone=True), nullable=True))
    op.execute(
        "UPDATE enrollments SET accepted_at = enrolled_at "
        "WHERE status IN ('active', 'suspended') OR (status = 'ended' AND invited_at IS NULL)"
    )


def downgrade():
    with op.batch_alter_table('enrollments', schema=None) as batch_op:
        batch_op.drop_column('accepted_at')
        batch_op.drop_index('ix_enrollments_invited_email')
