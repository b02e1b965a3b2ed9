"""The schema changes only through migrations, and they agree with the models."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import select

from outreach.extensions import db
from outreach.models import Base, Region

EXPECTED_REGIONS = {
    "pk-isb": ("PK", "Asia/Karachi", ["ur", "ps", "en"]),
    "pk-lhr": ("PK", "Asia/Karachi", ["ur", "ps", "en"]),
    "pk-pew": ("PK", "Asia/Karachi", ["ur", "ps", "en"]),
    "af-virtual": ("AF", "Asia/Kabul", ["fa-AF", "ps", "en"]),
    "tj-dyu": ("TJ", "Asia/Dushanbe", ["tg", "ru"]),
    "kg-osh": ("KG", "Asia/Bishkek", ["ky", "ru", "uz"]),
    "uz-tas": ("UZ", "Asia/Tashkent", ["uz", "ru"]),
}


def test_one_head(app):
    config = app.extensions["migrate"].migrate.get_config()
    assert len(ScriptDirectory.from_config(config).get_heads()) == 1


def test_models_and_migrations_agree(app):
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, Base.metadata)
    assert diff == []


def test_migrations_create_the_real_centres(app):
    regions = {r.code: r for r in db.session.execute(select(Region)).scalars()}
    assert {code: (r.country, r.timezone, r.languages) for code, r in regions.items()} == (
        EXPECTED_REGIONS
    )
    assert regions["pk-pew"].window_start == 9 * 60
