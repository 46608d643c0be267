"""emergency registers: 车辆档案 (emergency_vehicle) and 应急医疗设备档案 (emergency_equipment), issue 14 5.2/5.4

Revision ID: e4b1c8a2d6f3
Revises: 9d3e5f7a1b20
Create Date: 2026-11-30 23:10:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'e4b1c8a2d6f3'
down_revision = '9d3e5f7a1b20'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'emergency_vehicle',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('institution_id', sa.Integer(), nullable=False),
        sa.Column('plate_no', sa.String(length=10), nullable=False),
        sa.Column('vehicle_type', sa.String(length=20), nullable=False),
        sa.Column('brand_model', sa.String(length=100), nullable=True),
        sa.Column('vin', sa.String(length=17), nullable=True),
        sa.Column('purchase_date', sa.Date(), nullable=True),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('department_id', sa.Integer(), nullable=True),
        sa.Column('note', sa.Text(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('version', sa.Integer(), server_default=sa.text('1'), nullable=False),
        sa.ForeignKeyConstraint(['department_id'], ['department.id']),
        sa.ForeignKeyConstraint(['institution_id'], ['institution.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('institution_id', 'plate_no', name='uq_emergency_vehicle_plate'),
    )
    with op.batch_alter_table('emergency_vehicle', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_emergency_vehicle_department_id'), ['department_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_emergency_vehicle_institution_id'), ['institution_id'], unique=False)

    op.create_table(
        'emergency_equipment',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('institution_id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('equipment_type', sa.String(length=20), nullable=False),
        sa.Column('brand', sa.String(length=50), nullable=True),
        sa.Column('model_spec', sa.String(length=100), nullable=True),
        sa.Column('quantity', sa.Integer(), nullable=False),
        sa.Column('purchase_date', sa.Date(), nullable=True),
        sa.Column('department_id', sa.Integer(), nullable=True),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('note', sa.Text(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('version', sa.Integer(), server_default=sa.text('1'), nullable=False),
        sa.ForeignKeyConstraint(['department_id'], ['department.id']),
        sa.ForeignKeyConstraint(['institution_id'], ['institution.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('emergency_equipment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_emergency_equipment_department_id'), ['department_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_emergency_equipment_institution_id'), ['institution_id'], unique=False)


def downgrade():
    with op.batch_alter_table('emergency_equipment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_emergency_equipment_institution_id'))
        batch_op.drop_index(batch_op.f('ix_emergency_equipment_department_id'))
    op.drop_table('emergency_equipment')
    with op.batch_alter_table('emergency_vehicle', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_emergency_vehicle_institution_id'))
        batch_op.drop_index(batch_op.f('ix_emergency_vehicle_department_id'))
    op.drop_table('emergency_vehicle')
