"""The admin's price per SMS segment per country, which the pre-launch cost estimate uses.

The estimate adds up segments × price across countries into one amount, so every price is kept
in one currency: a price in another currency is refused rather than summed as if it were the
same money.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation

import phonenumbers
from sqlalchemy import select
from sqlalchemy.orm import Session

from outreach.access import Scope
from outreach.errors import NotFound, ValidationFailed
from outreach.models import SegmentPrice
from outreach.permissions import Action, check

MAX_PRICE = Decimal("99999.99999")  # Numeric(10, 5)


def list_prices(session: Session) -> list[SegmentPrice]:
    """Every price, by country."""
    return list(session.execute(select(SegmentPrice).order_by(SegmentPrice.country)).scalars())


def save_price(
    session: Session, scope: Scope, country: str, price: str, currency: str, now: datetime
) -> SegmentPrice:
    """Set (create or change) the price of one segment to a country; only admins may."""
    _require_admin(scope)
    problems: dict[str, str] = {}
    code = _country(country, problems)
    amount = _amount(price, problems)
    money = _currency(session, code, currency, problems)
    if problems:
        raise ValidationFailed("the price has problems", problems)
    row = session.get(SegmentPrice, code)
    if row is None:
        row = SegmentPrice(country=code)
        session.add(row)
    row.price, row.currency, row.updated_at = amount, money, now
    session.flush()
    return row


def delete_price(session: Session, scope: Scope, country: str) -> None:
    """Forget a country's price (its segments then show as unpriced)."""
    _require_admin(scope)
    row = session.get(SegmentPrice, (country or "").strip().upper())
    if row is None:
        raise NotFound(f"no price for {country!r}")
    session.delete(row)
    session.flush()


def _require_admin(scope: Scope) -> None:
    check(scope.role, Action.PRICES_EDIT)


def _country(country: str, problems: dict) -> str:
    code = (country or "").strip().upper()
    if code not in phonenumbers.SUPPORTED_REGIONS:
        problems["country"] = "a two-letter ISO country code, e.g. PK"
    return code


def _amount(price: str, problems: dict) -> Decimal | None:
    try:
        amount = Decimal(str(price).strip().replace(",", "."))
    except (InvalidOperation, ValueError):
        amount = None
    if amount is None or not amount.is_finite() or not 0 <= amount <= MAX_PRICE:
        problems["price"] = f"a number from 0 to {MAX_PRICE}, e.g. 0.0425"
        return None
    if amount.as_tuple().exponent < -5:
        problems["price"] = "at most 5 decimal places"
        return None
    return amount


def _currency(session: Session, country: str, currency: str, problems: dict) -> str:
    money = (currency or "").strip().upper()
    if len(money) != 3 or not money.isalpha():
        problems["currency"] = "a three-letter ISO currency code, e.g. USD"
        return money
    others = session.execute(
        select(SegmentPrice.currency).where(SegmentPrice.country != country).distinct()
    ).scalars()
    other = next((c for c in others if c != money), None)
    if other is not None:
        problems["currency"] = (
            f"the other prices are in {other}; the estimate adds them up, so use {other} here too"
        )
    return money
