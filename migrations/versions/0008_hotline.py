"""the MRC hotline: a mode per region, and the topic an inbound call chose

`regions.hotline` says what a call to the region's number gets: the voice menu (`menu`, the
default), a free missed call turned into a call-back request (`missed_call`), or `off`. A
region's sender number is unique, so an inbound call finds its one MRC. `calls.menu_topic` is
the topic a hotline caller chose.

Revision ID: 0008
Revises: 0005
Create Date: 2026-12-20 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

HAS_NUMBER = "sender_number IS NOT NULL"


def upgrade():
    with op.batch_alter_table('regions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('hotline', sa.String(length=16), server_default='menu', nullable=False))
        batch_op.create_index('uq_regions_sender_number', ['sender_number'], unique=True, postgresql_where=sa.text(HAS_NUMBER), sqlite_where=sa.text(HAS_NUMBER))
    with op.batch_alter_table('calls', schema=None) as batch_op:
        batch_op.add_column(sa.Column('menu_topic', sa.String(length=64), nullable=True))


def downgrade():
    with op.batch_alter_table('calls', schema=None) as batch_op:
        batch_op.drop_column('menu_topic')
    with op.batch_alter_table('regions', schema=None) as batch_op:
        batch_op.drop_index('uq_regions_sender_number', postgresql_where=sa.text(HAS_NUMBER), sqlite_where=sa.text(HAS_NUMBER))
        batch_op.drop_column('hotline')
