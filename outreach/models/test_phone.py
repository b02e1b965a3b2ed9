"""TestPhone: a staff member's own phone, registered by an admin for tests and the simulator."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from outreach.models.base import Base, UTCDateTime, utcnow

if TYPE_CHECKING:
    from outreach.models.region import Region
    from outreach.models.user import User


class TestPhone(Base):
    """A staff phone (E.164, unique) that real-phone test sends may reach and the simulator may
    answer as. It belongs to a region (any of its coordinators may use it), to one member of
    staff, or to both; admins may use every one. A contact's number is never a test phone.
    """

    __test__ = False  # a model, not a test class, whatever pytest makes of its name
    __tablename__ = "test_phones"
    __table_args__ = (
        CheckConstraint("region_id IS NOT NULL OR owner_id IS NOT NULL", name="has_a_user"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str] = mapped_column(String(20), unique=True)
    label: Mapped[str] = mapped_column(String(120))
    region_id: Mapped[int | None] = mapped_column(
        ForeignKey("regions.id", ondelete="CASCADE"), index=True
    )
    owner_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    region: Mapped[Region | None] = relationship(lazy="joined")
    owner: Mapped[User | None] = relationship(lazy="joined", foreign_keys=[owner_id])

    def __repr__(self) -> str:
        return f"<TestPhone {self.id} {self.label!r}>"
