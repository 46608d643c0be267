"""person: the 卫生人力基本信息调查表 items the staff record lacked (issue 16: 办公室电话号码, 多地点执业, 住院医师规范化
培训, 专科特长, 全科, 派驻村卫生室, 统计信息化, 护士 / 乡村医生执业证书), all optional

Revision ID: d8e2f4a6b1c3
Revises: b4d6e8f0a1c3
Create Date: 2026-12-01 04:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = 'd8e2f4a6b1c3'
down_revision = 'b4d6e8f0a1c3'
branch_labels = None
depends_on = None

COLUMNS = (("office_phone", 20), ("multisite", 2), ("multisite_unit2", 10), ("multisite_unit3", 10),
           ("resident_training", 2), ("resident_training_no", 50), ("specialties", 100), ("gp_registered", 2),
           ("gp_certificate", 10), ("village_posted", 2), ("stats_it", 2), ("stats_it_work", 10),
           ("nurse_certificate_no", 50), ("village_doctor_certificate_no", 50))


def upgrade():
    with op.batch_alter_table("person") as batch:
        for name, length in COLUMNS:
            batch.add_column(sa.Column(name, sa.String(length=length), nullable=True))


def downgrade():
    with op.batch_alter_table("person") as batch:
        for name, _ in reversed(COLUMNS):
            batch.drop_column(name)
