"""the call-back queue: sources, attempts, claims that expire, one open request per person

Each request keeps where it was first asked for (`channel` widened: "missed_call" is 11
characters) and gains a row per time the person asked (`callback_sources`), per call a
counsellor made (`callback_attempts`), when it is due and until when it is claimed. A partial
unique index allows one open or claimed request per person. Regions gain the queue's settings.
Existing requests get their first source from their channel and campaign, and are due from
when they were made; their free-text notes become a note of a `reached` attempt when closed.

Revision ID: 0009_callback_queue
Revises: 0008
Create Date: 2026-12-02 11:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009_callback_queue'
down_revision = '0008'
branch_labels = None
depends_on = None

OPEN_WHERE = "status IN ('open', 'claimed')"


# On SQLite, a batch change rebuilds the table and drops the old one, which deletes the rows of
# tables pointing at it ON DELETE CASCADE: the new tables are made and filled only after the
# requests table has been rebuilt for the last time (and its notes kept aside until then).


def upgrade():
    with op.batch_alter_table('callback_requests', schema=None) as batch_op:
        batch_op.add_column(sa.Column('due_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('claim_expires_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.alter_column('channel', existing_type=sa.String(length=8), type_=sa.String(length=16), existing_nullable=False)

    op.execute("UPDATE callback_requests SET due_at = created_at")
    # A claim from before claims expired is over: its request is back in the queue.
    op.execute(
        "UPDATE callback_requests SET claim_expires_at = coalesce(claimed_at, created_at) "
        "WHERE status = 'claimed'"
    )
    # One open request per person before the index says so (the old guard already kept it).
    op.execute(
        f"UPDATE callback_requests SET status = 'cancelled' WHERE {OPEN_WHERE} AND id NOT IN "
        f"(SELECT min(id) FROM callback_requests WHERE {OPEN_WHERE} GROUP BY contact_id)"
    )
    op.execute(
        "CREATE TABLE callback_notes_kept AS SELECT id AS request_id, notes, claimed_by_id, "
        "coalesce(completed_at, created_at) AS at FROM callback_requests WHERE notes IS NOT NULL"
    )
    with op.batch_alter_table('callback_requests', schema=None) as batch_op:
        batch_op.alter_column('due_at', existing_type=sa.DateTime(timezone=True), nullable=False)
        batch_op.drop_column('notes')
        batch_op.create_index('uq_callback_requests_one_open', ['contact_id'], unique=True, postgresql_where=sa.text(OPEN_WHERE), sqlite_where=sa.text(OPEN_WHERE))
        batch_op.create_index('ix_callback_requests_queue', ['due_at', 'id'], unique=False, postgresql_where=sa.text(OPEN_WHERE), sqlite_where=sa.text(OPEN_WHERE))
        batch_op.create_index('ix_callback_requests_status_due_at', ['status', 'due_at', 'id'], unique=False)

    op.create_table('callback_sources',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=True),
    sa.Column('response_id', sa.Integer(), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_callback_sources_campaign_id_campaigns')),
    sa.ForeignKeyConstraint(['request_id'], ['callback_requests.id'], name=op.f('fk_callback_sources_request_id_callback_requests'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['response_id'], ['responses.id'], name=op.f('fk_callback_sources_response_id_responses')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_callback_sources_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_callback_sources'))
    )
    with op.batch_alter_table('callback_sources', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_callback_sources_campaign_id'), ['campaign_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_callback_sources_request_id'), ['request_id'], unique=False)

    op.create_table('callback_attempts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('outcome', sa.String(length=32), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('topics', sa.JSON(), nullable=False),
    sa.Column('call_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['request_id'], ['callback_requests.id'], name=op.f('fk_callback_attempts_request_id_callback_requests'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_callback_attempts_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_callback_attempts'))
    )
    with op.batch_alter_table('callback_attempts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_callback_attempts_request_id'), ['request_id'], unique=False)

    # Existing requests: their first source, and their notes as the note of a closing call.
    op.execute(
        "INSERT INTO callback_sources (request_id, channel, campaign_id, response_id, at) "
        "SELECT id, channel, campaign_id, response_id, created_at FROM callback_requests"
    )
    op.execute(
        "INSERT INTO callback_attempts (request_id, outcome, note, topics, user_id, at) "
        "SELECT request_id, 'reached', notes, '[]', claimed_by_id, at FROM callback_notes_kept"
    )
    op.drop_table('callback_notes_kept')

    with op.batch_alter_table('regions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('callback_target_hours', sa.Integer(), server_default='8', nullable=False))
        batch_op.add_column(sa.Column('callback_spacing_minutes', sa.Integer(), server_default='120', nullable=False))
        batch_op.add_column(sa.Column('callback_max_attempts', sa.Integer(), server_default='3', nullable=False))


def downgrade():
    # In place (SQLite 3.35+ too): rebuilding `regions` would drop a table others point at.
    for column in ('callback_max_attempts', 'callback_spacing_minutes', 'callback_target_hours'):
        op.execute(f"ALTER TABLE regions DROP COLUMN {column}")

    # The notes of calls go back to their request (the last one), kept aside while the tables go.
    op.execute(
        "CREATE TABLE callback_notes_kept AS SELECT request_id, max(note) AS notes "
        "FROM callback_attempts WHERE note IS NOT NULL GROUP BY request_id"
    )
    with op.batch_alter_table('callback_attempts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_callback_attempts_request_id'))
    op.drop_table('callback_attempts')
    with op.batch_alter_table('callback_sources', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_callback_sources_request_id'))
        batch_op.drop_index(batch_op.f('ix_callback_sources_campaign_id'))
    op.drop_table('callback_sources')

    # The old schema knows no `unreachable` (closed as done) nor channels over 8 characters.
    op.execute("UPDATE callback_requests SET status = 'done' WHERE status = 'unreachable'")
    op.execute("UPDATE callback_requests SET channel = 'ivr' WHERE length(channel) > 8")
    with op.batch_alter_table('callback_requests', schema=None) as batch_op:
        batch_op.drop_index('ix_callback_requests_status_due_at')
        batch_op.drop_index('ix_callback_requests_queue', postgresql_where=sa.text(OPEN_WHERE), sqlite_where=sa.text(OPEN_WHERE))
        batch_op.drop_index('uq_callback_requests_one_open', postgresql_where=sa.text(OPEN_WHERE), sqlite_where=sa.text(OPEN_WHERE))
        batch_op.add_column(sa.Column('notes', sa.Text(), nullable=True))
        batch_op.alter_column('channel', existing_type=sa.String(length=16), type_=sa.String(length=8), existing_nullable=False)
        batch_op.drop_column('claim_expires_at')
        batch_op.drop_column('due_at')
    op.execute(
        "UPDATE callback_requests SET notes = (SELECT k.notes FROM callback_notes_kept k "
        "WHERE k.request_id = callback_requests.id)"
    )
    op.drop_table('callback_notes_kept')
