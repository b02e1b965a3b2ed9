"""Response: an SMS reply or a key press, tied to a campaign and a menu node."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from outreach.models.base import Base, UTCDateTime, utcnow


class ResponseKind(enum.StrEnum):
    ANSWER = "answer"
    CALLBACK = "callback"
    OPT_OUT = "opt_out"
    OPT_IN = "opt_in"
    HELP = "help"
    UNRECOGNISED = "unrecognised"


class Response(Base):
    """What a person answered: the raw text or digits, and the option it was read as."""

    __tablename__ = "responses"
    __table_args__ = (
        Index("ix_responses_campaign_id_kind", "campaign_id", "kind"),
        Index("ix_responses_contact_id_at", "contact_id", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"))
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id"))
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id"))
    call_id: Mapped[int | None] = mapped_column(ForeignKey("calls.id"))
    channel: Mapped[str] = mapped_column(String(8))
    menu_node: Mapped[str | None] = mapped_column(String(64))
    option: Mapped[str | None] = mapped_column(String(64))
    kind: Mapped[ResponseKind] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
