"""ASGI entry point for uvicorn (``qa_app.asgi:create_from_env`` with ``factory=True``)."""

from __future__ import annotations

import gc
import logging

from litestar import Litestar

from qa_app.app import create_app
from qa_app.settings import Settings


def tune_gc() -> None:
    """Thousands of open sockets make full collections pause the event loop for a second or more (seen in
    bench/fanout.py): keep what start-up made out of the collector and collect the oldest generation less
    often. Process-wide, so only in the server entry point (not in tests that build many apps)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(10_000, 20, 50)


def create_from_env() -> Litestar:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app = create_app(Settings.from_env())
    app.on_startup.append(tune_gc)
    return app
