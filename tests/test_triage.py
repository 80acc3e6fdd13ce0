"""Triage, read marks and analysts' corrections, on both databases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from alerts import corrections, store, triage
from alerts.models import Alert, AuditEntry, StaffUser
from alerts.overrides import CorrectionError
from alerts.triage import TriageError
from tests.factories import draft

NOW = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)


def _people(session: Session) -> tuple[StaffUser, StaffUser]:
    analyst = StaffUser(email="ana@health.example", role="analyst", created_at=NOW)
    viewer = StaffUser(email="vic@health.example", role="viewer", created_at=NOW)
    session.add_all([analyst, viewer])
    session.flush()
    return analyst, viewer


def _alert(session: Session, **overrides: object) -> Alert:
    return store.upsert(session, [draft(**overrides)], now=NOW).new[0]


def _actions(session: Session) -> list[str]:
    return [e.action for e in session.exec(select(AuditEntry).order_by(AuditEntry.id))]


def test_status_moves_along_the_triage_path_and_each_move_is_audited(engine: Engine) -> None:
    with Session(engine) as session:
        analyst, _ = _people(session)
        alert = _alert(session)
        alert_id = int(alert.id or 0)
        assert triage.state_of(session, alert_id).status == "new"
        triage.set_status(session, alert_id, "reviewing", user=analyst, now=NOW)
        triage.set_status(session, alert_id, "verified", user=analyst, now=NOW)
        with pytest.raises(TriageError, match="verified cannot become dismissed"):
            triage.set_status(session, alert_id, "dismissed", user=analyst, now=NOW)
        with pytest.raises(TriageError, match="unknown status"):
            triage.set_status(session, alert_id, "<b>done</b>", user=analyst, now=NOW)
        session.commit()
        entries = list(session.exec(select(AuditEntry).order_by(AuditEntry.id)))
        analyst_id = analyst.id
    assert [(e.before, e.after) for e in entries] == [
        ({"status": "new"}, {"status": "reviewing"}),
        ({"status": "reviewing"}, {"status": "verified"}),
    ]
    assert all(e.user_id == analyst_id and e.target == f"alert:{alert_id}" for e in entries)


def test_alerts_go_to_analysts_and_notes_are_kept_in_order(engine: Engine) -> None:
    with Session(engine) as session:
        analyst, viewer = _people(session)
        alert_id = int(_alert(session).id or 0)
        triage.assign(session, alert_id, analyst, user=analyst, now=NOW)
        with pytest.raises(TriageError, match="analysts and admins"):
            triage.assign(session, alert_id, viewer, user=analyst, now=NOW)
        triage.add_note(session, alert_id, " Called the firm. ", user=analyst, now=NOW)
        triage.add_note(session, alert_id, "Lot list confirmed.", user=analyst,
                        now=NOW + timedelta(minutes=1))  # fmt: skip
        for bad in ("   ", "x" * (triage.NOTE_LIMIT + 1)):
            with pytest.raises(TriageError):
                triage.add_note(session, alert_id, bad, user=analyst, now=NOW)
        session.commit()
        assert triage.state_of(session, alert_id).assignee_id == analyst.id
        texts = [n.text for n in triage.notes_of(session, alert_id)]
        assert _actions(session) == ["triage.assign", "triage.note", "triage.note"]
    assert texts == ["Called the firm.", "Lot list confirmed."]


def test_an_alert_revised_after_it_was_read_is_unread_again(engine: Engine) -> None:
    with Session(engine) as session:
        analyst, viewer = _people(session)
        alert = _alert(session, status="Ongoing")
        assert triage.unread_ids(session, [alert], user=analyst) == {alert.id}
        triage.mark_read(session, alert, user=analyst, now=NOW)
        session.commit()
        assert triage.unread_ids(session, [alert], user=analyst) == set()
        assert triage.unread_ids(session, [alert], user=viewer) == {alert.id}
        store.upsert(session, [draft(status="Terminated")], now=NOW + timedelta(days=1))
        session.commit()
        session.refresh(alert)
        assert triage.unread_ids(session, [alert], user=analyst) == {alert.id}


def test_a_correction_is_a_revision_that_later_polls_do_not_undo(engine: Engine) -> None:
    later = NOW + timedelta(hours=1)
    with Session(engine) as session:
        analyst, _ = _people(session)
        alert = _alert(session, severity="moderate", hazards=["salmonella"], status="Ongoing")
        revised = corrections.correct(
            session, alert, {"severity": "critical", "hazards": "salmonella, heavy_metals"},
            user=analyst, now=later,
        )  # fmt: skip
        store.mark_changed(session, now=later)
        session.commit()
        assert revised is not None and revised.revision == 2
        changes = store.revisions_of(session, int(alert.id or 0))[-1].changes
        assert {c["field"] for c in changes} == {"severity", "hazards"}
        # The agency's unchanged item comes back: the correction stands, nothing is written.
        again = store.upsert(
            session, [draft(severity="moderate", hazards=["salmonella"], status="Ongoing")],
            now=later + timedelta(hours=1),
        )  # fmt: skip
        assert again.unchanged == 1 and not again.revised
        # The agency changes another field: a revision, with the correction still on top.
        moved = store.upsert(
            session, [draft(severity="moderate", hazards=["salmonella"], status="Terminated")],
            now=later + timedelta(hours=2),
        )  # fmt: skip
        session.commit()
        assert [
            c["field"] for c in store.revisions_of(session, int(alert.id or 0))[-1].changes
        ] == ["status"]
        fresh = session.get_one(Alert, alert.id)
        assert (fresh.severity, fresh.hazards, fresh.status) == (
            "critical", ["salmonella", "heavy_metals"], "Terminated",
        )  # fmt: skip
        assert moved.revised and _actions(session) == ["alert.correct"]


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"severity": "apocalyptic"}, "severity"),
        ({"hazards": "salmonella, <script>"}, "hazards"),
        ({"jurisdiction": "Florida"}, "jurisdiction"),
        ({"title": ""}, "title"),
        ({"url": "https://evil.example"}, "cannot be corrected"),
        ({}, "nothing to correct"),
    ],
)
def test_a_bad_correction_names_the_field_and_changes_nothing(
    engine: Engine, values: dict[str, object], message: str
) -> None:
    with Session(engine) as session:
        analyst, _ = _people(session)
        alert = _alert(session)
        with pytest.raises(CorrectionError, match=message):
            corrections.correct(session, alert, values, user=analyst, now=NOW)
        session.commit()
        assert session.get_one(Alert, alert.id).revision == 1
        assert _actions(session) == []
