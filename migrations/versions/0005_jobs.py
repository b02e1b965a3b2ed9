"""background jobs as rows the worker claims

A `jobs` table holds what every background job shares (kind, status, claim, attempts, error,
times); an import job keeps its own columns in `import_jobs` under the same id. Imports that
were pending or running when the server stopped are pending again: a worker runs them from the
start (imports are upserts, so nothing is duplicated).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-09 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

UNFINISHED = "status IN ('pending', 'running')"


def upgrade():
    op.create_table('jobs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('claimed_by', sa.String(length=64), nullable=True),
    sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_jobs'))
    )
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.create_index('ix_jobs_unfinished', ['status'], unique=False, postgresql_where=sa.text(UNFINISHED), sqlite_where=sa.text(UNFINISHED))

    # Every import becomes a job with the same id.
    op.execute(
        "INSERT INTO jobs (id, kind, status, attempts, error, created_at, finished_at) "
        "SELECT id, 'import', CASE WHEN status = 'running' THEN 'pending' ELSE status END, 0, "
        "error, created_at, finished_at FROM import_jobs"
    )
    bind = op.get_bind()
    if bind.dialect.name == 'postgresql':
        op.execute("SELECT setval(pg_get_serial_sequence('jobs', 'id'), coalesce(max(id), 0) + 1, false) FROM jobs")
        op.execute("ALTER TABLE import_jobs ALTER COLUMN id DROP DEFAULT")
        op.execute("DROP SEQUENCE IF EXISTS import_jobs_id_seq")

    with op.batch_alter_table('import_jobs', schema=None) as batch_op:
        batch_op.create_foreign_key(batch_op.f('fk_import_jobs_id_jobs'), 'jobs', ['id'], ['id'])
        batch_op.drop_column('status')
        batch_op.drop_column('error')
        batch_op.drop_column('created_at')
        batch_op.drop_column('finished_at')


def downgrade():
    with op.batch_alter_table('import_jobs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('created_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('error', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('status', sa.String(length=16), nullable=True))
        batch_op.drop_constraint(batch_op.f('fk_import_jobs_id_jobs'), type_='foreignkey')

    for column in ('status', 'error', 'created_at', 'finished_at'):
        op.execute(
            f"UPDATE import_jobs SET {column} = (SELECT jobs.{column} FROM jobs WHERE jobs.id = import_jobs.id)"
        )
    with op.batch_alter_table('import_jobs', schema=None) as batch_op:
        batch_op.alter_column('status', existing_type=sa.String(length=16), nullable=False)
        batch_op.alter_column('created_at', existing_type=sa.DateTime(timezone=True), nullable=False)

    bind = op.get_bind()
    if bind.dialect.name == 'postgresql':
        op.execute("CREATE SEQUENCE import_jobs_id_seq OWNED BY import_jobs.id")
        op.execute("SELECT setval('import_jobs_id_seq', coalesce(max(id), 0) + 1, false) FROM import_jobs")
        op.execute("ALTER TABLE import_jobs ALTER COLUMN id SET DEFAULT nextval('import_jobs_id_seq')")

    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.drop_index('ix_jobs_unfinished', postgresql_where=sa.text(UNFINISHED), sqlite_where=sa.text(UNFINISHED))

    op.drop_table('jobs')
