"""Helpers shared by tests (fixtures live in conftest.py)."""

from __future__ import annotations

from datetime import UTC, datetime

# 10:30 in Karachi and Dushanbe, 11:00 in Kabul, 11:30 in Bishkek: inside a 09:00–20:00 window.
MORNING = datetime(2026, 12, 1, 5, 30, tzinfo=UTC)


def run_until_idle(dispatcher) -> None:
    """Dispatch until nothing is due, then wait for the simulator's callbacks."""
    while dispatcher.dispatch_once():
        dispatcher.drain()
    dispatcher.drain()
    dispatcher.provider.flush()
