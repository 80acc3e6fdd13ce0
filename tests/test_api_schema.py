"""The API keeps the promises of its own OpenAPI document, for generated requests.

Schemathesis reads ``/api/v1/openapi.json`` from the app, generates valid and invalid
requests for every operation, and checks each answer: no server errors, only documented
statuses, content types and headers, bodies that match the response schemas, valid
requests accepted and invalid ones refused.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import Case
from sqlalchemy import Engine
from sqlmodel import Session
from starlette.applications import Starlette

from alerts import incidents, store
from alerts.models import SourceState
from monitor import db
from monitor.settings import Settings
from monitor.web import openapi
from monitor.web.app import WebContext, create_app
from tests.factories import draft

T0 = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)


def _fill(engine: Engine) -> None:
    """A few alerts of different kinds, one revised, two sharing an incident."""
    with Session(engine) as session:
        result = store.upsert(
            session,
            [
                draft(uid="a", url="https://www.fda.gov/a", recall_number="F-1-2025"),
                draft(uid="b", url="https://www.fda.gov/b", kind="advisory", severity="low",
                      hazards=[], jurisdiction="US", regions=["US-FL"],
                      events=[{"on": "2027-01-01", "what": "effective"}]),
                draft(source="openfda_food_enforcement", uid="F-1-2025", url="https://api.fda.gov/1",
                      recall_number="F-1-2025", initiated_on=T0.date()),
                draft(uid="c", url="https://www.fda.gov/c", kind="seizure", agency="DEA",
                      jurisdiction="CA", published_at=None),
            ],
            now=T0,
        )  # fmt: skip
        incidents.link(session, result.new, now=T0)
        later = T0 + timedelta(hours=1)
        store.upsert(session, [draft(uid="a", url="https://www.fda.gov/a", status="x")], now=later)
        session.add(
            SourceState(key="fda_recalls", status="degraded", last_error="timeout",
                        last_error_at=later, consecutive_failures=1)
        )  # fmt: skip
        store.mark_changed(session, now=later)
        session.commit()


@pytest.fixture(scope="module")
def api(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Starlette]:
    """The app on a SQLite copy with a few alerts, shared by all examples: the API only reads."""
    folder = tmp_path_factory.mktemp("api_schema")
    shutil.copyfile(sqlite_template, folder / "monitor.db")
    engine = db.make_engine(f"sqlite:///{folder / 'monitor.db'}")
    _fill(engine)
    ctx = WebContext(
        engine=engine,
        sources=["fda_recalls", "openfda_food_enforcement"],
        settings=Settings(data_dir=folder, database_url="", api_rate=0.0),
    )
    yield create_app(ctx)
    engine.dispose()


# The document is loaded from the module, not fetched from the app with from_asgi: the
# app needs a database, which only a fixture provides, and schemathesis' lazy
# from_fixture loader fails under pytest 9 ('Function' object has no attribute
# '_nodeid'). The first test below shows the app serves exactly this document.
schema = schemathesis.openapi.from_dict(openapi.DOCUMENT)


def test_the_app_serves_the_document_the_examples_are_drawn_from(api: Starlette) -> None:
    served = schemathesis.openapi.from_asgi("/api/v1/openapi.json", api)
    assert served.raw_schema == openapi.DOCUMENT


@schema.parametrize()
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_the_api_keeps_the_promises_of_its_openapi_document(case: Case, api: Starlette) -> None:
    case.call_and_validate(app=api)
