"""The MRCs: Islamabad, Lahore, Peshawar, the virtual MRC Afghanistan, Dushanbe, Osh, Tashkent.

Revision ID: 0002
Revises: 0001
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

WEEKDAYS = [0, 1, 2, 3, 4]
SUN_TO_THU = [6, 0, 1, 2, 3]

# code, name, country, time zone, languages, counsellor days
REGIONS = [
    ("pk-isb", "MRC Islamabad", "PK", "Asia/Karachi", ["ur", "ps", "en"], WEEKDAYS),
    ("pk-lhr", "MRC Lahore", "PK", "Asia/Karachi", ["ur", "ps", "en"], WEEKDAYS),
    ("pk-pew", "MRC Peshawar", "PK", "Asia/Karachi", ["ur", "ps", "en"], WEEKDAYS),
    ("af-virtual", "Virtual MRC Afghanistan", "AF", "Asia/Kabul", ["fa-AF", "ps", "en"], SUN_TO_THU),
    ("tj-dyu", "MRC Dushanbe", "TJ", "Asia/Dushanbe", ["tg", "ru"], WEEKDAYS),
    ("kg-osh", "MRC Osh", "KG", "Asia/Bishkek", ["ky", "ru", "uz"], WEEKDAYS),
    ("uz-tas", "MRC Tashkent (planned)", "UZ", "Asia/Tashkent", ["uz", "ru"], WEEKDAYS),
]

regions = sa.table(
    "regions",
    sa.column("code", sa.String),
    sa.column("name", sa.String),
    sa.column("country", sa.String),
    sa.column("timezone", sa.String),
    sa.column("languages", sa.JSON),
    sa.column("window_start", sa.Integer),
    sa.column("window_end", sa.Integer),
    sa.column("counsellor_hours", sa.JSON),
    sa.column("is_active", sa.Boolean),
    sa.column("created_at", sa.DateTime(timezone=True)),
)


def upgrade():
    bind = op.get_bind()
    now = datetime.now(UTC)
    if bind.dialect.name == "sqlite":
        now = now.replace(tzinfo=None)
    existing = {row[0] for row in bind.execute(sa.text("SELECT code FROM regions"))}
    rows = [
        {
            "code": code,
            "name": name,
            "country": country,
            "timezone": tz,
            "languages": languages,
            "window_start": 9 * 60,
            "window_end": 20 * 60,
            "counsellor_hours": {"days": days, "start": "09:00", "end": "17:00"},
            "is_active": True,
            "created_at": now,
        }
        for code, name, country, tz, languages, days in REGIONS
        if code not in existing
    ]
    if rows:
        op.bulk_insert(regions, rows)


def downgrade():
    codes = ", ".join(f"'{code}'" for code, *_ in REGIONS)
    op.execute(f"DELETE FROM regions WHERE code IN ({codes})")
