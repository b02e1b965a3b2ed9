"""SegmentPrice: what one SMS segment costs to a country, set by an admin."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import Numeric, String
from sqlalchemy.orm import Mapped, mapped_column

from outreach.models.base import Base, UTCDateTime, utcnow


class SegmentPrice(Base):
    """The price of one outbound SMS segment to numbers of a country (ISO 3166 alpha-2)."""

    __tablename__ = "segment_prices"

    country: Mapped[str] = mapped_column(String(2), primary_key=True)
    price: Mapped[Decimal] = mapped_column(Numeric(10, 5))
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
