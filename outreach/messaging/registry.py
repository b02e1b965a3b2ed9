"""The provider registry kept on the app: every provider by name, and the one configured.

`create_app` builds it once (`outreach.register_provider`) and keeps it in `app.extensions`;
whoever sends — the in-process worker of `outreach serve`, `outreach worker`, a benchmark —
takes the provider from it (`app_provider`), so one process holds one provider and one
connection pool. A test may still hand a `Worker` or `Dispatcher` a provider of its own.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING, Protocol

from outreach.messaging.provider import Provider

if TYPE_CHECKING:
    from flask import Flask

    from outreach.messaging.simulator import Deliver

EXTENSION = "outreach.provider"
DEFAULT_CONCURRENCY = 32  # the worker's default: provider requests in flight at once


class ProviderKind(Protocol):
    """A provider class: how one is made from the app's settings."""

    name: str

    @classmethod
    def from_config(
        cls, config: Mapping, *, deliver: Deliver | None, pool_maxsize: int
    ) -> Provider:
        """A provider from the settings; `deliver` posts its callbacks to the app in-process."""


class ProviderRegistry:
    """Provider kinds by name, and the one OUTREACH_PROVIDER names, built once on first use."""

    def __init__(
        self, kinds: Mapping[str, ProviderKind], config: Mapping, deliver: Deliver | None = None
    ) -> None:
        if config["OUTREACH_PROVIDER"] not in kinds:
            raise RuntimeError(
                f"OUTREACH_PROVIDER must be one of {', '.join(kinds)}, "
                f"not {config['OUTREACH_PROVIDER']!r}"
            )
        self.kinds = dict(kinds)
        self.config = config
        self.deliver = deliver
        self._lock = threading.Lock()
        self._provider: Provider | None = None
        self._pool_size = 0

    def build(self, name: str | None = None, concurrency: int = DEFAULT_CONCURRENCY) -> Provider:
        """A new provider of this kind (default: the configured one), its connection pool sized
        for `concurrency` requests in flight."""
        kind = self.kinds[name or self.config["OUTREACH_PROVIDER"]]
        return kind.from_config(self.config, deliver=self.deliver, pool_maxsize=concurrency)

    def provider(self, concurrency: int = DEFAULT_CONCURRENCY) -> Provider:
        """The configured provider: built on first use for `concurrency` requests in flight, and
        the same object for every later caller."""
        with self._lock:
            if self._provider is None:
                self._provider = self.build(concurrency=concurrency)
                self._pool_size = concurrency
            elif concurrency > self._pool_size:
                # A smaller pool than the requests in flight would open and drop connections.
                raise RuntimeError(
                    f"the provider was built for {self._pool_size} requests in flight, "
                    f"not {concurrency}"
                )
            return self._provider


def provider_registry(app: Flask) -> ProviderRegistry:
    """The registry `create_app` put on this app."""
    return app.extensions[EXTENSION]


def app_provider(app: Flask, concurrency: int = DEFAULT_CONCURRENCY) -> Provider:
    """The app's one provider (see `ProviderRegistry.provider`)."""
    return provider_registry(app).provider(concurrency)
