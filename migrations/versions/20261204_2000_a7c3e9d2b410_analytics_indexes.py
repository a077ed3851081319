"""Analytics indexes: a programme's offers of a period answered from the index (partner and state
included), one partner's offers and claims of a period (scorecards, the partner filter), the active
claims per partner (the table's in-progress column) from a partial index, and the countries and
regions of the scope form and the won revenue of a period from lead_facts' indexes

Measured with ``python -m bench.analytics`` (1,000,000 leads, 10,000 partners on PostgreSQL); the
INCLUDE columns are PostgreSQL's (SQLite builds the plain index).

Revision ID: a7c3e9d2b410
Revises: 26c82ddad7a0
Create Date: 2026-12-04 20:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a7c3e9d2b410'
down_revision = '26c82ddad7a0'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('offers', schema=None) as batch_op:
        batch_op.drop_index('ix_offers_manufacturer_visible')
        batch_op.create_index(
            'ix_offers_manufacturer_visible', ['manufacturer_id', 'visible_from'], unique=False,
            postgresql_include=['partner_id', 'state', 'lead_id'],
        )
        batch_op.create_index(
            'ix_offers_manufacturer_partner_visible', ['manufacturer_id', 'partner_id', 'visible_from'],
            unique=False, postgresql_include=['state', 'lead_id'],
        )
    with op.batch_alter_table('claims', schema=None) as batch_op:
        batch_op.create_index(
            'ix_claims_manufacturer_partner_claimed', ['manufacturer_id', 'partner_id', 'claimed_at'], unique=False
        )
        batch_op.create_index(
            'ix_claims_active_partner', ['partner_id'], unique=False,
            sqlite_where=sa.text("status = 'active'"), postgresql_where=sa.text("status = 'active'"),
        )


    with op.batch_alter_table('lead_facts', schema=None) as batch_op:
        batch_op.create_index(
            'ix_lead_facts_manufacturer_place', ['manufacturer_id', 'country', 'region'], unique=False
        )
        batch_op.create_index(
            'ix_lead_facts_won', ['manufacturer_id', 'published_at'], unique=False,
            postgresql_include=['won_currency', 'won_amount'],
            sqlite_where=sa.text('won_at IS NOT NULL'), postgresql_where=sa.text('won_at IS NOT NULL'),
        )


def downgrade():
    with op.batch_alter_table('lead_facts', schema=None) as batch_op:
        batch_op.drop_index('ix_lead_facts_won')
        batch_op.drop_index('ix_lead_facts_manufacturer_place')
    with op.batch_alter_table('claims', schema=None) as batch_op:
        batch_op.drop_index('ix_claims_active_partner')
        batch_op.drop_index('ix_claims_manufacturer_partner_claimed')
    with op.batch_alter_table('offers', schema=None) as batch_op:
        batch_op.drop_index('ix_offers_manufacturer_partner_visible')
        batch_op.drop_index('ix_offers_manufacturer_visible')
        batch_op.create_index('ix_offers_manufacturer_visible', ['manufacturer_id', 'visible_from'], unique=False)
