"""login attempts of known accounts, shown in 个人中心 (last 10; kept to 50 per account)

Revision ID: c3d9a1f4e2b7
Revises: 5b1e0c7d2a94
Create Date: 2026-11-30 19:45:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c3d9a1f4e2b7'
down_revision = '5b1e0c7d2a94'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'login_attempt',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.Column('address', sa.String(length=45), nullable=True),
        sa.Column('result', sa.String(length=30), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['ab_user.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_login_attempt_user_at', 'login_attempt', ['user_id', 'at'], unique=False)


def downgrade():
    op.drop_index('ix_login_attempt_user_at', table_name='login_attempt')
    op.drop_table('login_attempt')
