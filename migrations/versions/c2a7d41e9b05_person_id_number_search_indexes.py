"""person: indexes for the staff list's partial 证件号码 search (prefix and last digits, issue 11)

Revision ID: c2a7d41e9b05
Revises: c3d9a1f4e2b7
Create Date: 2026-11-30 19:55:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c2a7d41e9b05'
down_revision = 'c3d9a1f4e2b7'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_person_inst_id_number', 'person', ['institution_id', 'id_number'], unique=False)
    op.create_index('ix_person_inst_id_tail', 'person',
                    ['institution_id', sa.text('substr(id_number, length(id_number) - 3)'), 'id_number'], unique=False)


def downgrade():
    op.drop_index('ix_person_inst_id_tail', table_name='person')
    op.drop_index('ix_person_inst_id_number', table_name='person')
