"""Region: one Migrant Resource Centre and the people it reaches."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, Boolean, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from outreach.models.base import Base, UTCDateTime, utcnow


class HotlineMode(enum.StrEnum):
    """What a call to the region's number (`sender_number`) gets.

    menu: the voice menu (a language choice for people we do not know, then the topics);
    missed_call: rejected as busy before it is answered (the caller pays nothing) and turned
    into a call-back request; off: a short "the hotline is closed" and the end of the call.
    """

    MENU = "menu"
    MISSED_CALL = "missed_call"
    OFF = "off"


class Region(Base):
    """An MRC: code, country, time zone, languages, sender number, window and counsellor hours.

    `languages` is an ordered list of language codes; the first is the region's default.
    `counsellor_hours` is `{"days": [0..6], "start": "HH:MM", "end": "HH:MM"}` in local time
    (Monday is 0). The default sending window is in each recipient's local time, kept as
    minutes after midnight: start inclusive, end exclusive, 1440 meaning "24:00".
    """

    __tablename__ = "regions"
    __table_args__ = (
        # Calls and SMS to a number find its one region.
        Index(
            "uq_regions_sender_number",
            "sender_number",
            unique=True,
            postgresql_where=text("sender_number IS NOT NULL"),
            sqlite_where=text("sender_number IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    country: Mapped[str] = mapped_column(String(2))
    timezone: Mapped[str] = mapped_column(String(64))
    languages: Mapped[list[str]] = mapped_column(JSON, default=list)
    window_start: Mapped[int] = mapped_column(Integer, default=9 * 60)
    window_end: Mapped[int] = mapped_column(Integer, default=20 * 60)
    counsellor_hours: Mapped[dict] = mapped_column(JSON, default=dict)
    phone: Mapped[str | None] = mapped_column(String(32))
    sender_number: Mapped[str | None] = mapped_column(String(32))
    hotline: Mapped[HotlineMode] = mapped_column(
        String(16), default=HotlineMode.MENU, server_default=HotlineMode.MENU.value
    )
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    # The call-back queue: a request waiting longer than the target (in counsellor hours) is
    # overdue; failed attempts are spaced, and after the maximum the request is unreachable.
    callback_target_hours: Mapped[int] = mapped_column(Integer, default=8, server_default="8")
    callback_spacing_minutes: Mapped[int] = mapped_column(
        Integer, default=120, server_default="120"
    )
    callback_max_attempts: Mapped[int] = mapped_column(Integer, default=3, server_default="3")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def default_language(self) -> str:
        """The language new contacts get when none is given."""
        return self.languages[0] if self.languages else "en"

    def __repr__(self) -> str:
        return f"<Region {self.code}>"
