"""Cross-source incident linking, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import Engine
from sqlmodel import Session, select

from alerts import incidents, store
from alerts.models import Alert, Incident
from tests.factories import draft

NOW = datetime(2025, 5, 1, tzinfo=UTC)


def _rss_notice(**overrides: object) -> object:
    values: dict[str, object] = {
        "uid": "https://www.fda.gov/recalls/pdx",
        "firms": ["PDX Aromatics", "Kraken Kratom"],
        "published_at": datetime(2018, 3, 14, 16, 0, tzinfo=UTC),
        "title": "PDX Aromatics dba Kraken Kratom Recalls Kratom Capsules",
    }
    values.update(overrides)
    return draft(**values)


def _enforcement(number: str, **overrides: object) -> object:
    values: dict[str, object] = {
        "source": "openfda_food_enforcement",
        "uid": number,
        "url": f"https://api.fda.gov/food/enforcement.json?search=recall_number:{number}",
        "recall_number": number,
        "event_id": "79480",
        "firms": ["Pdx Aromatics, Llc"],
        "published_at": datetime(2018, 3, 28, tzinfo=UTC),
        "initiated_on": date(2018, 3, 9),
        "recall_class": "I",
        "title": f"Pdx Aromatics, Llc: Class I recall ({number})",
    }
    values.update(overrides)
    return draft(**values)


def _store_and_link(engine: Engine, drafts: list[object]) -> None:
    with Session(engine) as session:
        result = store.upsert(session, drafts, now=NOW)  # type: ignore[arg-type]
        incidents.link(session, result.new + result.revised, now=NOW)
        session.commit()


def test_rss_notice_and_openfda_record_of_same_firm_form_one_incident(engine: Engine) -> None:
    _store_and_link(engine, [_rss_notice()])
    _store_and_link(engine, [_enforcement("F-1525-2018"), _enforcement("F-1526-2018")])
    with Session(engine) as session:
        alerts = session.exec(select(Alert)).all()
        incident = session.exec(select(Incident)).one()
        members = incidents.members(session, incident.id or 0)
    assert {a.incident_id for a in alerts} == {incident.id}
    assert members[0].source == "fda_recalls"
    assert incident.title == "PDX Aromatics dba Kraken Kratom Recalls Kratom Capsules"
    assert "same" in incident.link_reason


def test_same_firm_years_apart_is_not_one_incident(engine: Engine) -> None:
    _store_and_link(engine, [_rss_notice(published_at=datetime(2021, 6, 1, tzinfo=UTC))])
    _store_and_link(engine, [_enforcement("F-1525-2018", event_id=None)])
    with Session(engine) as session:
        assert session.exec(select(Incident)).all() == []
        assert {a.incident_id for a in session.exec(select(Alert))} == {None}


def test_different_firm_in_same_window_is_not_linked(engine: Engine) -> None:
    _store_and_link(engine, [_rss_notice(firms=["Other Leaf Company"])])
    _store_and_link(engine, [_enforcement("F-1525-2018", event_id=None)])
    with Session(engine) as session:
        assert session.exec(select(Incident)).all() == []


def test_recall_number_links_alerts_from_two_sources(engine: Engine) -> None:
    _store_and_link(engine, [_enforcement("F-0001-2025", event_id=None, firms=["A"])])
    _store_and_link(
        engine,
        [
            _enforcement(
                "F-0001-2025", source="openfda_drug_enforcement", event_id=None, firms=["B"]
            )
        ],
    )
    with Session(engine) as session:
        incident = session.exec(select(Incident)).one()
        assert incident.link_reason == "same recall number F-0001-2025"


def test_two_incidents_merge_when_an_alert_bridges_them(engine: Engine) -> None:
    _store_and_link(
        engine,
        [
            _enforcement("F-1", event_id="E1", firms=["X"]),
            _enforcement("F-2", event_id="E1", firms=["X"]),
        ],
    )
    _store_and_link(
        engine,
        [
            _enforcement("F-3", event_id="E2", firms=["Y"]),
            _enforcement("F-4", event_id="E2", firms=["Y"]),
        ],
    )
    with Session(engine) as session:
        assert len(session.exec(select(Incident)).all()) == 2
    # A record carrying recall number F-2 but event E2 joins both groups.
    _store_and_link(
        engine, [_enforcement("F-2", source="openfda_drug_enforcement", event_id="E2", firms=["Z"])]
    )
    with Session(engine) as session:
        remaining = session.exec(select(Incident)).all()
        assert len(remaining) == 1
        assert {a.incident_id for a in session.exec(select(Alert))} == {remaining[0].id}


def test_firm_keys_drop_legal_suffixes_and_split_dba() -> None:
    assert incidents.firm_keys(["Vanguard Enterprises, LLC. dba Bedrock MFG"]) == {
        "vanguard enterprises",
        "bedrock",
    }
    assert incidents.firm_keys(["Pdx Aromatics, Llc"]) == incidents.firm_keys(["PDX Aromatics"])


def test_same_page_in_two_feeds_is_one_incident(engine: Engine) -> None:
    _store_and_link(engine, [draft(firms=[])])
    _store_and_link(engine, [draft(source="fda_food_safety_recalls", firms=[])])
    with Session(engine) as session:
        incident = session.exec(select(Incident)).one()
        assert incident.link_reason == "same agency page in two feeds"
        assert {a.incident_id for a in session.exec(select(Alert))} == {incident.id}


def _letter(firm: str, marcs: str, on: datetime) -> object:
    return draft(
        source="fda_warning_letters", uid=marcs, kind="warning_letter", firms=[firm],
        url=f"https://www.fda.gov/warning-letters/{marcs}", published_at=on,
        title=f"Warning letter to {firm} about kratom",
    )  # fmt: skip


def _announcement(title: str, on: datetime) -> object:
    return draft(
        source="fda_press_releases", uid=f"https://www.fda.gov/news/{on.date()}",
        url=f"https://www.fda.gov/news/{on.date()}", kind="warning_letter", firms=[],
        published_at=on, title=title,
    )  # fmt: skip


def test_letters_and_the_announcement_naming_their_firms_form_one_incident(engine: Engine) -> None:
    posted = datetime(2019, 6, 25, 14, 0, tzinfo=UTC)
    _store_and_link(
        engine,
        [
            _letter("KratomNC", "576964", datetime(2019, 5, 16, tzinfo=UTC)),
            _letter("Cali Botanicals, LLC", "575320", datetime(2019, 6, 11, tzinfo=UTC)),
            _letter("Leafy Unrelated Co", "570001", datetime(2019, 6, 20, tzinfo=UTC)),
            _announcement("FDA warns KratomNC and Cali Botanicals over opioid claims", posted),
        ],
    )
    with Session(engine) as session:
        alerts = {a.uid: a for a in session.exec(select(Alert))}
        incident = session.exec(select(Incident)).one()
    linked = {uid for uid, a in alerts.items() if a.incident_id == incident.id}
    assert linked == {"576964", "575320", "https://www.fda.gov/news/2019-06-25"}
    assert (
        "warning letter to" in incident.link_reason and "announced within" in incident.link_reason
    )


def test_an_announcement_months_after_a_letter_is_not_linked_to_it(engine: Engine) -> None:
    _store_and_link(
        engine,
        [
            _letter("KratomNC", "576964", datetime(2019, 1, 2, tzinfo=UTC)),
            _announcement("FDA warns KratomNC again", datetime(2019, 6, 25, tzinfo=UTC)),
        ],
    )
    with Session(engine) as session:
        assert session.exec(select(Incident)).all() == []
