"""A serving process (hozen.app.serving_app): its handlers run in a bounded thread pool."""

import gc
import os

import anyio.to_thread
import pytest
from fastapi.testclient import TestClient

from hozen.config import get_settings


@pytest.fixture
def threads(clean):
    """HOZEN_WORKER_THREADS=3 for this test; the collector restored after it."""
    before = gc.get_threshold()
    os.environ["HOZEN_WORKER_THREADS"] = "3"
    get_settings.cache_clear()
    yield 3
    del os.environ["HOZEN_WORKER_THREADS"]
    get_settings.cache_clear()
    gc.unfreeze()
    gc.set_threshold(*before)


def limit() -> float:
    return anyio.to_thread.current_default_thread_limiter().total_tokens


def test_serving_app_runs_anyios_threads_in_the_configured_number(threads):
    """On PostgreSQL; on SQLite anyio's 40 (hozen.app._serving says why)."""
    from hozen.app import serving_app

    with TestClient(serving_app()) as client:
        assert client.get("/healthz").status_code == 200
        assert client.portal.call(limit) == (40 if get_settings().is_sqlite else threads)


def test_an_app_not_serving_keeps_anyios_default(clean):
    from hozen.app import create_app

    with TestClient(create_app()) as client:
        assert client.get("/healthz").status_code == 200
        assert client.portal.call(limit) == 40


def test_worker_threads_must_be_at_least_one(clean):
    from pydantic import ValidationError

    from hozen.config import Settings

    with pytest.raises(ValidationError, match="worker_threads"):
        Settings(worker_threads=0)
