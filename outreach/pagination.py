"""Pages of query results, shared by the web UI and the API."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

MAX_PER_PAGE = 500


@dataclass(frozen=True)
class Page:
    items: list[Any]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def has_prev(self) -> bool:
        return self.page > 1


def paginate(session: Session, stmt: Select, page: int, per_page: int) -> Page:
    """One page of `stmt` (scalars) with the total count; pages start at 1."""
    page = max(1, page)
    per_page = min(max(1, per_page), MAX_PER_PAGE)
    total = session.execute(
        select(func.count()).select_from(stmt.order_by(None).subquery())
    ).scalar_one()
    items = list(session.execute(stmt.limit(per_page).offset((page - 1) * per_page)).scalars())
    return Page(items=items, total=total, page=page, per_page=per_page)
