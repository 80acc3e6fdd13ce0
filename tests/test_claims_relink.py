"""New alerts join the stored claims they bear on, and followers of the article hear of it."""

from __future__ import annotations

from datetime import timedelta
from email import message_from_bytes, policy
from pathlib import Path

from sqlalchemy import Engine, update
from sqlmodel import Session, col, select

from alerts import staff_accounts
from alerts.claims import records
from alerts.claims.annotate import annotate, annotate_and_save
from alerts.claims.document import from_html
from alerts.claims.relink import relink_due
from alerts.models import Alert, ClaimDocument, ClaimLink, MailMessage, StaffUser
from monitor.mail import transport_for
from monitor.sender import send_due
from tests.claimkit import NOW, VENDOR_PAGE, add_alert

URL = "https://leaflinebotanicals.example/blog/customers"
BASE = "https://monitor.example.org"
LATER = NOW + timedelta(days=1)


def _document(engine: Engine, *followers: str) -> int:
    with Session(engine) as session:
        document, made = annotate_and_save(
            session, from_html(VENDOR_PAGE, url=URL), url=URL, source_kind="url",
            fetched_at=NOW, now=NOW,
        )  # fmt: skip
        assert made
        for email in followers:
            user = staff_accounts.add_user(
                session, email=email, role="viewer", password=None, by=None, now=NOW
            )
            records.follow(session, int(user.id or 0), int(document.id or 0), on=True, now=NOW)
        session.commit()
        return int(document.id or 0)


def _links(engine: Engine, document_id: int) -> dict[str, list[int]]:
    with Session(engine) as session:
        return {
            item.claim.text: [alert.id or 0 for _, alert in item.links]
            for item in records.linked_claims(session, document_id)
        }


def _fresh(engine: Engine) -> dict[str, list[int]]:
    with Session(engine) as session:
        result = annotate(session, from_html(VENDOR_PAGE, url=URL))
    return {claim.text: [link.alert_id for link in links] for claim, links in result.found}


def _mail(engine: Engine) -> list[MailMessage]:
    with Session(engine) as session:
        return list(session.exec(select(MailMessage).order_by(col(MailMessage.id))))


def _relink(engine: Engine) -> tuple[int, int, int]:
    counts = relink_due(engine, base_url=BASE, now=LATER)
    return counts.alerts, counts.added, counts.mails


def test_a_new_warning_letter_joins_the_claims_it_bears_on_and_followers_get_one_mail(
    engine: Engine, tmp_path: Path
) -> None:
    advisory = add_alert(engine, 1, kind="advisory", on="2017-11-14", title="Kratom advisory")
    document_id = _document(engine, "ana@example.org", "ben@example.org")
    assert _relink(engine) == (1, 0, 0)  # the advisory was there already: nothing new
    before = _links(engine, document_id)

    letter = add_alert(
        engine, 2, kind="warning_letter", on="2026-02-20", now=LATER,
        title="FDA warns Leafline Botanicals over opioid claims",
        summary="The letter cites claims that kratom treats opioid withdrawal and pain.",
        firms=["Leafline Botanicals"],
    )  # fmt: skip
    alerts, added, mails = _relink(engine)
    after = _links(engine, document_id)
    assert (alerts, mails) == (1, 2)
    withdrawal = "Kratom helped me quit oxycodone after years of struggle."
    pain = "Our Maeng Da capsules melt away back pain and anxiety."
    safety = "Kratom is totally safe and you cannot overdose on it."
    assert after[withdrawal] == [letter, advisory] and after[pain] == [letter, advisory]
    assert after[safety] == [letter, advisory]  # a secondary kind, but the same firm: first
    assert added == 3
    assert after == _fresh(engine)  # the same as annotating the article now
    assert before[withdrawal] == [advisory]

    messages = _mail(engine)
    assert sorted(m.recipients[0] for m in messages) == ["ana@example.org", "ben@example.org"]
    text = messages[0].text_body
    assert messages[0].kind == "claim_links"
    assert messages[0].subject == "[kratom-monitor] 3 new alert links: Our Customers Speak"
    assert f"\u201c{withdrawal}\u201d" in text and f"\u201c{pain}\u201d" in text
    assert "FDA warns Leafline Botanicals over opioid claims" in text
    assert "the firm behind this article" in text
    assert f"{BASE}/alerts/{letter}" in text and f"{BASE}/staff/documents/{document_id}" in text

    assert _relink(engine) == (0, 0, 0)  # nothing left to do, no second mail
    assert len(_mail(engine)) == 2
    outbox = tmp_path / "outbox"
    counts = send_due(
        engine, transport_for(None, outbox), owner="t", sender="monitor@example.org", now=LATER
    )
    assert counts.sent == 2
    sent = [message_from_bytes(p.read_bytes(), policy=policy.default) for p in outbox.glob("*.eml")]
    assert {str(m["To"]) for m in sent} == {"ana@example.org", "ben@example.org"}


