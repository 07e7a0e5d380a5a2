"""Who is acting: passed explicitly to every service (`*, actor`)."""

from __future__ import annotations

from dataclasses import dataclass

from hozen.accounts.permissions import Permission, Role, role_has
from hozen.errors import Forbidden


@dataclass(frozen=True)
class Actor:
    id: str
    username: str
    roles: frozenset[Role]
    organisation_id: str | None = None
    person_id: str | None = None
    is_system: bool = False  # a local operator at the command line

    @classmethod
    def system(cls, name: str = "cli") -> Actor:
        return cls(id="system", username=name, roles=frozenset(), is_system=True)

    @property
    def audit_name(self) -> str:
        return f"system:{self.username}" if self.is_system else f"user:{self.id}"

    def can(self, permission: Permission) -> bool:
        return self.is_system or role_has(self.roles, permission)

    def require(self, permission: Permission) -> None:
        if not self.can(permission):
            raise Forbidden(f"permission {permission.value} required")
