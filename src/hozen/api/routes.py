"""/api/v1: thin handlers that parse, call one service and return its result."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response
from sqlalchemy.orm import Session

from hozen import paging
from hozen.accounts.actor import Actor
from hozen.accounts.permissions import Permission as P
from hozen.api.gates import HozenRoute, actor, db, requires
from hozen.api.problems import PROBLEM_RESPONSES
from hozen.audit import services as audit
from hozen.notifications import services as notifications
from hozen.registry import ownership, search
from hozen.registry import services as registry
from hozen.registry.schemas import (
    CountryPublic,
    OrganisationCreate,
    OrganisationPublic,
    OrganisationUpdate,
    OwnershipCreate,
    OwnershipPublic,
    OwnershipUpdate,
    Page,
    PersonCreate,
    PersonPublic,
    PersonUpdate,
)

router = APIRouter(prefix="/api/v1", route_class=HozenRoute, responses=PROBLEM_RESPONSES)
Db = Annotated[Session, Depends(db)]
Me = Annotated[Actor, Depends(actor)]
Limit = Annotated[int, Query(ge=1, le=registry.MAX_PAGE)]
Cursor = Annotated[str | None, Query(max_length=36, pattern=r"^[^\x00]*$")]
# The opaque cursor of a paged list (hozen.paging): URL-safe base64 only.
PageCursor = Annotated[str | None, Query(max_length=paging.CURSOR_MAX,
                                         pattern=r"^[A-Za-z0-9_-]*$")]
Search = Annotated[str | None, Query(max_length=200, pattern=r"^[^\x00]*$")]


@router.get("/me", dependencies=[requires(P.ACCOUNTS_SELF_READ)], tags=["accounts"])
def me(me: Me) -> dict:
    return {"id": me.id, "username": me.username, "roles": sorted(me.roles),
            "organisation_id": me.organisation_id, "person_id": me.person_id}


@router.get("/me/notifications", dependencies=[requires(P.ACCOUNTS_SELF_READ)],
            tags=["accounts"])
def my_notifications(s: Db, me: Me, lang: Annotated[str, Query(pattern="^(ja|en)$")] = "ja",
                     cursor: PageCursor = None, limit: Limit = 50) -> Page[dict]:
    """The in-app inbox: reminders and notices, never findings or others' data; newest
    first, a page at a time (`next_cursor`: null on the last)."""
    rows, nxt = notifications.inbox(s, actor=me, lang=lang, cursor=cursor, limit=limit)
    return Page(items=rows, next_cursor=nxt)


@router.get("/countries", dependencies=[requires(P.REGISTRY_COUNTRY_READ)], tags=["registry"])
def list_countries(s: Db, me: Me) -> list[CountryPublic]:
    return registry.list_countries(s, actor=me)


@router.get("/organisations", dependencies=[requires(P.REGISTRY_ORGANISATION_READ)],
            tags=["registry"])
def list_organisations(s: Db, me: Me, q: Search = None,
                       kind: Annotated[str | None, Query(max_length=32)] = None,
                       cursor: PageCursor = None, limit: Limit = 50) -> Page[OrganisationPublic]:
    orgs, nxt = registry.list_organisations(s, actor=me, q=q, kind=kind, cursor=cursor,
                                            limit=limit)
    return Page(items=[OrganisationPublic.model_validate(o) for o in orgs], next_cursor=nxt)


@router.post("/organisations", status_code=201,
             dependencies=[requires(P.REGISTRY_ORGANISATION_WRITE)], tags=["registry"])
def create_organisation(body: OrganisationCreate, s: Db, me: Me) -> OrganisationPublic:
    return OrganisationPublic.model_validate(registry.create_organisation(s, body, actor=me))


@router.get("/organisations/{org_id}", dependencies=[requires(P.REGISTRY_ORGANISATION_READ)],
            tags=["registry"])
def get_organisation(org_id: str, s: Db, me: Me) -> OrganisationPublic:
    return OrganisationPublic.model_validate(registry.access_organisation(s, me, org_id))


@router.patch("/organisations/{org_id}",
              dependencies=[requires(P.REGISTRY_ORGANISATION_WRITE)], tags=["registry"])
def update_organisation(org_id: str, body: OrganisationUpdate, s: Db,
                        me: Me) -> OrganisationPublic:
    org = registry.update_organisation(s, org_id, body, actor=me)
    return OrganisationPublic.model_validate(org)


@router.get("/ownership", dependencies=[requires(P.REGISTRY_OWNERSHIP_READ)], tags=["registry"])
def list_ownership(s: Db, me: Me, owned_id: Cursor = None,
                   owner_organisation_id: Cursor = None, cursor: PageCursor = None,
                   limit: Limit = 50) -> Page[OwnershipPublic]:
    """Ownership edges, oldest first, a page at a time (`next_cursor`: null on the last)."""
    edges, nxt = ownership.list_ownership(s, actor=me, owned_id=owned_id,
                                          owner_organisation_id=owner_organisation_id,
                                          cursor=cursor, limit=limit)
    return Page(items=[OwnershipPublic.model_validate(e) for e in edges], next_cursor=nxt)


@router.post("/ownership", status_code=201, dependencies=[requires(P.REGISTRY_OWNERSHIP_WRITE)],
             tags=["registry"])
def create_ownership(body: OwnershipCreate, s: Db, me: Me) -> OwnershipPublic:
    return OwnershipPublic.model_validate(ownership.create_ownership(s, body, actor=me))


@router.patch("/ownership/{edge_id}", dependencies=[requires(P.REGISTRY_OWNERSHIP_WRITE)],
              tags=["registry"])
def update_ownership(edge_id: str, body: OwnershipUpdate, s: Db, me: Me) -> OwnershipPublic:
    return OwnershipPublic.model_validate(ownership.update_ownership(s, edge_id, body, actor=me))


@router.delete("/ownership/{edge_id}", status_code=204,
               dependencies=[requires(P.REGISTRY_OWNERSHIP_WRITE)], tags=["registry"])
def delete_ownership(edge_id: str, s: Db, me: Me) -> Response:
    ownership.delete_ownership(s, edge_id, actor=me)
    return Response(status_code=204)


@router.get("/people", dependencies=[requires(P.REGISTRY_PERSON_READ)], tags=["registry"])
def list_people(s: Db, me: Me, q: Search = None,
                birth_date: Annotated[str | None, Query(max_length=40)] = None,
                employer_id: Cursor = None, cursor: PageCursor = None,
                limit: Limit = 50) -> Page[PersonPublic]:
    people, nxt = search.list_people(s, actor=me, q=q, birth_date=birth_date,
                                     employer_id=employer_id, cursor=cursor, limit=limit)
    return Page(items=people, next_cursor=nxt)


@router.post("/people", status_code=201, dependencies=[requires(P.REGISTRY_PERSON_WRITE)],
             tags=["registry"])
def create_person(body: PersonCreate, s: Db, me: Me) -> PersonPublic:
    return registry.create_person(s, body, actor=me)


@router.get("/people/{person_id}",
            dependencies=[requires(P.REGISTRY_PERSON_READ, deny_as=404)], tags=["registry"])
def get_person(person_id: str, s: Db, me: Me) -> PersonPublic:
    return registry.read_person(s, person_id, actor=me)


@router.patch("/people/{person_id}",
              dependencies=[requires(P.REGISTRY_PERSON_WRITE, deny_as=404)], tags=["registry"])
def update_person(person_id: str, body: PersonUpdate, s: Db, me: Me) -> PersonPublic:
    return registry.update_person(s, person_id, body, actor=me)


@router.get("/audit/events", dependencies=[requires(P.AUDIT_EVENT_READ)], tags=["audit"])
def list_audit_events(s: Db, me: Me, after: Annotated[int, Query(ge=0, lt=2**63)] = 0,
                      cursor: PageCursor = None, limit: Limit = 50) -> Page[dict]:
    """The audit log after sequence number `after`, in the chain's order, a page at a
    time (`next_cursor`: null on the last)."""
    rows, nxt = audit.list_events(s, actor=me, after=after, cursor=cursor, limit=limit)
    return Page(items=rows, next_cursor=nxt)
