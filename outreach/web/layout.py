"""The page layout's helpers: the stylesheet, template filters and what every page knows."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from flask import Blueprint, current_app
from flask_login import current_user

from outreach.languages import language_name
from outreach.permissions import Action, may
from outreach.regions import format_minutes
from outreach.web.inputs import int_arg

bp = Blueprint(
    "layout",
    __name__,
    template_folder="templates",
    static_folder="static",
    # The app's own /static is left to the app; the UI's assets live under /assets.
    static_url_path="/assets",
)

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@bp.app_context_processor
def _layout_context() -> dict:
    return {
        "has_endpoint": lambda endpoint: endpoint in current_app.view_functions,
        "may": _may,
    }


def _may(action: str) -> bool:
    """Whether the logged-in user's role allows `action` (pages show only what one may do)."""
    return current_user.is_authenticated and may(current_user.role, Action(action))


@bp.app_template_filter("when")
def format_when(value: datetime | None, timezone: str | None = None) -> str:
    """A moment as `YYYY-MM-DD HH:MM` in a region's time zone (UTC when none is given)."""
    if value is None:
        return "—"
    zone = ZoneInfo(timezone) if timezone else ZoneInfo("UTC")
    return value.astimezone(zone).strftime("%Y-%m-%d %H:%M ") + (timezone or "UTC")


@bp.app_template_filter("language")
def format_language(code: str) -> str:
    """A language code with its English name: `ky (Kyrgyz)`."""
    name = language_name(code)
    return code if name == code else f"{code} ({name})"


@bp.app_template_filter("hhmm")
def format_hhmm(minutes: int) -> str:
    """Minutes after midnight as `HH:MM`."""
    return format_minutes(minutes)


@bp.app_template_filter("weekdays")
def format_weekdays(days: list[int] | None) -> str:
    """Weekday numbers (Monday is 0) as short names."""
    return ", ".join(WEEKDAYS[d] for d in sorted(days or []) if 0 <= d < 7) or "none"


def safe_next(target: str | None) -> str | None:
    """`target` when it is a path on this site, else None (no open redirects)."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def page_arg() -> int:
    """The `page` query argument (declared with `@int_query("page")`), 1 when missing."""
    return int_arg("page", 1)
