"""Subscription rules: addresses, preferences, matching, double opt-in, tokens."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from alerts import outbox, subscriptions, tokens
from alerts.models import Alert, MailMessage, Subscriber
from alerts.places import place_matches
from alerts.subscriptions import Preferences, SubscriptionError

NOW = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
SECRET = "a-test-secret-of-enough-length"


@pytest.mark.parametrize(
    "raw", ["a@example.org", " Reader.Name+tag@Example.ORG ", "x@sub.example.co.uk"]
)
def test_plausible_addresses_are_accepted_trimmed_and_lower_cased(raw: str) -> None:
    assert subscriptions.normalize_email(raw) == raw.strip().lower()


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "no-at-sign",
        "a@b",
        "a@@example.org",
        "a b@example.org",
        "a@example.org\r\nBcc: x@example.org",
        "a@exa_mple.org",
        "x" * 65 + "@example.org",
    ],
)
def test_bad_or_injected_addresses_are_refused(raw: str) -> None:
    with pytest.raises(SubscriptionError):
        subscriptions.normalize_email(raw)


@pytest.mark.parametrize(
    ("prefs", "message"),
    [
        (Preferences(kinds=["gossip"]), "unknown alert kind"),
        (Preferences(hazards=["sugar"]), "unknown hazard"),
        (Preferences(jurisdictions=["Florida"]), "not an ISO 3166 code"),
        (Preferences(min_severity="extreme"), "minimum severity"),
        (Preferences(delivery="hourly"), "delivery must be"),
        (Preferences(timezone="Mars/Olympus"), "unknown time zone"),
        (Preferences(send_hour=24), "send hour"),
    ],
)
def test_bad_preferences_name_the_field(prefs: Preferences, message: str) -> None:
    with pytest.raises(SubscriptionError, match=message):
        prefs.validated()


def test_preferences_are_cleaned() -> None:
    prefs = Preferences(kinds=["recall", " recall "], jurisdictions=["us-fl", "CA", ""]).validated()
    assert prefs.kinds == ["recall"] and prefs.jurisdictions == ["CA", "US-FL"]


@pytest.mark.parametrize(
    ("wanted", "jurisdiction", "regions", "expected"),
    [
        ({"US"}, "US", ["US-TX"], True),
        ({"US-TX"}, "US", ["US-TX", "US-OK"], True),
        ({"US-FL"}, "US", ["US-TX", "US-OK"], False),  # sold only elsewhere
        ({"US-FL"}, "US", [], True),  # a country-wide action
        ({"US-FL"}, "US", ["US", "US-TX"], True),  # nationwide distribution
        ({"CA"}, "US", ["US-TX"], False),
        ({"CA"}, "CA", [], True),
        ({"US-FL"}, "CA", [], False),
        ({"US-FL"}, "US-TX", [], False),  # a Texas state action
        ({"US"}, "US-TX", [], True),
    ],
)
def test_places_match_as_a_reader_in_that_place_would_expect(
    wanted: set[str], jurisdiction: str, regions: list[str], expected: bool
) -> None:
    assert place_matches(frozenset(wanted), jurisdiction, regions) is expected


def _alert(**values: object) -> Alert:
    base: dict[str, object] = {
        "source": "s",
        "uid": "u",
        "agency": "FDA",
        "kind": "recall",
        "title": "t",
        "url": "https://x",
        "jurisdiction": "US",
        "severity": "high",
        "content_hash": "h",
        "first_seen_at": NOW,
        "updated_at": NOW,
        "hazards": ["salmonella"],
        "regions": [],
    }
    base.update(values)
    return Alert(**base)


def test_matching_applies_every_filter() -> None:
    subscriber = Subscriber(
        email="a@example.org",
        created_at=NOW,
        kinds=["recall"],
        hazards=["salmonella"],
        min_severity="high",
    )
    assert subscriptions.matches(subscriber, _alert())
    assert not subscriptions.matches(subscriber, _alert(kind="advisory"))
    assert not subscriptions.matches(subscriber, _alert(hazards=["heavy_metals"]))
    assert not subscriptions.matches(subscriber, _alert(severity="moderate"))


def test_subscribing_twice_within_the_window_sends_one_confirmation(engine: Engine) -> None:
    with Session(engine) as session:
        first = subscriptions.subscribe(
            session, email="a@example.org", prefs=Preferences(), now=NOW
        )
        second = subscriptions.subscribe(
            session, email="A@EXAMPLE.ORG", prefs=Preferences(), now=NOW + timedelta(minutes=5)
        )
        third = subscriptions.subscribe(
            session, email="a@example.org", prefs=Preferences(), now=NOW + timedelta(minutes=20)
        )
        assert (first.send_confirmation, second.send_confirmation, third.send_confirmation) == (
            True,
            False,
            True,
        )
        assert first.subscriber.id == second.subscriber.id == third.subscriber.id
        # A different casing is the same address.
        assert first.subscriber.email == "a@example.org"


def test_a_stranger_cannot_change_a_confirmed_subscription_by_subscribing_again(
    engine: Engine,
) -> None:
    with Session(engine) as session:
        subscriber = subscriptions.subscribe(
            session, email="a@example.org", prefs=Preferences(kinds=["recall"]), now=NOW
        ).subscriber
        subscriptions.confirm(session, subscriber, now=NOW)
        again = subscriptions.subscribe(
            session,
            email="a@example.org",
            prefs=Preferences(kinds=["seizure"]),
            now=NOW + timedelta(hours=1),
        )
        assert again.send_confirmation is False and subscriber.kinds == ["recall"]


def test_the_confirmation_mail_is_queued_once_with_a_working_link(engine: Engine) -> None:
    with Session(engine) as session:
        subscriber = subscriptions.subscribe(
            session,
            email="a@example.org",
            prefs=Preferences(delivery="daily", timezone="Europe/Berlin"),
            now=NOW,
        ).subscriber
        assert outbox.queue_confirmation(
            session, subscriber, secret=SECRET, base_url="https://alerts.example.org", now=NOW
        )
        assert not outbox.queue_confirmation(
            session, subscriber, secret=SECRET, base_url="https://alerts.example.org", now=NOW
        )
        session.commit()
        [mail] = session.exec(__import__("sqlmodel").select(MailMessage)).all()
        link = next(w for w in mail.text_body.split() if "/confirm/" in w)
        token = link.rsplit("/", 1)[1]
        assert (
            subscriptions.from_token(session, SECRET, "confirm", token, now=NOW).id == subscriber.id
        )
        assert "daily digest at 08:00 Europe/Berlin" in mail.text_body
        with pytest.raises(tokens.TokenError, match="expired"):
            subscriptions.from_token(
                session, SECRET, "confirm", token, now=NOW + timedelta(hours=73)
            )


def test_tokens_are_bound_to_purpose_secret_and_nonce(engine: Engine) -> None:
    with Session(engine) as session:
        subscriber = subscriptions.subscribe(
            session, email="a@example.org", prefs=Preferences(), now=NOW
        ).subscriber
        token = subscriptions.link_token(SECRET, "prefs", subscriber, now=NOW)
        assert subscriptions.from_token(session, SECRET, "prefs", token, now=NOW) is subscriber
        with pytest.raises(tokens.TokenError):
            subscriptions.from_token(session, SECRET, "unsubscribe", token, now=NOW)
        with pytest.raises(tokens.TokenError):
            subscriptions.from_token(session, "another-secret-entirely", "prefs", token, now=NOW)
        _payload, stamp, signature = token.split(".")
        forged = f"{tokens._b64(b'999:x')}.{stamp}.{signature}"
        with pytest.raises(tokens.TokenError, match="bad signature"):
            subscriptions.from_token(session, SECRET, "prefs", forged, now=NOW)
        # Coming back after unsubscribing rotates the nonce: old links stop working.
        subscriptions.unsubscribe(session, subscriber, now=NOW)
        subscriptions.confirm(session, subscriber, now=NOW)
        with pytest.raises(tokens.TokenError, match="no longer valid"):
            subscriptions.from_token(session, SECRET, "prefs", token, now=NOW)


def test_bounce_addresses_round_trip_and_refuse_forgeries() -> None:
    address = tokens.bounce_address(SECRET, 42, "bounce.example.org")
    assert address.startswith("bounces+") and address.endswith("@bounce.example.org")
    assert tokens.subscriber_from_bounce_address(SECRET, f"<{address}>", now=NOW) == 42
    with pytest.raises(tokens.TokenError):
        tokens.subscriber_from_bounce_address("other-secret-value", address, now=NOW)
    with pytest.raises(tokens.TokenError):
        tokens.subscriber_from_bounce_address(SECRET, "someone@example.org", now=NOW)
