"""Contact, its consent history and the lists it belongs to."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Column, ForeignKey, Index, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from outreach.models.base import Base, UTCDateTime, utcnow

if TYPE_CHECKING:
    from outreach.models.region import Region


class ConsentState(enum.StrEnum):
    """A contact's consent.

    States and moves (applied only by `outreach.contacts.consent.apply_consent`):
        none      --opt_out-->                                       opted_out
        none      --opt_in-->                                        opted_in
        opted_in  --opt_out (anyone, any channel)-->                 opted_out
        opted_out --opt_in (the person by SMS/IVR, or staff with a
                            new explicit source; never an import)--> opted_in
    `none` is someone who reached out but never decided: a contact created from an inbound
    message starts there, and `apply_consent` makes the decision it came with (a STOP from an
    unknown number is stored opted out, in the same flush). Only `opted_in` is ever sent to.
    """

    NONE = "none"
    OPTED_IN = "opted_in"
    OPTED_OUT = "opted_out"


class ConsentAction(enum.StrEnum):
    OPT_IN = "opt_in"
    OPT_OUT = "opt_out"


class ConsentChannel(enum.StrEnum):
    IMPORT = "import"
    WEB = "web"
    SMS = "sms"
    IVR = "ivr"
    API = "api"


list_members = Table(
    "list_members",
    Base.metadata,
    Column("list_id", ForeignKey("contact_lists.id", ondelete="CASCADE"), primary_key=True),
    Column("contact_id", ForeignKey("contacts.id", ondelete="CASCADE"), primary_key=True),
    Index("ix_list_members_contact_id", "contact_id"),
)


class Contact(Base):
    """One phone number (E.164, unique) in one region, with a language and a consent state."""

    __tablename__ = "contacts"
    __table_args__ = (Index("ix_contacts_region_id_consent", "region_id", "consent"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str] = mapped_column(String(20), unique=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"))
    language: Mapped[str] = mapped_column(String(16))
    name: Mapped[str | None] = mapped_column(String(200))
    consent: Mapped[ConsentState] = mapped_column(String(16))
    consent_changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    region: Mapped[Region] = relationship(lazy="joined")
    lists: Mapped[list[ContactList]] = relationship(
        secondary=list_members, back_populates="contacts"
    )
    consent_events: Mapped[list[ConsentEvent]] = relationship(
        back_populates="contact", order_by="ConsentEvent.at.desc(), ConsentEvent.id.desc()"
    )

    @property
    def is_opted_in(self) -> bool:
        return self.consent == ConsentState.OPTED_IN

    def __repr__(self) -> str:
        return f"<Contact {self.id} {self.consent}>"


class ConsentEvent(Base):
    """One opt-in or opt-out: when, how (channel and source text) and by whom."""

    __tablename__ = "consent_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), index=True
    )
    action: Mapped[ConsentAction] = mapped_column(String(16))
    channel: Mapped[ConsentChannel] = mapped_column(String(16))
    source: Mapped[str] = mapped_column(Text)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    contact: Mapped[Contact] = relationship(back_populates="consent_events")


class ContactList(Base):
    """A named list of contacts within one region."""

    __tablename__ = "contact_lists"
    __table_args__ = (UniqueConstraint("region_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"))
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    region: Mapped[Region] = relationship(lazy="joined")
    contacts: Mapped[list[Contact]] = relationship(secondary=list_members, back_populates="lists")
