"""The threads work is handed to: room, the rows held, and a failure that ends nothing."""

from __future__ import annotations

import logging
import threading

import pytest

from outreach.messaging.work_pool import WorkPool


@pytest.fixture
def pool():
    pool = WorkPool(2, "test")
    yield pool
    pool.shutdown()


def test_rows_are_held_until_their_work_ends_and_room_comes_back(pool):
    go = threading.Event()
    assert pool.room(10) == 4  # two running, two waiting their turn
    pool.hand_over([(7, lambda: go.wait(5)), (8, lambda: go.wait(5)), (9, lambda: None)], "row")
    assert {7, 8} <= pool.held() and pool.room(10) <= 2
    go.set()
    pool.drain(5)
    assert pool.held() == set()
    assert pool.room(10) == 4
    assert pool.room(3) == 3  # never more than asked


def test_work_that_fails_is_logged_and_the_pool_goes_on(pool, caplog):
    def broken():
        raise RuntimeError("the database went away")

    done = []
    with caplog.at_level(logging.ERROR, logger="outreach.messaging.work_pool"):
        pool.hand_over([(1, broken)], "sending message")
        pool.drain(5)
        pool.hand_over([(2, lambda: done.append(2))], "sending message")
        pool.drain(5)
    assert done == [2] and pool.held() == set()
    assert "sending message 1 failed unexpectedly" in caplog.text
