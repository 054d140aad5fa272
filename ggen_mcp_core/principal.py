"""Who is calling: the principal a request is made by."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Principal:
    """An authenticated caller (or the anonymous one).

    :param name: a stable identifier (user, client id or key name); used for rate limits and audit.
    :param scopes: what the caller may do, e.g. ``{"graph:read", "template:write"}``.
    :param authenticated: False for the anonymous principal.
    :param claims: extra attributes from the credential (never secrets).
    """

    name: str
    scopes: frozenset[str] = frozenset()
    authenticated: bool = True
    claims: dict[str, object] = field(default_factory=dict, compare=False, hash=False)

    @classmethod
    def anonymous(cls, address: str | None = None) -> Principal:
        """The principal of an unauthenticated caller (stdio, or HTTP with auth off)."""
        return cls(name=f"anonymous@{address}" if address else "anonymous", authenticated=False)

    @classmethod
    def local(cls) -> Principal:
        """The local user: stdio and the ``ggen-mcp call`` command run as them with every scope."""
        return cls(name="local", scopes=frozenset({"*"}), authenticated=True)

    def has_scopes(self, required: tuple[str, ...] | frozenset[str]) -> bool:
        """True when every required scope is held (``*`` holds them all)."""
        return "*" in self.scopes or all(s in self.scopes for s in required)
