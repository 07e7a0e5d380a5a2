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
  promoted to the oldest generation;
- freezes again after each full collection: what survived one is long-lived (caches
  warmed since the start), so the next walks only what was promoted since. Only cyclic
  garbage alive at that moment can outlive its use, and full collections are rare.

Reference counting frees acyclic objects whether frozen or not. Tests and the CLI keep
the defaults: only `hozen serve` (and a deployment naming `hozen.app:serving_app`) settles.
"""

from __future__ import annotations

import gc

THRESHOLDS = (20_000, 20, 100)


def _refreeze(phase: str, info: dict) -> None:
    if phase == "stop" and info.get("generation") == 2:
        gc.freeze()


def settle() -> None:
    """Tune this process's collector for serving (once; idempotent)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*THRESHOLDS)
    if _refreeze not in gc.callbacks:
        gc.callbacks.append(_refreeze)
