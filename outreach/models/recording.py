"""Recording: an uploaded voice prompt for one (topic, prompt, language)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from outreach.models.base import Base, UTCDateTime, utcnow


class Recording(Base):
    """The recording a call plays for one prompt in one language (the newest upload wins).

    One row per (topic, prompt, language): a newer upload overwrites it in the same statement
    that inserts it (`outreach.voice.recordings.store_recording`). The audio is 8 kHz mono WAV,
    served at `/audio/<sha256>.wav`; its bytes are in `data`, or — when the `AUDIO_STORAGE`
    setting names a folder — in `<AUDIO_STORAGE>/<sha256>.wav` and `data` is NULL.
    """

    __tablename__ = "recordings"
    __table_args__ = (UniqueConstraint("topic", "prompt", "language"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    topic: Mapped[str] = mapped_column(String(64))
    prompt: Mapped[str] = mapped_column(String(40))
    language: Mapped[str] = mapped_column(String(8))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    content_type: Mapped[str] = mapped_column(String(32))
    size: Mapped[int]
    duration_seconds: Mapped[float]
    data: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
