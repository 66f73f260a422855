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

from app.core.errors import NotFound, Unauthenticated
from app.core.i18n import tr
from app.models import ApiKey, Organisation, Role, utcnow

_INVALID_KEY = tr(
    "API 密钥无效；请检查 X-API-Key 中的密钥是否完整（形如 pb_…_…）",
    "invalid API key",
)
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
        raise Unauthenticated(
            tr(
                "缺少 API 密钥：请在请求头 X-API-Key 中填写您的密钥",
                "missing X-API-Key header",
            ),
            loc=("header", "X-API-Key"),
        )
    parts = presented.strip().split("_", 2)
    if len(parts) != 3 or parts[0] != "pb" or len(parts[1]) != 2 * _PREFIX_BYTES:
        raise Unauthenticated(_INVALID_KEY, loc=("header", "X-API-Key"))
    key = session.scalar(select(ApiKey).where(ApiKey.prefix == parts[1]))
    expected = key.secret_hash if key is not None else _hash("", "no-such-key")
    actual = _hash(parts[2], key.salt if key is not None else "no-such-key")
    # Compare even when no key has this prefix, so that timing cannot tell the two apart.
    matches = hmac.compare_digest(expected, actual)
    if key is None or not matches:
        raise Unauthenticated(_INVALID_KEY, loc=("header", "X-API-Key"))
    if key.revoked_at is not None:
        raise Unauthenticated(
            tr(
                "这个 API 密钥已被吊销；请向平台运营方申请新的密钥",
                "this API key has been revoked",
            ),
            loc=("header", "X-API-Key"),
        )
    return key


def revoke(*, session: Session, prefix: str) -> ApiKey:
    """Revoke the key with `prefix`; revoking twice keeps the first revocation time."""
    key = session.scalar(select(ApiKey).where(ApiKey.prefix == prefix))
    if key is None:
        raise NotFound(
            tr(
                "没有前缀为“{prefix}”的 API 密钥；可用 patentbridge keys list 查看",
                "no API key with prefix '{prefix}'",
                prefix=prefix,
            ),
            loc=("prefix",),
        )
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        session.flush()
    return key


def list_all(*, session: Session) -> list[ApiKey]:
    """Return every key, newest first."""
    return list(session.scalars(select(ApiKey).order_by(ApiKey.id.desc())))
