"""emergency registers: 车辆档案 (emergency_vehicle) and 应急医疗设备档案 (emergency_equipment), issue 14 5.2/5.4

Revision ID: e4b1c8a2d6f3
Revises: b7e4c2d9f310
Create Date: 2026-11-30 23:10:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'e4b1c8a2d6f3'
down_revision = 'b7e4c2d9f310'
branch_labels = None
depends_on = None


def _shared():
    """The columns both registers hold (app/models/emergency_registers.py _RegisterRow)."""
    return [
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('institution_id', sa.Integer(), nullable=False),
        sa.Column('purchase_date', sa.Date(), nullable=True),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('department_id', sa.Integer(), nullable=True),
        sa.Column('note', sa.Text(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('version', sa.Integer(), server_default=sa.text('1'), nullable=False),
        sa.ForeignKeyConstraint(['department_id'], ['department.id']),
        sa.ForeignKeyConstraint(['institution_id'], ['institution.id']),
        sa.PrimaryKeyConstraint('id'),
    ]


def _indexes(table):
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.create_index(batch_op.f(f'ix_{table}_department_id'), ['department_id'], unique=False)
        batch_op.create_index(batch_op.f(f'ix_{table}_institution_id'), ['institution_id'], unique=False)


def upgrade():
    op.create_table(
        'emergency_vehicle',
        sa.Column('plate_no', sa.String(length=10), nullable=False),
        sa.Column('vehicle_type', sa.String(length=20), nullable=False),
        sa.Column('brand_model', sa.String(length=100), nullable=True),
        sa.Column('vin', sa.String(length=17), nullable=True),
        *_shared(),
        sa.UniqueConstraint('institution_id', 'plate_no', name='uq_emergency_vehicle_plate'),
    )
    _indexes('emergency_vehicle')

    op.create_table(
        'emergency_equipment',
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('equipment_type', sa.String(length=20), nullable=False),
        sa.Column('brand', sa.String(length=50), nullable=True),
        sa.Column('model_spec', sa.String(length=100), nullable=True),
        sa.Column('quantity', sa.Integer(), nullable=False),
        *_shared(),
    )
    _indexes('emergency_equipment')


def downgrade():
    op.drop_table('emergency_equipment')  # its indexes go with it
    op.drop_table('emergency_vehicle')
