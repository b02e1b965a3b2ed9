"""Failed log-ins, counted per account and per client address in the rate limiter's store.

Behind a TLS proxy every member of staff may share one address, so the address alone cannot be
what locks people out. The rule:

- an account with `LOGIN_RATE_LIMIT` failures is locked, from any address, correct password
  or not (it is being guessed at);
- an address with that many failures (over any accounts) is refused only for accounts that
  have failed themselves: a correct password for an account with no failure of its own still
  gets in, so one person's typing never locks out a colleague at the next desk, while a guesser
  spraying many accounts from one address gets one try per account per window.

Only failures count; the store is `RATELIMIT_STORAGE_URI`, shared by every server process.
"""

from __future__ import annotations

from flask import current_app, request
from limits import RateLimitItem, parse

from outreach.extensions import limiter

NAMESPACE = "login-failures"


def _limit() -> RateLimitItem:
    return parse(current_app.config["LOGIN_RATE_LIMIT"])


def _account(email: str) -> tuple[str, str, str]:
    return (NAMESPACE, "account", (email or "").strip().lower())


def _address() -> tuple[str, str, str]:
    # The client's own address when TRUSTED_PROXIES is set (ProxyFix); else the peer's.
    return (NAMESPACE, "address", request.remote_addr or "unknown")


def _failures(item: RateLimitItem, key: tuple[str, ...]) -> int:
    return item.amount - limiter.limiter.get_window_stats(item, *key).remaining


def login_refused(email: str) -> bool:
    """Whether to refuse this log-in before its password is even checked."""
    if not limiter.enabled:
        return False
    item = _limit()
    account_failures = _failures(item, _account(email))
    if account_failures >= item.amount:
        return True
    return account_failures > 0 and _failures(item, _address()) >= item.amount


def record_failure(email: str) -> None:
    """Count a wrong password against the account and the client's address."""
    if not limiter.enabled:
        return
    item = _limit()
    limiter.limiter.hit(item, *_account(email))
    limiter.limiter.hit(item, *_address())
