"""Errors the registry raises, each with a stable code and parameters.

The registry never formats a sentence for a person: every channel looks the code up in its text
catalog (Vietnamese or English) and fills in the parameters. Codes are dotted, e.g.
``phone.letters`` or ``person.duplicate_name``; the catalog key is ``error.<code>``.
"""

from __future__ import annotations

from typing import Any


class RegistryError(Exception):
    """Base of every error a user can cause; carries a code and the parameters of its message."""

    def __init__(self, code: str, /, **params: Any) -> None:
        super().__init__(code)
        self.code = code
        self.params: dict[str, Any] = params

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.code!r}, {self.params!r})"

    def __str__(self) -> str:
        if not self.params:
            return self.code
        details = ", ".join(f"{key}={value!r}" for key, value in self.params.items())
        return f"{self.code} ({details})"


class ValidationError(RegistryError):
    """An input that cannot be accepted as written (a phone, an email, a name...)."""


class NotFound(RegistryError):
    """The thing asked for does not exist (or is not visible to the actor)."""


class Ambiguous(RegistryError):
    """A loosely written reference matched several things; ``params['candidates']`` lists them."""


class PermissionDenied(RegistryError):
    """The actor may not do this."""


class Conflict(RegistryError):
    """The record changed since it was read (optimistic concurrency), or would clash with another."""


class Duplicate(RegistryError):
    """The same person (same name in the agency, or the same mobile) is already registered."""
