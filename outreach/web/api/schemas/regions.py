"""Regions (MRCs) in the API."""

from __future__ import annotations

from pydantic import Field

from outreach.web.api.schemas.common import Output


class RegionOut(Output):
    code: str = Field(examples=["pk-isb"])
    name: str
    country: str = Field(description="ISO 3166 alpha-2", examples=["PK"])
    timezone: str = Field(examples=["Asia/Karachi"])
    languages: list[str] = Field(description="The first is the default for new contacts.")


class RegionList(Output):
    items: list[RegionOut]
