"""person: a partial index in the staff list's default order (staff in post), so a page is read in index order

Revision ID: 9d3e5f7a1b20
Revises: 77631f5744ee
Create Date: 2026-11-30 22:55:00

"""
import sqlalchemy as sa
from alembic import op

# the statuses that hold an ID number (app/models/people.py ACTIVE_STATUS_SQL as of this revision)
ACTIVE_STATUS_SQL = "status IN ('在岗', '医师资格考试试用期考核人员', '借调', '长期病休')"

revision = '9d3e5f7a1b20'
down_revision = '77631f5744ee'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_person_inst_list', 'person',
                    ['institution_id', sa.text('(staff_no IS NULL)'), 'staff_no', 'name', 'id'], unique=False,
                    sqlite_where=sa.text(ACTIVE_STATUS_SQL), postgresql_where=sa.text(ACTIVE_STATUS_SQL))


def downgrade():
    op.drop_index('ix_person_inst_list', table_name='person')
