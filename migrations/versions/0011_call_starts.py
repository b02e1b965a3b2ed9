"""voice campaigns' start slots: a sliding window of call starts shared by every worker

`call_starts` holds each start slot a worker took for a campaign (`seq`, wall-clock `at`); a
slot is taken by inserting the next `seq` only while the campaign's calls-per-second slots do
not already lie in the last second. It replaces `campaigns.dial_next_at`, a single next-start
time that let a late start bunch with the next ones.

Revision ID: 0011
Revises: 0009_callback_queue
Create Date: 2026-12-21 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0009_callback_queue'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('call_starts',
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('at', sa.Float(), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_call_starts_campaign_id_campaigns'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('campaign_id', 'seq', name=op.f('pk_call_starts'))
    )
    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.drop_column('dial_next_at')


def downgrade():
    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.add_column(sa.Column('dial_next_at', sa.Float(), nullable=True))
    op.drop_table('call_starts')
