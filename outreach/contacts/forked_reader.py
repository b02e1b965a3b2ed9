"""Reading ahead in a forked child: an iterator's items made in another process, a few ahead.

An import parses numbers (CPU work) and writes them (database work); with the parsing in a
forked child the two run on two cores at once. Items come back through a pipe, whose small
buffer keeps the child at most an item or two ahead. The child only runs the iterator; it never
touches the database connections it inherited (its objects are frozen out of the garbage
collector, so no inherited connection is ever finalised there).

The parent's objects stay frozen too until the reading ends: what the app built (models, routes,
content, the session) outlives the import, and every full collection of the writer walked all
of it again — two such walks took a fifth of the writer's time in a 100,000-row import.
"""

from __future__ import annotations

import gc
import multiprocessing
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager
from typing import Generic, TypeVar

T = TypeVar("T")


def read_ahead(items: Iterator[T]) -> AbstractContextManager[Iterator[T]]:
    """`with read_ahead(items) as read:` — made in a forked child when that is safe, else here."""
    return ForkedReader(items) if ForkedReader.usable() else InProcessReader(items)


class _Failure:
    def __init__(self, exc: BaseException) -> None:
        self.exc = exc


class ForkedReader(Generic[T]):
    """Runs `items` in a forked child process and hands its items (picklable) back here."""

    def __init__(self, items: Iterator[T]) -> None:
        context = multiprocessing.get_context("fork")
        self._receive, send = context.Pipe(duplex=False)
        self._send = send
        self._process = context.Process(target=_feed, args=(items, send), daemon=True)

    @staticmethod
    def usable() -> bool:
        """Forking is safe only from a process with no other threads (the CLI, a job runner)."""
        return "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1

    def __enter__(self) -> Iterator[T]:
        gc.freeze()  # until __exit__: in the child for its whole life, here while it reads
        try:
            self._process.start()
        except BaseException:
            gc.unfreeze()
            raise
        self._send.close()
        return self._iterate()

    def __exit__(self, *_exc) -> None:
        try:
            if self._process.is_alive():
                self._process.terminate()
            self._process.join()
            self._receive.close()
        finally:
            gc.unfreeze()

    def _iterate(self) -> Iterator[T]:
        while True:
            try:
                item = self._receive.recv()
            except EOFError:
                raise RuntimeError("the file reader stopped unexpectedly") from None
            if item is None:
                return
            if type(item) is _Failure:
                raise item.exc
            yield item


def _feed(items: Iterator, send) -> None:
    """In the child: send each item, then None (or the failure)."""
    try:
        for item in items:
            send.send(item)
        send.send(None)
    except BaseException as exc:  # handed to the parent, raised there
        send.send(_Failure(exc))
    finally:
        send.close()


class InProcessReader(Generic[T]):
    """The same items, made here (where forking is not safe)."""

    def __init__(self, items: Iterator[T]) -> None:
        self._items = items

    def __enter__(self) -> Iterator[T]:
        return self._items

    def __exit__(self, *_exc) -> None:
        return None