def test_unrelated_alerts_and_unfollowed_articles_send_no_mail(engine: Engine) -> None:
    document_id = _document(engine)
    add_alert(engine, 1, kind="state_law", on="2026-02-01", title="A state bans kratom")
    add_alert(engine, 2, kind="advisory", on="2026-02-02", title="Advisory")
    assert _relink(engine) == (2, 3, 0)  # the advisory bears on all three claims
    assert _mail(engine) == []
    assert _links(engine, document_id) == _fresh(engine)


def test_a_disabled_follower_gets_no_mail(engine: Engine) -> None:
    _document(engine, "gone@example.org")
    with Session(engine) as session:
        session.exec(update(StaffUser).values(disabled=True))  # type: ignore[call-overload]
        session.commit()
    add_alert(engine, 1, kind="advisory", on="2026-02-02", title="Advisory")
    assert _relink(engine) == (1, 3, 0)


def test_a_better_alert_pushes_the_weakest_link_out_of_the_top_five(engine: Engine) -> None:
    old = [
        add_alert(engine, n, kind="advisory", on=f"201{n}-01-01", title=f"Advisory {n}")
        for n in range(5)
    ]
    document_id = _document(engine, "ana@example.org")
    withdrawal = "Kratom helped me quit oxycodone after years of struggle."
    assert _links(engine, document_id)[withdrawal] == old[::-1]
    newest = add_alert(engine, 9, kind="advisory", on="2025-01-01", title="Advisory 9", now=LATER)
    _relink(engine)
    assert _links(engine, document_id)[withdrawal] == [newest, *old[::-1][:4]]
    with Session(engine) as session:
        ranks = session.exec(
            select(ClaimLink.rank).where(ClaimLink.alert_id == newest).distinct()
        ).all()
    assert ranks == [1]


def test_a_revision_that_makes_an_alert_irrelevant_removes_its_links(engine: Engine) -> None:
    letter = add_alert(engine, 1, kind="warning_letter", on="2020-01-01", title="Letter")
    document_id = _document(engine)
    _relink(engine)
    withdrawal = "Kratom helped me quit oxycodone after years of struggle."
    assert letter in _links(engine, document_id)[withdrawal]
    with Session(engine) as session:
        alert = session.get_one(Alert, letter)
        alert.kind, alert.revision = "state_law", alert.revision + 1
        session.add(alert)
        session.commit()
    _relink(engine)
    assert all(letter not in ids for ids in _links(engine, document_id).values())


def test_the_same_text_from_the_same_place_is_stored_once(engine: Engine) -> None:
    first = _document(engine)
    with Session(engine) as session:
        again, made = annotate_and_save(
            session, from_html(VENDOR_PAGE, url=URL), url=URL, source_kind="url",
            fetched_at=LATER, now=LATER,
        )  # fmt: skip
        assert (again.id, made) == (first, False)
        assert len(session.exec(select(ClaimDocument)).all()) == 1


def test_two_workers_relinking_at_once_do_each_alert_and_each_mail_once(engine: Engine) -> None:
    import threading

    _document(engine, "ana@example.org")
    for n in range(6):
        add_alert(engine, n, kind="advisory", on=f"202{n}-01-01", title=f"Advisory {n}", now=LATER)
    done: list[tuple[int, int, int]] = []
    start = threading.Barrier(2)

    def work() -> None:
        start.wait()
        while (counts := _relink_small(engine)) != (0, 0, 0):
            done.append(counts)

    threads = [threading.Thread(target=work) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sum(alerts for alerts, _, _ in done) == 6
    mails = _mail(engine)
    assert len(mails) == sum(mailed for _, _, mailed in done) >= 1  # one per batch that added
    withdrawal = "Kratom helped me quit oxycodone after years of struggle."
    assert len(_links(engine, 1)[withdrawal]) == 5


def _relink_small(engine: Engine) -> tuple[int, int, int]:
    counts = relink_due(engine, base_url=BASE, now=LATER, limit=2)
    return counts.alerts, counts.added, counts.mails


def test_the_worker_job_mails_links_to_the_configured_public_url(
    engine: Engine, tmp_path: Path
) -> None:
    from monitor.claims_jobs import relink
    from monitor.settings import Settings

    _document(engine, "ana@example.org")
    add_alert(engine, 1, kind="advisory", on="2026-02-02", title="Advisory", now=LATER)
    settings = Settings(data_dir=tmp_path, database_url="", public_url="https://alerts.example")
    assert relink(engine, settings).mails == 1
    assert "https://alerts.example/alerts/1" in _mail(engine)[0].text_body
