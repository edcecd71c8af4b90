"""The page to try the rules (``GET /``): plain HTML, CSS and a little JavaScript, served by
the package, nothing fetched from outside. (Placeholder until the page is built.)"""

from __future__ import annotations

from typing import Any


def page_router() -> Any:
    """A FastAPI router serving the page at ``/`` and its files under ``/static``."""
    from fastapi import APIRouter
    from fastapi.responses import HTMLResponse

    router = APIRouter()

    @router.get("/", response_class=HTMLResponse, include_in_schema=False)
    def page() -> str:
        return "<!doctype html><title>spstotte</title><p>spstotte</p>"

    return router
