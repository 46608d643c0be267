"""drug_item: the drug dictionary of 机构药品上报 (spec 5.3) with its indexed 拼音缩写

Revision ID: b7e4c2d9f310
Revises: 9d3e5f7a1b20
Create Date: 2026-11-30 23:10:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'b7e4c2d9f310'
down_revision = '9d3e5f7a1b20'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'drug_item',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('code', sa.String(length=20), nullable=False),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('abbreviation', sa.String(length=60), nullable=False),
        sa.Column('dosage_form', sa.String(length=30), nullable=False),
        sa.Column('spec', sa.String(length=60), nullable=False),
        sa.Column('unit', sa.String(length=10), nullable=False),
        sa.Column('category', sa.String(length=30), nullable=True),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.Column('version', sa.Integer(), server_default=sa.text('1'), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('code'),
    )
    op.create_index('ix_drug_item_abbreviation', 'drug_item', ['abbreviation'], unique=False,
                    postgresql_ops={'abbreviation': 'varchar_pattern_ops'})
    op.create_index(op.f('ix_drug_item_name'), 'drug_item', ['name'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_drug_item_name'), table_name='drug_item')
    op.drop_index('ix_drug_item_abbreviation', table_name='drug_item')
    op.drop_table('drug_item')
