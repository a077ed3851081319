"""Onboarding: enrollment invitations and lifecycle, partner location and availability, partner imports

Revision ID: 60fcc8f8f36f
Revises: e387f711638b
Create Date: 2026-12-04 02:04:09.718094

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '60fcc8f8f36f'
down_revision = 'e387f711638b'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('enrollments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('external_id', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('invited_name', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('invited_email', sa.String(length=254), nullable=True))
        batch_op.add_column(sa.Column('invited_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('invited_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('responded_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('status_changed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('status_reason', sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column('created_partner', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.create_unique_constraint('uq_enrollments_external_id', ['manufacturer_id', 'external_id'])
        batch_op.create_foreign_key(batch_op.f('fk_enrollments_invited_by_id_users'), 'users', ['invited_by_id'], ['id'], ondelete='SET NULL')

    with op.batch_alter_table('lead_imports', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=16), server_default='leads', nullable=False))
        batch_op.add_column(sa.Column('options', sa.JSON(), nullable=False, server_default='{}'))

    with op.batch_alter_table('partner_profiles', schema=None) as batch_op:
        batch_op.add_column(sa.Column('country', sa.String(length=2), nullable=True))
        batch_op.add_column(sa.Column('region', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('postal_code', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('website', sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column('public_holidays', sa.Boolean(), nullable=False, server_default=sa.true()))
        batch_op.add_column(sa.Column('paused_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('paused_until', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('pause_reason', sa.String(length=300), nullable=True))



def downgrade():
    with op.batch_alter_table('partner_profiles', schema=None) as batch_op:
        batch_op.drop_column('pause_reason')
        batch_op.drop_column('paused_until')
        batch_op.drop_column('paused_at')
        batch_op.drop_column('public_holidays')
        batch_op.drop_column('website')
        batch_op.drop_column('postal_code')
        batch_op.drop_column('region')
        batch_op.drop_column('country')

    with op.batch_alter_table('lead_imports', schema=None) as batch_op:
        batch_op.drop_column('options')
        batch_op.drop_column('kind')

    with op.batch_alter_table('enrollments', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_enrollments_invited_by_id_users'), type_='foreignkey')
        batch_op.drop_constraint('uq_enrollments_external_id', type_='unique')
        batch_op.drop_column('created_partner')
        batch_op.drop_column('status_reason')
        batch_op.drop_column('status_changed_at')
        batch_op.drop_column('responded_at')
        batch_op.drop_column('invited_at')
        batch_op.drop_column('invited_by_id')
        batch_op.drop_column('invited_email')
        batch_op.drop_column('invited_name')
        batch_op.drop_column('external_id')

