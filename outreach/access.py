"""Which regions a user may see. Every service that reads personal data takes a `Scope`."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select

from outreach.errors import NotFound
from outreach.models import Role, User


@dataclass(frozen=True)
class Scope:
    """The regions a user may see; `region_ids=None` means all (admins and system jobs)."""

    region_ids: frozenset[int] | None
    user_id: int | None = None
    role: Role | None = None

    @classmethod
    def everything(cls) -> Scope:
        """The scope of a command-line tool or a background job."""
        return cls(region_ids=None)

    @classmethod
    def for_user(cls, user: User) -> Scope:
        """Admins see all regions; coordinators and counsellors only their own."""
        if user.role == Role.ADMIN:
            return cls(region_ids=None, user_id=user.id, role=user.role)
        return cls(frozenset(r.id for r in user.regions), user_id=user.id, role=user.role)

    @property
    def is_admin(self) -> bool:
        return self.region_ids is None

    def allows(self, region_id: int | None) -> bool:
        """Whether a record of this region is visible."""
        return self.region_ids is None or region_id in self.region_ids

    def check(self, region_id: int | None, what: str = "record") -> None:
        """Raise NotFound (not Forbidden) for a record outside the scope."""
        if not self.allows(region_id):
            raise NotFound(f"{what} not found")

    def apply(self, stmt: Select, region_column) -> Select:
        """Restrict a query to the scope's regions."""
        if self.region_ids is None:
            return stmt
        return stmt.where(region_column.in_(self.region_ids))
