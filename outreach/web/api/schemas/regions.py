"""Regions (MRCs) in the API."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StrictInt, model_validator

from outreach.web.api.schemas.common import Input, Output, Text

HotlineMode = Literal["menu", "missed_call", "off"]
Clock = Annotated[Text(5, 1), Field(examples=["09:00"], description="HH:MM, local time")]


class WindowOut(Output):
    start: str = Field(examples=["09:00"])
    end: str = Field(examples=["20:00"], description="`24:00` is the end of the day")


class CounsellorHoursOut(Output):
    days: list[int] = Field(description="0 is Monday")
    start: str
    end: str


class RegionOut(Output):
    code: str = Field(examples=["pk-isb"])
    name: str
    country: str = Field(description="ISO 3166 alpha-2", examples=["PK"])
    timezone: str = Field(examples=["Asia/Karachi"])
    languages: list[str] = Field(description="The first is the default for new contacts.")
    phone: str | None = Field(description="The MRC's number given to people")
    sender_number: str | None = Field(
        description="The number SMS and calls come from and the hotline answers (E.164)"
    )
    window: WindowOut = Field(description="The default sending window, recipients' local time")
    counsellor_hours: CounsellorHoursOut
    hotline: HotlineMode = Field(
        description="What a call to `sender_number` gets: the voice menu, a missed call "
        "turned into a call-back request, or a closed hotline"
    )


class RegionList(Output):
    items: list[RegionOut]


class WindowIn(Input):
    start: Clock
    end: Clock


class CounsellorHoursIn(Input):
    days: Annotated[list[Annotated[StrictInt, Field(ge=0, le=6)]], Field(max_length=7)]
    start: Clock
    end: Clock


class RegionPatch(Input):
    """Any of a region's settings; `phone` and `sender_number` may be null to clear them."""

    name: Text(120, 1) | None = None
    phone: Text(32) | None = None
    sender_number: Text(32) | None = Field(default=None, examples=["+925112345678"])
    languages: Annotated[list[Text(16, 1)], Field(min_length=1, max_length=8)] | None = None
    window: WindowIn | None = None
    counsellor_hours: CounsellorHoursIn | None = None
    hotline: HotlineMode | None = None

    @model_validator(mode="after")
    def _only_numbers_clear(self):
        cleared = {"name", "languages", "window", "counsellor_hours", "hotline"}
        nulls = sorted(f for f in self.model_fields_set & cleared if getattr(self, f) is None)
        if nulls:
            raise ValueError(f"{', '.join(nulls)}: may not be null")
        return self
