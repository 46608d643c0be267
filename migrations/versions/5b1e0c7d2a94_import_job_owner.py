"""import job owner: the process (host, pid) running a job, so recovery leaves live jobs of other processes alone

Revision ID: 5b1e0c7d2a94
Revises: b7c4e1d2a9f3
Create Date: 2026-11-30 18:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5b1e0c7d2a94'
down_revision = 'b7c4e1d2a9f3'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('import_job', schema=None) as batch_op:
        batch_op.add_column(sa.Column('owner_host', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('owner_pid', sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table('import_job', schema=None) as batch_op:
        batch_op.drop_column('owner_pid')
        batch_op.drop_column('owner_host')
