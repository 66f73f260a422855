"""API keys: created with a secret shown once, stored as a salted hash, revocable.

A key reads `pb_<prefix>_<secret>`. The prefix is stored in clear to find the row; the
secret is hashed with a per-key salt and compared in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.errors import NotFound, Unauthenticated
from app.models import ApiKey, Organisation, Role, utcnow

_PREFIX_BYTES = 6
_SECRET_BYTES = 24


@dataclass(frozen=True)
class IssuedKey:
    key: ApiKey
    plaintext: str


def _hash(secret: str, salt: str) -> str:
    return hashlib.sha256(f"{salt}:{secret}".encode()).hexdigest()


def create(
    *, session: Session, organisation: Organisation, role: Role, label: str = ""
) -> IssuedKey:
    """Create a key for `organisation` with `role`; the plaintext is only in the result."""
    prefix = secrets.token_hex(_PREFIX_BYTES)
    secret = secrets.token_hex(_SECRET_BYTES)
    salt = secrets.token_hex(16)
    key = ApiKey(
        organisation=organisation,
        role=role,
        label=label,
        prefix=prefix,
        salt=salt,
        secret_hash=_hash(secret, salt),
    )
    session.add(key)
    session.flush()
    return IssuedKey(key=key, plaintext=f"pb_{prefix}_{secret}")


def authenticate(*, session: Session, presented: str | None) -> ApiKey:
    """Return the live key matching `presented`, or raise Unauthenticated."""
    if not presented:
        raise Unauthenticated("missing X-API-Key header", loc=("header", "X-API-Key"))
    parts = presented.strip().split("_", 2)
    if len(parts) != 3 or parts[0] != "pb" or len(parts[1]) != 2 * _PREFIX_BYTES:
        raise Unauthenticated("invalid API key", loc=("header", "X-API-Key"))
    key = session.scalar(select(ApiKey).where(ApiKey.prefix == parts[1]))
    expected = key.secret_hash if key is not None else _hash("", "no-such-key")
    actual = _hash(parts[2], key.salt if key is not None else "no-such-key")
    # Compare even when no key has this prefix, so that timing cannot tell the two apart.
    matches = hmac.compare_digest(expected, actual)
    if key is None or not matches:
        raise Unauthenticated("invalid API key", loc=("header", "X-API-Key"))
    if key.revoked_at is not None:
        raise Unauthenticated("this API key has been revoked", loc=("header", "X-API-Key"))
    return key


def revoke(*, session: Session, prefix: str) -> ApiKey:
    """Revoke the key with `prefix`; revoking twice keeps the first revocation time."""
    key = session.scalar(select(ApiKey).where(ApiKey.prefix == prefix))
    if key is None:
        raise NotFound(f"no API key with prefix '{prefix}'", loc=("prefix",))
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        session.flush()
    return key


def list_all(*, session: Session) -> list[ApiKey]:
    """Return every key, newest first."""
    return list(session.scalars(select(ApiKey).order_by(ApiKey.id.desc())))
