"""Claims link to warning letters that quote a claim of the same topic, and say which one."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session

from alerts import store
from alerts.claims.alert_topics import CitedClaim, alert_topics, cited_claims
from alerts.claims.annotate import annotate
from alerts.claims.document import from_html
from alerts.claims.link import Candidate, brief
from alerts.classify import classify
from alerts.models import Alert
from sources import fda_warning_letters
from tests.claimkit import NOW, VENDOR_PAGE, add_alert

URL = "https://leaflinebotanicals.example/blog/customers"
FIXTURES = Path(__file__).parent / "fixtures" / "fda_warning_letters"
USAGE = "Usage: intended for easing long-term pain and for relaxation, day or night."
KRATOMNC_CITED = [
    {"text": "Kratom binds to the same mu-opioid receptors that morphine does.",
     "topics": ["mechanism_receptor"]},
    {"text": "Plenty of people turn to kratom to get through opioid withdrawal.",
     "topics": ["opioid_withdrawal"]},
    {"text": "Our capsules ease back pain.", "topics": ["pain"]},
    {"text": USAGE, "topics": ["pain", "anxiety_mood"]},
]  # fmt: skip


def _links(engine: Engine) -> dict[str, list[tuple[int, str]]]:
    """First word of each claim of the vendor page -> [(alert id, reason)] in rank order."""
    with Session(engine) as session:
        result = annotate(session, from_html(VENDOR_PAGE, url=URL))
    return {
        claim.text.split()[0] + claim.text.split()[1]: [(k.alert_id, k.reason) for k in links]
        for claim, links in result.found
    }


def _letter(engine: Engine, n: int, on: str, cited: Any, firm: str = "KratomNC") -> int:
    return add_alert(
        engine, n, kind="warning_letter", on=on, title="Letter", firms=[firm],
        source="fda_warning_letters", details={"marcs_cms": str(n), "cited_claims": cited},
    )  # fmt: skip


def test_a_letter_quoting_the_claims_topic_links_ahead_of_a_newer_letter_that_does_not(
    engine: Engine,
) -> None:
    quoting = _letter(engine, 1, "2019-05-16", KRATOMNC_CITED)
    newer = _letter(engine, 2, "2024-02-01", [], firm="Other Kratom Co")

    capsules = _links(engine)["OurMaeng"]  # "melt away back pain and anxiety"

    assert [alert for alert, _ in capsules] == [quoting, newer]


def test_the_reason_quotes_the_cited_claim_sharing_most_of_the_claims_topics(
    engine: Engine,
) -> None:
    _letter(engine, 1, "2019-05-16", KRATOMNC_CITED)

    [(_, pain_and_anxiety)] = _links(engine)["OurMaeng"]
    [(_, withdrawal)] = _links(engine)["Kratomhelped"]

    assert pain_and_anxiety == (
        "FDA warning letter to KratomNC, 2019-05-16: cited a pain-relief and anxiety/depression "
        'claim ("Usage: intended for easing long-term pain and for…")'
    )
    assert withdrawal == (
        "FDA warning letter to KratomNC, 2019-05-16: cited an opioid-withdrawal claim "
        '("Plenty of people turn to kratom to get through opioid…")'
    )


def test_a_quote_is_cut_at_a_word_within_sixty_characters() -> None:
    assert brief(USAGE) == "Usage: intended for easing long-term pain and for…"
    assert brief("Short and whole.") == "Short and whole."
    assert brief('He said "no side effects" at all.') == "He said 'no side effects' at all."
    assert len(brief("x" * 200)) == 61


def test_malformed_cited_claims_in_stored_details_are_ignored(engine: Engine) -> None:
    junk = [{"text": 5}, "a string", {"text": "Kratom eases pain.", "topics": ["no_such", 7]}]
    odd = _letter(engine, 1, "2019-05-16", junk)
    _letter(engine, 2, "2018-01-01", "not a list")

    capsules = _links(engine)["OurMaeng"]

    assert capsules[0] == (
        odd,
        "FDA warning letter to KratomNC, 2019-05-16: regulators answer pain-relief and "
        "anxiety/depression claims with warning letters",
    )
    assert cited_claims({"cited_claims": junk}) == (CitedClaim("Kratom eases pain.", frozenset()),)
    assert cited_claims(None) == () and cited_claims({"cited_claims": {"text": "x"}}) == ()


def test_cited_topics_count_even_when_the_answer_for_the_text_is_remembered() -> None:
    cited = (CitedClaim("Kratom calms my nerves.", frozenset({"anxiety_mood"})),)

    plain = alert_topics("Letter", "", key="hash-cited-1")
    quoted = alert_topics("Letter", "", key="hash-cited-1", cited=cited)

    assert plain == frozenset() and quoted == frozenset({"anxiety_mood"})


def test_a_stored_alert_becomes_a_candidate_with_its_cited_claims(engine: Engine) -> None:
    alert_id = _letter(engine, 1, "2019-05-16", KRATOMNC_CITED)

    with Session(engine) as session:
        candidate = Candidate.of(session.get_one(Alert, alert_id))

    assert [c.text for c in candidate.cited] == [c["text"] for c in KRATOMNC_CITED]
    assert candidate.topics == {"mechanism_receptor", "opioid_withdrawal", "pain", "anxiety_mood"}


def test_a_parsed_letter_page_links_an_articles_claim_through_what_it_quotes(
    engine: Engine,
) -> None:
    listing = fda_warning_letters.parse((FIXTURES / "listing_page2.json").read_bytes())
    [row] = [draft for draft in listing if draft.uid == "576964"]
    letter = fda_warning_letters.parse_letter(row, (FIXTURES / "letter_576964.html").read_bytes())
    assert letter is not None
    with Session(engine) as session:
        store.upsert(session, [classify(letter)], now=NOW)
        session.commit()

    [(_, reason)] = _links(engine)["OurMaeng"]

    assert reason == (
        "FDA warning letter to KratomNC, 2019-05-16: cited a pain-relief and anxiety/depression "
        'claim ("Usage: intended for easing long-term pain and for…")'
    )
