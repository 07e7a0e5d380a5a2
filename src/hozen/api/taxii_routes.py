"""TAXII 2.1 (OASIS) under /taxii2/: discovery, one API root, collections, objects,
manifests, versions and status resources. Thin: negotiate the media type, call the
service, answer in `application/taxii+json;version=2.1`; every error is a TAXII error
message. Authentication: an API token as bearer, or as HTTP Basic's password."""

from __future__ import annotations

import json
import logging
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from hozen.accounts.actor import Actor
from hozen.accounts.permissions import Permission as P
from hozen.api.gates import HozenRoute, actor, db, taxii_requires
from hozen.config import get_settings
from hozen.errors import DomainError
from hozen.sharing import taxii

log = logging.getLogger("hozen.taxii")
PREFIX = "/taxii2"
API_ROOT = "hozen"
MAX_CONTENT_LENGTH = 10 * 1024 * 1024
Db = Annotated[Session, Depends(db)]
Me = Annotated[Actor, Depends(actor)]


def taxii_error(status: int, title: str, description: str | None = None,
                headers: dict | None = None) -> JSONResponse:
    body: dict = {"title": title, "http_status": str(status)}
    if description:
        body["description"] = description
    return JSONResponse(body, status_code=status, media_type=taxii.MEDIA_TYPE,
                        headers=headers)


def _from_exception(exc: BaseException) -> JSONResponse:
    if isinstance(exc, DomainError):
        headers = ({"WWW-Authenticate": 'Bearer, Basic realm="hozen TAXII"'}
                   if exc.status == 401 else None)
        status = exc.status if 400 <= exc.status < 500 else 400
        description = exc.message + (f" ({exc.field})" if exc.field else "")
        return taxii_error(status, exc.code, description, headers)
    if isinstance(exc, RequestValidationError):
        return taxii_error(400, "bad-request", "; ".join(
            ".".join(str(p) for p in e.get("loc", ())) + ": " + str(e.get("msg"))
            for e in exc.errors())[:500])
    if isinstance(exc, HTTPException):
        return taxii_error(exc.status_code, "http-error", str(exc.detail))
    assert isinstance(exc, IntegrityError)
    log.warning("integrity error in TAXII: %s", exc.orig.__class__.__name__)
    return taxii_error(409, "conflict", "the change conflicts with the stored data")


class TaxiiRoute(HozenRoute):
    """A HozenRoute whose errors are TAXII error messages, not problem+json."""

    def get_route_handler(self):
        handler = super().get_route_handler()

        async def taxii_handler(request: Request):
            try:
                return await handler(request)
            except (DomainError, RequestValidationError, HTTPException,
                    IntegrityError) as exc:
                return _from_exception(exc)

        return taxii_handler


router = APIRouter(prefix=PREFIX, route_class=TaxiiRoute, include_in_schema=False,
                   tags=["taxii"])


def _acceptable(request: Request) -> None:
    """406 unless the client accepts TAXII 2.1 JSON (or anything)."""
    header = request.headers.get("accept")
    if not header:
        return
    for part in header.split(","):
        media, *params = [p.strip().lower() for p in part.split(";")]
        version = next((p.split("=", 1)[1].strip() for p in params
                        if p.startswith("version=")), None)
        if media in ("*/*", "application/*") or (
                media == "application/taxii+json" and version in (None, "2.1")):
            return
    raise _NotAcceptable("the server answers in " + taxii.MEDIA_TYPE)


class _NotAcceptable(DomainError):
    code = "not-acceptable"
    status = 406


class _Unsupported(DomainError):
    code = "unsupported-media-type"
    status = 415


class _TooLarge(DomainError):
    code = "too-large"
    status = 413


Negotiated = Depends(_acceptable)


def answer(body: dict, status: int = 200, headers: dict | None = None) -> JSONResponse:
    return JSONResponse(body, status_code=status, media_type=taxii.MEDIA_TYPE,
                        headers=headers)


def _root_url(request: Request) -> str:
    return str(request.base_url).rstrip("/") + f"{PREFIX}/{API_ROOT}/"


def _params(request: Request) -> dict[str, str]:
    return {k: v for k, v in request.query_params.items()}


@router.get("/", dependencies=[taxii_requires(P.TAXII_READ), Negotiated])
def discovery(request: Request, s: Db, me: Me):
    taxii.reader(s, me)
    root = _root_url(request)
    return answer({"title": "hozen TAXII 2.1",
                   "description": "保全: threat intelligence shared by cleared members, "
                                  "with government at the core",
                   "default": root, "api_roots": [root]})


@router.get(f"/{API_ROOT}/", dependencies=[taxii_requires(P.TAXII_READ), Negotiated])
def api_root(s: Db, me: Me):
    taxii.reader(s, me)
    return answer({"title": "hozen", "description": "hozen threat intelligence",
                   "versions": [taxii.MEDIA_TYPE],
                   "max_content_length": min(MAX_CONTENT_LENGTH,
                                             get_settings().max_body_bytes)})


@router.get(f"/{API_ROOT}/collections/", dependencies=[taxii_requires(P.TAXII_READ), Negotiated])
def collections(s: Db, me: Me):
    r = taxii.reader(s, me)
    rows = [taxii.collection_view(c, r) for c in taxii.visible_collections(s, r)]
    return answer({"collections": rows} if rows else {})


@router.get(f"/{API_ROOT}/collections/{{collection_id}}/",
            dependencies=[taxii_requires(P.TAXII_READ), Negotiated])
