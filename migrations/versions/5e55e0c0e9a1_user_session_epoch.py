"""ab_user.session_epoch: ends every session and token of an account (logout, password, lock, delete, access)

Revision ID: 5e55e0c0e9a1
Revises: 809fa2e68f98
Create Date: 2026-11-30 18:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5e55e0c0e9a1'
down_revision = '809fa2e68f98'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('ab_user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_epoch', sa.Integer(), server_default='0', nullable=False))


def downgrade():
    with op.batch_alter_table('ab_user', schema=None) as batch_op:
        batch_op.drop_column('session_epoch')
