"""The garbage collector of a serving process, tuned so that it does not stall requests.

A full collection walks every object the process holds. In a server that is everything
imported at start-up (~270,000 objects: modules, classes, functions, SQL and pydantic
machinery) plus what the caches hold, and with CPython's default thresholds it ran every
couple of seconds under load, taking ~200 ms of CPU each time while no request moved:
the cause of the access check's p99. So a serving process, once started:

- collects once and freezes what exists (`gc.freeze`): start-up objects live as long as
  the process, and full collections no longer walk them;
- collects less often (a larger first threshold; a full collection after 100 of the
  middle generation's, not 10), which also lets fewer short-lived request objects be
  promoted to the oldest generation.

It never freezes again once requests run: a freeze takes every object then alive,
requests' included, and a frozen cycle that later becomes garbage is never collected.
Tests and the CLI keep the defaults: only `hozen serve` (and a deployment naming
`hozen.app:serving_app`) settles.
"""

from __future__ import annotations

import gc

THRESHOLDS = (20_000, 20, 100)


def settle() -> None:
    """Tune this process's collector for serving: at start-up, before any request."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*THRESHOLDS)
