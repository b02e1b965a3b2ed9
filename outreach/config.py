"""Settings from the environment (and `.env` when present), with offline-first defaults."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from dotenv import load_dotenv


def _secret_key(instance_path: Path) -> str:
    """The SECRET_KEY setting, or one generated once and kept in the instance folder."""
    path = instance_path / "secret_key"
    if path.exists():
        return path.read_text().strip()
    key = secrets.token_hex(32)
    path.write_text(key)
    path.chmod(0o600)
    return key


def _database_url(value: str | None, instance: Path) -> str:
    """The SQLAlchemy URL; a plain `postgresql://` URL is given the psycopg 3 driver."""
    if not value:
        return f"sqlite:///{instance / 'outreach.db'}"
    for prefix in ("postgres://", "postgresql://"):
        if value.startswith(prefix):
            return "postgresql+psycopg://" + value[len(prefix) :]
    return value


def _trusted_proxies(value: str | None) -> int:
    """TRUSTED_PROXIES: how many reverse proxies in front of the app set X-Forwarded-For."""
    text = (value or "0").strip()
    if not text.isascii() or not text.isdigit() or int(text) > 10:
        raise RuntimeError(f"TRUSTED_PROXIES must be a number of proxies (0 to 10), not {text!r}")
    return int(text)


def _claim_minutes(value: str | None) -> int:
    """CALLBACK_CLAIM_MINUTES: how long a call-back claim lasts (1 to 1440 minutes)."""
    text = (value or "30").strip()
    if not text.isascii() or not text.isdigit() or not 1 <= int(text) <= 1440:
        raise RuntimeError(f"CALLBACK_CLAIM_MINUTES must be 1 to 1440 minutes, not {text!r}")
    return int(text)


def load_settings(instance_path: str, overrides: dict | None = None) -> dict:
    """Read every setting DESIGN.md names; `overrides` (tests, tools) win over the environment."""
    load_dotenv(override=False)
    overrides = dict(overrides or {})
    instance = Path(instance_path)
    instance.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, **{k: v for k, v in overrides.items() if isinstance(v, str)}}
    database_url = _database_url(env.get("DATABASE_URL"), instance)
    # Checked against the provider registry in `create_app` (`register_provider`).
    provider = env.get("OUTREACH_PROVIDER", "simulator").strip().lower()
    settings = {
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SECRET_KEY": env.get("SECRET_KEY") or _secret_key(instance),
        "OUTREACH_PROVIDER": provider,
        "TWILIO_ACCOUNT_SID": env.get("TWILIO_ACCOUNT_SID"),
        "TWILIO_AUTH_TOKEN": env.get("TWILIO_AUTH_TOKEN"),
        "TWILIO_FROM_NUMBER": env.get("TWILIO_FROM_NUMBER"),
        "TWILIO_MESSAGING_SERVICE_SID": env.get("TWILIO_MESSAGING_SERVICE_SID"),
        "TWILIO_API_BASE_URL": env.get("TWILIO_API_BASE_URL", "https://api.twilio.com"),
        "PUBLIC_BASE_URL": env.get("PUBLIC_BASE_URL"),
        # Web uploads wait here for the worker that imports them: every server process and
        # worker must see the same folder (one machine's disk, or a shared mount at that path).
        "UPLOAD_FOLDER": env.get("UPLOAD_FOLDER") or str(instance / "uploads"),
        "MAX_CONTENT_LENGTH": 200 * 1024 * 1024,
        # Uploaded voice recordings: in the database unless this names a folder (every server
        # process must see the same one); files there are named by their hash and never change.
        "AUDIO_STORAGE": env.get("AUDIO_STORAGE") or None,
        # Languages Twilio's text-to-speech speaks well enough to stand in for a recording.
        "VOICE_TTS_LANGUAGES": tuple(
            lang.strip()
            for lang in env.get("VOICE_TTS_LANGUAGES", "en,ru").split(",")
            if lang.strip()
        ),
        "LOGIN_RATE_LIMIT": "10 per minute",
        "RATELIMIT_STORAGE_URI": env.get("RATELIMIT_STORAGE_URI", "memory://"),
        "TRUSTED_PROXIES": _trusted_proxies(env.get("TRUSTED_PROXIES")),
        # werkzeug's method for new password hashes. Not read from the environment: only tests
        # (which need a cheap one) and tools set it.
        "PASSWORD_HASH_METHOD": "scrypt",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        # Per process: a web process uses at most one connection per thread, a worker about its
        # concurrency (README, "Database connections"). Not pinged before each use (a round trip
        # per request): retired after 5 minutes, before NAT gateways and firewalls drop idle
        # connections, and one found broken anyway is replaced — the web request that met it is
        # run again (`outreach/web/stale.py`), a worker's loop tries again after its backoff.
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_recycle": 300, "pool_size": 40, "max_overflow": 10},
        # How often a worker says it is alive, and after how long without a word it is gone
        # (its claims are then released and its requests in flight marked interrupted).
        "WORKER_HEARTBEAT_SECONDS": float(env.get("OUTREACH_HEARTBEAT_SECONDS", "5")),
        "WORKER_TIMEOUT_SECONDS": float(env.get("OUTREACH_WORKER_TIMEOUT", "30")),
        # A worker whose loop cannot reach the database for this long exits (status 75) so its
        # supervisor restarts it; a claim no live worker renewed for this long is given back.
        "WORKER_GIVE_UP_SECONDS": float(env.get("WORKER_GIVE_UP_SECONDS", "300")),
        "CLAIM_TIMEOUT_SECONDS": float(env.get("CLAIM_TIMEOUT_SECONDS", "300")),
        # A placed call with no status callback for this long is ended (see voice/sweeper.py).
        "CALL_SWEEP_SECONDS": float(env.get("CALL_SWEEP_SECONDS", "7200")),
        # A counsellor's claim on a call-back request returns it to the queue after this long
        # without an attempt recorded.
        "CALLBACK_CLAIM_MINUTES": _claim_minutes(env.get("CALLBACK_CLAIM_MINUTES")),
    }
    settings.update(overrides)
    return settings
