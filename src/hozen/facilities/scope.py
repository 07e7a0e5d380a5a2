"""Who sees a business's facility records: government roles every business, a security
officer only their own organisation."""

from __future__ import annotations

from hozen.accounts.actor import Actor
from hozen.accounts.permissions import Role
from hozen.designations.services import GOVERNMENT_ROLES


def sees_organisation(actor: Actor, organisation_id: str) -> bool:
    """Government roles see every business; a security officer their own."""
    return actor.is_system or bool(actor.roles & GOVERNMENT_ROLES) or (
        Role.COMPANY_SECURITY_OFFICER in actor.roles
        and actor.organisation_id == organisation_id)
