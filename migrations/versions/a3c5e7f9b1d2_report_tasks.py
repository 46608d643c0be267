"""report tasks: 上报任务, the institutions each expects, 催报 reminders (issue 15, "Who must report")

Revision ID: a3c5e7f9b1d2
Revises: f5a1c3e7b902
Create Date: 2026-12-01 01:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'a3c5e7f9b1d2'
down_revision = 'f5a1c3e7b902'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'report_task',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('title', sa.String(length=100), nullable=False),
        sa.Column('kind', sa.String(length=40), nullable=False),
        sa.Column('target', sa.String(length=10), nullable=False),
        sa.Column('institution_kind', sa.String(length=30), nullable=True),
        sa.Column('period', sa.String(length=10), nullable=False),
        sa.Column('date_from', sa.Date(), nullable=False),
        sa.Column('date_to', sa.Date(), nullable=True),
        sa.Column('deadline', sa.String(length=5), nullable=False),
        sa.Column('region_id', sa.Integer(), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.Column('withdrawn_at', sa.DateTime(), nullable=True),
        sa.Column('withdrawn_by_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['created_by_id'], ['ab_user.id']),
        sa.ForeignKeyConstraint(['region_id'], ['region.id']),
        sa.ForeignKeyConstraint(['withdrawn_by_id'], ['ab_user.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_report_task_region_id', 'report_task', ['region_id'], unique=False)
    op.create_table(
        'report_task_institution',
        sa.Column('task_id', sa.Integer(), nullable=False),
        sa.Column('institution_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['institution_id'], ['institution.id']),
        sa.ForeignKeyConstraint(['task_id'], ['report_task.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('task_id', 'institution_id'),
    )
    op.create_index('ix_report_task_institution_institution_id', 'report_task_institution', ['institution_id'],
                    unique=False)
    op.create_table(
        'report_reminder',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('task_id', sa.Integer(), nullable=False),
        sa.Column('institution_id', sa.Integer(), nullable=False),
        sa.Column('period_start', sa.Date(), nullable=False),
        sa.Column('sent_at', sa.DateTime(), nullable=False),
        sa.Column('sent_by_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['institution_id'], ['institution.id']),
        sa.ForeignKeyConstraint(['sent_by_id'], ['ab_user.id']),
        sa.ForeignKeyConstraint(['task_id'], ['report_task.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_report_reminder_task_id', 'report_reminder', ['task_id'], unique=False)
    op.create_index('ix_report_reminder_institution', 'report_reminder', ['institution_id', 'task_id'],
                    unique=False)


def downgrade():
    op.drop_index('ix_report_reminder_institution', table_name='report_reminder')
    op.drop_index('ix_report_reminder_task_id', table_name='report_reminder')
    op.drop_table('report_reminder')
    op.drop_index('ix_report_task_institution_institution_id', table_name='report_task_institution')
    op.drop_table('report_task_institution')
    op.drop_index('ix_report_task_region_id', table_name='report_task')
    op.drop_table('report_task')
