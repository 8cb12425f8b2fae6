"""The FastAPI application factory: REST API, pages and static files in one app."""

from __future__ import annotations

import gc
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send

from kesu import bootstrap
from kesu.bootstrap import Kesu
from kesu.core.activity import RequestActivity
from kesu.settings import Settings
from kesu.web import errors
from kesu.web.api import admin as admin_api
from kesu.web.api import analytics as analytics_api
from kesu.web.api import auth as auth_api
from kesu.web.api import complaints as complaints_api
from kesu.web.api import escalation as escalation_api
from kesu.web.api import followup as followup_api
from kesu.web.api import handling as handling_api
from kesu.web.api import routing as routing_api
from kesu.web.api import sla as sla_api
from kesu.web.api import system as system_api
from kesu.web.api import triage as triage_api
from kesu.web.pages import admin as admin_pages
from kesu.web.pages import agent as agent_pages
from kesu.web.pages import analytics as analytics_pages
from kesu.web.pages import language as language_pages
from kesu.web.pages import portal as portal_pages
from kesu.web.pages import rendering

STATIC_DIR = Path(__file__).parent / "static"

DESCRIPTION = """
kesu (客诉) — closed-loop customer complaint handling.

Errors always have the body `{"detail": "<message>", "code": "<stable code>"}`; the message is in
Chinese unless the request prefers English (`Accept-Language: en`).
"""


def create_app(kesu: Kesu) -> FastAPI:
    app = FastAPI(title="kesu 客诉", version="0.1.0", description=DESCRIPTION)
    app.state.kesu = kesu
    app.state.templates = rendering.env
    errors.install(app)
    # Requests try the routes in this order, each costing a few microseconds (FastAPI wraps
    # every included route), so the most used come first: health and echo, intake and the
    # complaint lists, the staff workspace, the portal. tests/web/test_routes.py checks that no
    # route shadows another's paths.
    app.include_router(system_api.router)
    app.include_router(complaints_api.router)
    app.include_router(agent_pages.router)
    app.include_router(portal_pages.router)
    app.include_router(auth_api.router)
    app.include_router(admin_api.router)
    app.include_router(analytics_api.router)
    app.include_router(triage_api.router)
    app.include_router(sla_api.router)
    app.include_router(routing_api.router)
    app.include_router(escalation_api.router)
    app.include_router(handling_api.router)
    app.include_router(handling_api.causes_router)
    app.include_router(handling_api.decisions_router)
    app.include_router(followup_api.actions_router)
    app.include_router(followup_api.router)
    app.include_router(admin_pages.router)
    app.include_router(analytics_pages.router)
    app.include_router(language_pages.router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.add_middleware(CountRequests, activity=kesu.activity)
    return app


class CountRequests:
    """Counts the requests in progress (``Kesu.activity``): a plain ASGI layer, a few
    microseconds a request."""

    def __init__(self, app: ASGIApp, activity: RequestActivity) -> None:
        self.app = app
        self.activity = activity

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        self.activity.started()
        try:
            await self.app(scope, receive, send)
        finally:
            self.activity.finished()


def freeze_startup_objects() -> None:
    """Keep what start-up loaded (modules, models, the triage vectors) out of garbage collection.

    Those objects live as long as the process; without this every full collection walks them
    all, a pause of ~100 ms that lands on whichever request triggered it.
    """
    gc.collect()
    gc.freeze()


def app_from_environment() -> FastAPI:
    """Factory for ``uvicorn --factory`` with several processes: each builds its own container."""
    app = create_app(bootstrap.build(Settings()))
    freeze_startup_objects()
    return app
