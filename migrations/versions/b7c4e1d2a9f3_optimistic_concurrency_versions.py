"""optimistic concurrency: a version column on every record with an edit form

SQLAlchemy's version_id_col (app/models/versioning.py): existing rows start at 1 through the server default.

Revision ID: b7c4e1d2a9f3
Revises: 5e55e0c0e9a1
Create Date: 2026-11-30 18:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b7c4e1d2a9f3'
down_revision = '5e55e0c0e9a1'
branch_labels = None
depends_on = None

TABLES = (
    'ab_user', 'branch', 'department', 'department_quota', 'dict_item', 'education', 'institution', 'key_group',
    'person', 'post', 'practice_certificate', 'probation', 'probation_window', 'qualification', 'quota_allocation',
    'realname_certification', 'region', 'role_profile', 'standard_post', 'title_qualification', 'training',
    'work_experience',
)


def upgrade():
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('version', sa.Integer(), server_default=sa.text('1'), nullable=False))


def downgrade():
    for table in reversed(TABLES):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('version')
