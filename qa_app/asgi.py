"""ASGI entry point for uvicorn (``qa_app.asgi:create_from_env`` with ``factory=True``)."""

from __future__ import annotations

import logging

from litestar import Litestar

from qa_app.app import create_app
from qa_app.settings import Settings


def create_from_env() -> Litestar:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    return create_app(Settings.from_env())
