"""Helpers of the call-back tests: the queue's clock and reading the API's answers."""

from __future__ import annotations

from datetime import UTC, datetime

# Monday 2026-11-30, 10:00 in Osh and Bishkek (UTC+6): inside counsellor hours 09:00–17:00.
MONDAY_10 = datetime(2026, 11, 30, 4, 0, tzinfo=UTC)
# Friday 2026-12-04, 16:00 in Osh: one working hour left before the weekend.
FRIDAY_16 = datetime(2026, 12, 4, 10, 0, tzinfo=UTC)
OSH_NUMBER = "+996555123456"
