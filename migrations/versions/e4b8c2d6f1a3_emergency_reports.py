"""emergency reports: the report engine's header and lines, and the indicator catalogue (issue 14, spec 5.1)

Revision ID: e4b8c2d6f1a3
Revises: e4b1c8a2d6f3
Create Date: 2026-11-30 23:15:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'e4b8c2d6f1a3'
down_revision = 'e4b1c8a2d6f3'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'emergency_indicator',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=30), nullable=False),
        sa.Column('code', sa.String(length=50), nullable=False),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('total_code', sa.String(length=50), nullable=True),
        sa.Column('unit', sa.String(length=20), nullable=True),
        sa.Column('order', sa.Integer(), nullable=False),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('kind', 'code', name='uq_emergency_indicator_kind_code'),
    )
    op.create_table(
        'emergency_report',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('institution_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=30), nullable=False),
        sa.Column('report_date', sa.Date(), nullable=False),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('note', sa.Text(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('reported_at', sa.DateTime(), nullable=True),
        sa.Column('reported_by_id', sa.Integer(), nullable=True),
        sa.Column('return_reason', sa.Text(), nullable=True),
        sa.Column('version', sa.Integer(), server_default=sa.text('1'), nullable=False),
        sa.ForeignKeyConstraint(['created_by_id'], ['ab_user.id']),
        sa.ForeignKeyConstraint(['institution_id'], ['institution.id']),
        sa.ForeignKeyConstraint(['reported_by_id'], ['ab_user.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_emergency_report_institution_id', 'emergency_report', ['institution_id'], unique=False)
    op.create_table(
        'emergency_report_line',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('report_id', sa.Integer(), nullable=False),
        sa.Column('item_code', sa.String(length=50), nullable=False),
        sa.Column('value', sa.Integer(), nullable=False),
        sa.Column('detail', sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(['report_id'], ['emergency_report.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('report_id', 'item_code', name='uq_emergency_report_line_item'),
    )
    op.create_index('ix_emergency_report_line_report_id', 'emergency_report_line', ['report_id'], unique=False)


def downgrade():
    op.drop_index('ix_emergency_report_line_report_id', table_name='emergency_report_line')
    op.drop_table('emergency_report_line')
    op.drop_index('ix_emergency_report_institution_id', table_name='emergency_report')
    op.drop_table('emergency_report')
    op.drop_table('emergency_indicator')
