"""The one error tree of PatentBridge.

    PatentBridgeError
    ├── NotFound            404  the thing does not exist, or the caller may not know it does
    ├── Conflict            409  the request clashes with stored state
    ├── InvalidInput        422  the input is wrong; carries one or more located problems
    │   └── PayloadTooLarge 413  a body or uploaded file is over a configured limit
    ├── Unauthenticated     401  no key, unknown key or revoked key
    ├── Forbidden           403  the key is valid but may not do this
    └── TooManyRequests     429  the key has used up its request rate; carries `retry_after`

Services raise these; `app.api.errors` maps them to HTTP in one place. Every error becomes
`{"detail": [{"msg": ..., "type": ..., "loc": [...]}]}`, the shape of FastAPI's own 422.
A message is a `Localized` text (`app.core.i18n.tr`): Chinese unless the caller asked for English.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.core.i18n import Localized, render


@dataclass(frozen=True)
class Problem:
    """One located problem: where (`loc`), what (`msg`) and a machine-readable `type`."""

    msg: str | Localized
    loc: tuple[str | int, ...] = ()
    type: str = "value_error"

    def as_dict(self) -> dict[str, object]:
        """Return the problem in the API's JSON error shape, in the current language."""
        return {"msg": render(self.msg), "type": self.type, "loc": list(self.loc)}


class PatentBridgeError(Exception):
    """Base of every error the service raises on purpose."""

    status_code = 500
    error_type = "error"

    def __init__(self, msg: str | Localized, *, loc: tuple[str | int, ...] = ()) -> None:
        super().__init__(str(msg))
        self.problems: list[Problem] = [Problem(msg=msg, loc=loc, type=self.error_type)]

    @property
    def msg(self) -> str | Localized:
        """Return the first problem's message."""
        return self.problems[0].msg


class NotFound(PatentBridgeError):
    status_code = 404
    error_type = "not_found"


class Conflict(PatentBridgeError):
    status_code = 409
    error_type = "conflict"


class InvalidInput(PatentBridgeError):
    status_code = 422
    error_type = "value_error"

    @classmethod
    def of(cls, problems: list[Problem]) -> InvalidInput:
        """Build one error that carries several located problems."""
        if not problems:
            raise ValueError("InvalidInput.of needs at least one problem")
        error = cls(problems[0].msg, loc=problems[0].loc)
        error.problems = list(problems)
        return error


class PayloadTooLarge(InvalidInput):
    status_code = 413
    error_type = "too_large"


class Unauthenticated(PatentBridgeError):
    status_code = 401
    error_type = "unauthenticated"


class Forbidden(PatentBridgeError):
    status_code = 403
    error_type = "forbidden"


class TooManyRequests(PatentBridgeError):
    status_code = 429
    error_type = "rate_limited"

    def __init__(self, msg: str | Localized, *, retry_after: int) -> None:
        super().__init__(msg, loc=("header", "X-API-Key"))
        self.retry_after = retry_after
