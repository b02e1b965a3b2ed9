"""What every API schema shares: the bases that refuse unknown fields, bounded text, ids, times
and the error shape."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    StrictInt,
    StringConstraints,
    WithJsonSchema,
)

from outreach.models import MAX_ID

MAX_BATCH = 1000
MAX_PER_PAGE = 500


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


def Text(max_length: int, min_length: int = 0):  # named as a type: `name: Text(200)`
    """Text stripped of surrounding spaces, of bounded length, without NUL characters."""
    return Annotated[
        str,
        StringConstraints(strip_whitespace=True, min_length=min_length, max_length=max_length),
        AfterValidator(_no_nul),
    ]


def _iso_utc(value: datetime) -> str:
    return value.astimezone(UTC).isoformat()


Id = Annotated[StrictInt, Field(ge=1, le=MAX_ID)]
UtcTime = Annotated[
    datetime,
    PlainSerializer(_iso_utc, return_type=str),
    WithJsonSchema({"type": "string", "format": "date-time"}),
]


class Input(BaseModel):
    """Base of request models: unknown fields are refused."""

    model_config = ConfigDict(extra="forbid")


class Output(BaseModel):
    """Base of response models."""


class ErrorDetail(Output):
    code: str = Field(examples=["validation_failed"])
    message: str
    details: object = Field(
        default=None,
        description="For validation errors a list of `{field, message, type}`; else free form.",
    )


class ErrorOut(Output):
    """Every 4xx answer has this shape."""

    error: ErrorDetail
