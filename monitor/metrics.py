"""Prometheus text exposition, computed from the database so every process agrees."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, select

from alerts.models import Alert, Delivery, FeedState, MailMessage, PollRun, SourceState


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _line(name: str, value: float, **labels: str) -> str:
    if labels:
        inner = ",".join(f'{key}="{_escape(val)}"' for key, val in sorted(labels.items()))
        return f"{name}{{{inner}}} {value:g}"
    return f"{name} {value:g}"


def render(session: Session, *, sources: list[str], now: datetime) -> str:
    """The metrics page for ``sources`` (the registry's keys)."""
    out: list[str] = []

    def family(name: str, kind: str, text: str) -> None:
        out.append(f"# HELP {name} {text}")
        out.append(f"# TYPE {name} {kind}")

    polls = session.exec(
        select(PollRun.source, PollRun.outcome, func.count()).group_by(
            PollRun.source, PollRun.outcome
        )
    ).all()
    family("kratom_polls_total", "counter", "Polls finished, by source and outcome.")
    for source, outcome, count in polls:
        out.append(_line("kratom_polls_total", count, source=source, outcome=outcome))
    family("kratom_poll_errors_total", "counter", "Polls that ended in an error, by source.")
    errors = {s: 0 for s in sources}
    for source, outcome, count in polls:
        if outcome == "error":
            errors[source] = errors.get(source, 0) + count
    for source, count in sorted(errors.items()):
        out.append(_line("kratom_poll_errors_total", count, source=source))

    feed = session.get(FeedState, "alerts")
    family("kratom_feed_version", "gauge", "Version of the published alerts (moves on change).")
    out.append(_line("kratom_feed_version", feed.version if feed else 0))
    family(
        "kratom_websub_unannounced_versions", "gauge",
        "Feed versions the WebSub hub has not been told about yet.",
    )  # fmt: skip
    out.append(
        _line("kratom_websub_unannounced_versions", feed.version - feed.hub_version if feed else 0)
    )
    family("kratom_websub_failed_attempts", "gauge", "Failed hub pings since the last success.")
    out.append(_line("kratom_websub_failed_attempts", feed.hub_attempts if feed else 0))

    states = {s.key: s for s in session.exec(select(SourceState))}
    family(
        "kratom_source_last_success_age_seconds", "gauge",
        "Seconds since the last successful poll (-1: never).",
    )  # fmt: skip
    for key in sources:
        state = states.get(key)
        age = (
            (now - state.last_success_at).total_seconds() if state and state.last_success_at else -1
        )
        out.append(_line("kratom_source_last_success_age_seconds", age, source=key))
    family("kratom_source_status", "gauge", "1 for the current health status of each source.")
    for key in sources:
        status = states[key].status if key in states else "never"
        out.append(_line("kratom_source_status", 1, source=key, status=status))
    family("kratom_source_consecutive_failures", "gauge", "Failed polls in a row.")
    for key in sources:
        failures = states[key].consecutive_failures if key in states else 0
        out.append(_line("kratom_source_consecutive_failures", failures, source=key))

    family("kratom_alerts_stored", "gauge", "Alerts in the store.")
    out.append(
        _line("kratom_alerts_stored", session.exec(select(func.count()).select_from(Alert)).one())
    )
    family(
        "kratom_deliveries", "gauge",
        "Outgoing mail by status: subscriber deliveries (ledger) plus staff and confirmation mail.",
    )  # fmt: skip
    counts: dict[str, int] = {}
    for status, count in session.exec(
        select(MailMessage.status, func.count()).group_by(MailMessage.status)
    ).all():
        counts[status] = counts.get(status, 0) + count
    for status, count in session.exec(
        select(Delivery.status, func.count()).group_by(Delivery.status)
    ).all():
        key = "pending" if status == "sending" else status
        counts[key] = counts.get(key, 0) + count
    for status in ("pending", "sent", "failed", "skipped"):
        out.append(_line("kratom_deliveries", counts.get(status, 0), status=status))
    return "\n".join(out) + "\n"