def collection(collection_id: str, s: Db, me: Me):
    r = taxii.reader(s, me)
    return answer(taxii.collection_view(taxii.get_collection(s, r, collection_id), r))


def _date_headers(page: taxii.Page) -> dict:
    if not page.objects:
        return {}
    return {"X-TAXII-Date-Added-First": taxii.stix.format_timestamp(page.objects[0].date_added),
            "X-TAXII-Date-Added-Last": taxii.stix.format_timestamp(page.objects[-1].date_added)}


def _envelope(r: taxii.Reader, page: taxii.Page) -> JSONResponse:
    body: dict = {"more": page.more}
    if page.next:
        body["next"] = page.next
    if page.objects:
        body["objects"] = [taxii.served(r, o) for o in page.objects]
    return answer(body, headers=_date_headers(page))


@router.get(f"/{API_ROOT}/collections/{{collection_id}}/objects/",
            dependencies=[taxii_requires(P.TAXII_READ), Negotiated])
def get_objects(collection_id: str, request: Request, s: Db, me: Me):
    r = taxii.reader(s, me)
    c = taxii.get_collection(s, r, collection_id)
    page = taxii.query_objects(s, r, c, taxii.parse_filters(_params(request)))
    taxii.audit_read(s, r, c, "read", len(page.objects))
    return _envelope(r, page)


async def _envelope_body(request: Request) -> dict:
    ctype = request.headers.get("content-type", "")
    media, *params = [p.strip().lower() for p in ctype.split(";")]
    version = next((p.split("=", 1)[1].strip() for p in params if p.startswith("version=")),
                   None)
    if media != "application/taxii+json" or version not in (None, "2.1"):
        raise _Unsupported("send " + taxii.MEDIA_TYPE)
    raw = await request.body()
    if len(raw) > MAX_CONTENT_LENGTH:
        raise _TooLarge(f"at most {MAX_CONTENT_LENGTH} bytes")
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise taxii.TaxiiBadRequest("the body is not JSON", field="body") from None
    if not isinstance(body, dict):
        raise taxii.TaxiiBadRequest("the body must be an envelope", field="body")
    return body


@router.post(f"/{API_ROOT}/collections/{{collection_id}}/objects/",
             dependencies=[taxii_requires(P.TAXII_READ), Negotiated])
async def add_objects(collection_id: str, request: Request, s: Db, me: Me):
    """Objects are checked one by one; the status names every refused object. A header
    `X-Hozen-Anonymous: true` keeps the submitter anonymous to peers."""
    envelope = await _envelope_body(request)
    anonymous = request.headers.get("x-hozen-anonymous", "").lower() in ("1", "true", "yes")

    def work():
        r = taxii.reader(s, me)
        c = taxii.get_collection(s, r, collection_id)
        return taxii.status_view(taxii.add_objects(s, r, c, envelope.get("objects"),
                                                   anonymous=anonymous))

    return answer(await run_in_threadpool(work), status=202)


@router.get(f"/{API_ROOT}/collections/{{collection_id}}/objects/{{object_id}}/",
            dependencies=[taxii_requires(P.TAXII_READ), Negotiated])
def get_object(collection_id: str, object_id: str, request: Request, s: Db, me: Me):
    r = taxii.reader(s, me)
    c = taxii.get_collection(s, r, collection_id)
    page = taxii.query_objects(s, r, c, taxii.parse_filters(_params(request)),
                               stix_id=taxii.check_object_id(object_id))
    if not page.objects:
        raise taxii.NotFound("object not found")
    taxii.audit_read(s, r, c, "read", len(page.objects))
    return _envelope(r, page)


@router.get(f"/{API_ROOT}/collections/{{collection_id}}/objects/{{object_id}}/versions/",
            dependencies=[taxii_requires(P.TAXII_READ), Negotiated])
def get_versions(collection_id: str, object_id: str, request: Request, s: Db, me: Me):
    r = taxii.reader(s, me)
    c = taxii.get_collection(s, r, collection_id)
    page = taxii.query_objects(s, r, c, taxii.parse_filters(_params(request)),
                               stix_id=taxii.check_object_id(object_id), versions_all=True)
    if not page.objects:
        raise taxii.NotFound("object not found")
    body: dict = {"more": page.more,
                  "versions": sorted({o.body.get("modified", o.body.get("created", ""))
                                      for o in page.objects})}
    if page.next:
        body["next"] = page.next
    return answer(body, headers=_date_headers(page))


@router.get(f"/{API_ROOT}/collections/{{collection_id}}/manifest/",
            dependencies=[taxii_requires(P.TAXII_READ), Negotiated])
def manifest(collection_id: str, request: Request, s: Db, me: Me):
    r = taxii.reader(s, me)
    c = taxii.get_collection(s, r, collection_id)
    page = taxii.query_objects(s, r, c, taxii.parse_filters(_params(request)))
    body: dict = {"more": page.more}
    if page.next:
        body["next"] = page.next
    if page.objects:
        body["objects"] = [taxii.manifest_entry(o) for o in page.objects]
    return answer(body, headers=_date_headers(page))


@router.get(f"/{API_ROOT}/status/{{status_id}}/",
            dependencies=[taxii_requires(P.TAXII_READ), Negotiated])
def status(status_id: str, s: Db, me: Me):
    r = taxii.reader(s, me)
    return answer(taxii.status_view(taxii.get_status(s, r, status_id)))
