"""supply_entry: a covering index for the region's supplies summary (issue 15) — the entries of one institution and
resource over a week, with the quantities, read from the index alone (bench/emergency.py --part supplies)

Revision ID: a3c5e7f9b214
Revises: a3c5e7f9b1d2
Create Date: 2026-12-01 01:30:00
"""
from alembic import op

revision = 'a3c5e7f9b214'
down_revision = 'a3c5e7f9b1d2'
branch_labels = None
depends_on = None

COLUMNS = ["institution_id", "resource", "day", "report", "item_code", "quantity", "change_count", "changed_at"]


def upgrade():
    op.create_index("ix_supply_entry_scope", "supply_entry", COLUMNS, unique=False)


def downgrade():
    op.drop_index("ix_supply_entry_scope", table_name="supply_entry")
