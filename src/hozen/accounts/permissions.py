"""Roles and permissions. Every route declares one Permission (scope:resource:action);
what each role holds is written out here and nowhere else."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    SYSTEM_ADMIN = "system_admin"
    WINDOW_OFFICER = "window_officer"  # 一元的窓口の職員
    INVESTIGATOR = "investigator"
    ADJUDICATOR = "adjudicator"
    AGENCY_OFFICIAL = "agency_official"
    APPROVING_OFFICIAL = "approving_official"
    COMPANY_SECURITY_OFFICER = "company_security_officer"
    SUBJECT = "subject"  # 評価対象者
    FOREIGN_LIAISON = "foreign_liaison"
    EXTERNAL_EXPERT = "external_expert"
    OVERSIGHT_INSPECTOR = "oversight_inspector"
    AUDITOR = "auditor"


class Permission(StrEnum):
    REGISTRY_COUNTRY_READ = "registry:country:read"
    REGISTRY_ORGANISATION_READ = "registry:organisation:read"
    REGISTRY_ORGANISATION_WRITE = "registry:organisation:write"
    REGISTRY_OWNERSHIP_READ = "registry:ownership:read"
    REGISTRY_OWNERSHIP_WRITE = "registry:ownership:write"
    REGISTRY_PERSON_READ = "registry:person:read"
    REGISTRY_PERSON_WRITE = "registry:person:write"
    ACCOUNTS_SELF_READ = "accounts:self:read"
    AUDIT_EVENT_READ = "audit:event:read"


# Roles whose members see every person: the government window that investigates.
WINDOW_ROLES = frozenset({Role.WINDOW_OFFICER, Role.INVESTIGATOR, Role.ADJUDICATOR})
# Roles that see and manage the staff of their own organisation only.
EMPLOYER_ROLES = frozenset({Role.AGENCY_OFFICIAL, Role.COMPANY_SECURITY_OFFICER})

_ALL = frozenset(Role)
_GOV_OVERSIGHT = frozenset(
    {Role.SYSTEM_ADMIN, Role.WINDOW_OFFICER, Role.AGENCY_OFFICIAL, Role.APPROVING_OFFICIAL,
     Role.OVERSIGHT_INSPECTOR, Role.AUDITOR}
)

GRANTS: dict[Permission, frozenset[Role]] = {
    Permission.REGISTRY_COUNTRY_READ: _ALL,
    Permission.REGISTRY_ORGANISATION_READ: _ALL - {Role.SUBJECT},
    Permission.REGISTRY_ORGANISATION_WRITE: frozenset({Role.SYSTEM_ADMIN, Role.WINDOW_OFFICER}),
    Permission.REGISTRY_OWNERSHIP_READ: _GOV_OVERSIGHT | {Role.COMPANY_SECURITY_OFFICER},
    Permission.REGISTRY_OWNERSHIP_WRITE: frozenset({Role.SYSTEM_ADMIN, Role.WINDOW_OFFICER}),
    # Personal data: the window, and employers for their own staff; a subject reads self.
    Permission.REGISTRY_PERSON_READ: WINDOW_ROLES | EMPLOYER_ROLES | {Role.SUBJECT},
    Permission.REGISTRY_PERSON_WRITE: frozenset({Role.WINDOW_OFFICER}) | EMPLOYER_ROLES,
    Permission.ACCOUNTS_SELF_READ: _ALL,
    Permission.AUDIT_EVENT_READ: frozenset({Role.AUDITOR, Role.OVERSIGHT_INSPECTOR}),
}


def role_has(roles: frozenset[Role] | set[Role], permission: Permission) -> bool:
    return bool(GRANTS.get(permission, frozenset()) & set(roles))
