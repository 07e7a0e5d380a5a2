"""The seeded source of every random choice and id of the synthetic data set."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

# Ids carry this time (2026-01-01T00:00Z) plus a counter instead of the clock, so that
# the same seed gives the same ids; they still sort in the order rows were made.
BASE_MS = 1_767_225_600_000
# Each stream of rows takes its ids from its own stretch of time.
WORLD_MS, ITEMS_MS, PEOPLE_MS = 0, 1_000_000_000, 2_000_000_000
PEOPLE_BLOCK = 1_000  # people drawn from one RNG: content does not depend on batch size
IDS_PER_PERSON = 16


class Source(random.Random):
    """A Random seeded by (seed, stream name), that also makes UUIDv7-shaped ids."""

    def __init__(self, seed: int, stream: str, start_ms: int = 0) -> None:
        super().__init__(f"hozen-synth/{seed}/{stream}")
        self._ms = BASE_MS + start_ms

    def new_id(self) -> str:
        """Like hozen.db.new_id: 48-bit milliseconds, version 7, variant 10, random."""
        self._ms += 1
        rand = self.getrandbits(74)
        value = (self._ms & ((1 << 48) - 1)) << 80 | 0x7 << 76 | (rand >> 62 & 0xFFF) << 64
        value |= 0b10 << 62 | (rand & ((1 << 62) - 1))
        h = f"{value:032x}"
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"

    def chance(self, p: float) -> bool:
        return self.random() < p

    def pick(self, weights: dict):
        """One key of `weights`, drawn in proportion to its weight."""
        return self.choices(list(weights), weights=list(weights.values()))[0]

    def day(self, start: date, end: date) -> date:
        """A day in [start, end]."""
        return start + timedelta(days=self.randint(0, max((end - start).days, 0)))

    def moment(self, on: date) -> datetime:
        """A time of day on `on` (office hours, JST), in UTC."""
        return datetime(on.year, on.month, on.day, tzinfo=UTC) + timedelta(
            minutes=self.randint(0, 9 * 60))
