"""Creating users, checking passwords and API tokens."""

from __future__ import annotations

import hashlib
import secrets
from functools import cache

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from outreach.errors import Conflict, NotFound, ValidationFailed
from outreach.models import ApiToken, Region, Role, User, utcnow

MIN_PASSWORD_LENGTH = 10
TOKEN_PREFIX = "mrc_"
# werkzeug's method for new password hashes (the PASSWORD_HASH_METHOD setting). A stored hash
# names its own method, so hashes made with another one keep verifying.
DEFAULT_PASSWORD_METHOD = "scrypt"


def create_user(
    session: Session,
    email: str,
    role: str,
    region_codes: list[str],
    password: str,
    password_method: str = DEFAULT_PASSWORD_METHOD,
) -> User:
    """A new staff user; admins may have no region, everyone else needs at least one."""
    email = email.strip().lower()
    if "@" not in email or len(email) > 254:
        raise ValidationFailed(f"{email!r} is not an email address", {"field": "email"})
    try:
        role = Role(role)
    except ValueError:
        raise ValidationFailed(
            f"role must be one of {', '.join(Role)}", {"field": "role"}
        ) from None
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationFailed(
            f"a password has at least {MIN_PASSWORD_LENGTH} characters", {"field": "password"}
        )
    if session.execute(select(User.id).where(User.email == email)).first():
        raise Conflict(f"a user {email} exists", {"field": "email"})
    regions = _regions_by_code(session, region_codes)
    if role != Role.ADMIN and not regions:
        raise ValidationFailed(f"a {role} needs at least one region", {"field": "region"})
    password_hash = generate_password_hash(password, method=password_method)
    user = User(email=email, role=role, password_hash=password_hash, regions=regions)
    session.add(user)
    session.flush()
    return user


def _regions_by_code(session: Session, codes: list[str]) -> list[Region]:
    wanted = [c.strip().lower() for c in codes]
    found = {
        r.code: r for r in session.execute(select(Region).where(Region.code.in_(wanted))).scalars()
    }
    unknown = [c for c in wanted if c not in found]
    if unknown:
        raise ValidationFailed(f"unknown region {', '.join(unknown)}", {"field": "region"})
    return [found[c] for c in dict.fromkeys(wanted)]


@cache
def _dummy_hash(method: str) -> str:
    return generate_password_hash("not a real password", method=method)


def authenticate(
    session: Session, email: str, password: str, password_method: str = DEFAULT_PASSWORD_METHOD
) -> User | None:
    """The active user with this email and password, or None."""
    user = session.execute(
        select(User).where(User.email == (email or "").strip().lower())
    ).scalar_one_or_none()
    if user is None:
        # Checked against a hash of the same method, so a wrong email costs as long as a
        # wrong password.
        check_password_hash(_dummy_hash(password_method), password or "")
        return None
    if not check_password_hash(user.password_hash, password or "") or not user.is_active:
        return None
    user.last_login_at = utcnow()
    return user


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(session: Session, email: str, name: str | None = None) -> str:
    """A new API token for a user; only its digest is kept, so it is shown once."""
    user = session.execute(
        select(User).where(User.email == email.strip().lower())
    ).scalar_one_or_none()
    if user is None:
        raise NotFound(f"no user {email}")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    session.add(ApiToken(user_id=user.id, digest=_digest(token), name=name))
    session.flush()
    return token


def user_for_token(session: Session, token: str) -> User | None:
    """The active user a bearer token belongs to, or None for an unknown or revoked token."""
    found = session.execute(
        select(ApiToken).where(ApiToken.digest == _digest(token), ApiToken.revoked_at.is_(None))
    ).scalar_one_or_none()
    if found is None or not found.user.is_active:
        return None
    found.last_used_at = utcnow()
    return found.user
