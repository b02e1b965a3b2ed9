"""Errors that services raise; the web layer turns them into 4xx pages or the API error shape."""

from __future__ import annotations


class ServiceError(Exception):
    """A request that cannot be carried out as asked; never a server fault."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, details: object = None, *, code: str | None = None):
        super().__init__(message)
        self.message = message
        self.details = details
        if code:
            self.code = code


class ValidationFailed(ServiceError):
    status = 422
    code = "validation_failed"


class NotFound(ServiceError):
    """Also what a user gets for a record outside their regions: its existence is not told."""

    status = 404
    code = "not_found"


class Forbidden(ServiceError):
    status = 403
    code = "forbidden"


class Conflict(ServiceError):
    status = 409
    code = "conflict"


class TooManyRequests(ServiceError):
    """A limit on how often something may be done was reached; try again later."""

    status = 429
    code = "rate_limited"
