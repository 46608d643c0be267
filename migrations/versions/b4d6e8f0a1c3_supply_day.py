"""supply_day: the region's figures of each institution's item per day, kept with the entries, so that 应急资源汇总
reads one row per institution and item (issue 15's speed targets); backfilled from supply_entry. The covering index
ix_supply_entry_scope, which only the old summary read, goes.

Revision ID: b4d6e8f0a1c3
Revises: a3c5e7f9b214
Create Date: 2026-12-01 04:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = 'b4d6e8f0a1c3'
down_revision = 'a3c5e7f9b214'
branch_labels = None
depends_on = None

SUMMARY = ["resource", "day", "institution_id", "item_code", "stock", "stock_today", "used", "used_today", "average",
           "changes", "changed_at"]


def upgrade():
    op.create_table(
        "supply_day",
        sa.Column("institution_id", sa.Integer(), sa.ForeignKey("institution.id"), nullable=False),
        sa.Column("resource", sa.String(length=20), nullable=False),
        sa.Column("item_code", sa.String(length=40), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("stock", sa.Numeric(14, 2), nullable=True),
        sa.Column("stock_today", sa.Integer(), nullable=False),
        sa.Column("used", sa.Numeric(14, 2), nullable=True),
        sa.Column("used_today", sa.Integer(), nullable=False),
        sa.Column("average", sa.Numeric(20, 6), nullable=True),
        sa.Column("changes", sa.Integer(), nullable=False),
        sa.Column("changed_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("institution_id", "resource", "item_code", "day"),
    )
    op.create_index("ix_supply_day_summary", "supply_day", SUMMARY, unique=False)
    op.drop_index("ix_supply_entry_scope", table_name="supply_entry")
    # the rows of the entries already reported, by the service's own rule (domain.supplies.day_figures)
    from app.services.emergency_supplies import rebuild_days

    rebuild_days(conn=op.get_bind())


def downgrade():
    op.create_index("ix_supply_entry_scope", "supply_entry",
                    ["institution_id", "resource", "day", "report", "item_code", "quantity", "change_count",
                     "changed_at"], unique=False)
    op.drop_index("ix_supply_day_summary", table_name="supply_day")
    op.drop_table("supply_day")
