"""supply entries: 应急物资资源 and 应急药械资源 (spec 5.5, 5.6) — the item catalogue and the entries (issue 15)

Revision ID: f5a1c3e7b902
Revises: e4b8c2d6f1a3
Create Date: 2026-12-01 01:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'f5a1c3e7b902'
down_revision = 'e4b8c2d6f1a3'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'supply_item',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('resource', sa.String(length=20), nullable=False),
        sa.Column('code', sa.String(length=30), nullable=False),
        sa.Column('category', sa.String(length=20), nullable=False),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('spec', sa.String(length=60), nullable=False),
        sa.Column('unit', sa.String(length=10), nullable=False),
        sa.Column('decimals', sa.Boolean(), nullable=False),
        sa.Column('order', sa.Integer(), nullable=False),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('code'),
    )
    op.create_table(
        'supply_entry',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('institution_id', sa.Integer(), nullable=False),
        sa.Column('resource', sa.String(length=20), nullable=False),
        sa.Column('report', sa.String(length=20), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('item_code', sa.String(length=40), nullable=False),
        sa.Column('category', sa.String(length=20), nullable=False),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('spec', sa.String(length=60), nullable=False),
        sa.Column('unit', sa.String(length=10), nullable=False),
        sa.Column('quantity', sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column('note', sa.Text(), nullable=True),
        sa.Column('warnings', sa.JSON(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('changed_at', sa.DateTime(), nullable=True),
        sa.Column('changed_by_id', sa.Integer(), nullable=True),
        sa.Column('change_count', sa.Integer(), nullable=False),
        sa.Column('version', sa.Integer(), server_default=sa.text('1'), nullable=False),
        sa.ForeignKeyConstraint(['changed_by_id'], ['ab_user.id']),
        sa.ForeignKeyConstraint(['created_by_id'], ['ab_user.id']),
        sa.ForeignKeyConstraint(['institution_id'], ['institution.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('institution_id', 'resource', 'report', 'item_code', 'day', name='uq_supply_entry_key'),
    )
    op.create_index('ix_supply_entry_summary', 'supply_entry', ['resource', 'report', 'day', 'item_code'],
                    unique=False)


def downgrade():
    op.drop_index('ix_supply_entry_summary', table_name='supply_entry')
    op.drop_table('supply_entry')
    op.drop_table('supply_item')
