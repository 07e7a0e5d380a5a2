"""Cursor pagination of the intelligence pages (issue 10 item 3): the submissions awaiting
the agency's review and a collection's objects, which were capped at 200, are shown a
page at a time with a link to the next until every row is shown once; a reader who may
not see a row never gets it on any page, and a cursor this server did not hand out is a
422."""

from __future__ import annotations

import json

from sqlalchemy import select

from hozen.sharing.intel_models import StixObject
from tests.factories import stix_indicator
from tests.functional.test_intel_pages import world  # noqa: F401
from tests.functional.test_list_paging_registers import follow

MANY = 53  # more than a page (50)


def test_pending_submissions_and_a_collections_objects_page_to_their_end(
        web, session, world):  # noqa: F811
    cso, agency, peer = web(world["cso"]), web(world["agency"]), web(world["peer"])
    bundle = [stix_indicator(k) for k in range(MANY)]
    r = cso.post("/intel/submit", {"collection_id": world["shared"],
                                   "stix": json.dumps(bundle)})
    assert r.status_code == 303, r.text[:300]
    pending = set(session.scalars(select(StixObject.id).where(
        StixObject.collection_id == world["shared"], StixObject.status == "pending")))
    session.rollback()
    assert len(pending) == MANY

    seen = follow(agency, "/intel", 'data-object="', "pending-next-page")
    assert len(seen) == len(set(seen)) == MANY and set(seen) == pending
    collection = f"/intel/collections/{world['shared']}"
    shown = follow(cso, collection, 'id="object-')  # its own submissions, pending
    assert len(shown) == len(set(shown)) == MANY and set(shown) == pending
    assert follow(peer, collection, 'id="object-') == []  # not released to peers yet

    assert agency.get("/intel?pending_cursor=Zm9v").status_code == 422
    assert cso.get(f"{collection}?cursor=Zm9v").status_code == 422
    assert cso.get(f"{collection}?cursor=no/such").status_code in (400, 422)
