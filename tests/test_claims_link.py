"""Claims link to alerts in the taxonomy's order: same firm, topic overlap, kind, recency."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, event
from sqlmodel import Session

from alerts.claims import matrix
from alerts.claims.annotate import annotate
from alerts.claims.document import from_html
from alerts.claims.link import Candidate, Linker, reason
from alerts.models import Incident
from tests.claimkit import NOW, VENDOR_PAGE, add_alert

URL = "https://leaflinebotanicals.example/blog/customers"


def _ranked(engine: Engine) -> dict[str, list[tuple[int, str]]]:
    """First word of each claim -> [(alert id, reason)] in rank order."""
    with Session(engine) as session:
        result = annotate(session, from_html(VENDOR_PAGE, url=URL))
    return {
        _name(claim.text): [(k.alert_id, k.reason) for k in links] for claim, links in result.found
    }


def _name(text: str) -> str:
    """A claim's first word, and its second when the first is "Kratom"."""
    words = text.split()
    return words[0] + (words[1] if words[0] == "Kratom" else "")


def test_same_firm_then_topic_overlap_then_kind_priority_then_recency(engine: Engine) -> None:
    firm = add_alert(
        engine, 1, kind="warning_letter", on="2019-06-11",
        title="Warning letter to Leafline Botanicals, LLC", firms=["Leafline Botanicals, LLC"],
    )  # fmt: skip
    cites = add_alert(
        engine, 2, kind="warning_letter", on="2018-05-22", title="FDA warns kratom sellers",
        summary="The letters cite claims that kratom treats opioid withdrawal.",
    )  # fmt: skip
    advisory_new = add_alert(engine, 3, kind="advisory", on="2024-02-01", title="Kratom update")
    letter_old = add_alert(engine, 4, kind="warning_letter", on="2016-01-05", title="Letter")
    advisory_old = add_alert(engine, 5, kind="advisory", on="2010-03-03", title="Old notice")
    scheduling = add_alert(engine, 6, kind="scheduling", on="2025-07-29", title="Schedule I")
    add_alert(engine, 7, kind="recall", on="2025-10-30", title="Powder recalled")
    add_alert(engine, 8, kind="adverse_event", on="2025-11-01", title="Report")

    withdrawal = _ranked(engine)["Kratomhelped"]
    assert [alert for alert, _ in withdrawal] == [
        firm,
        cites,
        advisory_new,
        letter_old,
        advisory_old,
    ]  # scheduling is only secondary for withdrawal claims: sixth, cut
    assert scheduling not in [alert for alert, _ in withdrawal]
    assert withdrawal[0][1] == (
        "FDA warning letter to Leafline Botanicals, LLC, the firm behind this article, "
        "2019-06-11: regulators answer opioid-withdrawal claims with warning letters"
    )
    assert withdrawal[1][1] == "FDA warning letter, 2018-05-22: cites opioid-withdrawal claims"
    assert withdrawal[2][1] == (
        "FDA advisory, 2024-02-01: regulators answer opioid-withdrawal claims with advisories"
    )


def test_an_alert_naming_more_of_the_claims_topics_ranks_higher(engine: Engine) -> None:
    one = add_alert(
        engine, 1, kind="warning_letter", on="2025-07-15", title="Letters on 7-OH",
        summary="Unproven claims such as relieving pain.",
    )  # fmt: skip
    both = add_alert(
        engine, 2, kind="warning_letter", on="2019-06-25", title="Letters to two sellers",
        summary="Claims to treat chronic pain, anxiety and depression.",
    )  # fmt: skip
    secondary = add_alert(
        engine, 3, kind="ftc_joint", on="2022-06-30", title="Joint letters",
        summary="Claims about pain and depression.",
    )  # fmt: skip
    ranked = _ranked(engine)["Our"]
    assert [alert for alert, _ in ranked] == [both, secondary, one]
    assert ranked[0][1].endswith("cites pain-relief and anxiety/depression claims")
    assert ranked[1][1] == (
        "joint FDA-FTC warning letter, 2022-06-30: cites pain-relief and anxiety/depression claims"
    )


def test_safety_claims_reach_advisories_and_scheduling_but_not_unrelated_kinds(
    engine: Engine,
) -> None:
    advisory = add_alert(
        engine, 1, kind="advisory", on="2017-11-14", title="Public health advisory on kratom",
        summary="Reports of deaths, seizures and liver damage.",
    )  # fmt: skip
    scheduling = add_alert(engine, 2, kind="scheduling", on="2016-08-31", title="Notice of intent")
    add_alert(engine, 3, kind="state_law", on="2024-01-01", title="State ban")
    safety = _ranked(engine)["Kratomis"]
    assert [alert for alert, _ in safety] == [advisory, scheduling]
    assert safety[0][1] == "FDA advisory, 2017-11-14: bears on safety claims"


def test_a_claim_with_no_alert_of_a_fitting_kind_has_no_links(engine: Engine) -> None:
    add_alert(engine, 1, kind="state_law", on="2024-01-01", title="State ban")
    assert all(links == [] for links in _ranked(engine).values())


def test_one_event_seen_by_two_sources_is_linked_once(engine: Engine) -> None:
    first = add_alert(engine, 1, kind="advisory", on="2017-11-14", title="Advisory (press)")
    second = add_alert(
        engine, 2, kind="advisory", on="2017-11-14", title="Advisory (MedWatch)",
        source="fda_medwatch",
    )  # fmt: skip
    with Session(engine) as session:
        incident = Incident(title="The advisory", created_at=NOW, updated_at=NOW)
        session.add(incident)
        session.flush()
        from alerts.models import Alert

        for alert_id in (first, second):
            session.get_one(Alert, alert_id).incident_id = incident.id
        session.commit()
    linked = [alert for alert, _ in _ranked(engine)["Kratomhelped"]]
    assert len(linked) == 1 and linked[0] in (first, second)


def test_candidate_alerts_are_read_with_one_query_per_document(engine: Engine) -> None:
    for n in range(30):
        add_alert(engine, n, kind=("advisory", "warning_letter", "recall")[n % 3], title="x",
                  on=f"20{10 + n % 15}-01-01")  # fmt: skip
    statements: list[str] = []

    def seen(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", seen)
    try:
        with Session(engine) as session:
            result = annotate(session, from_html(VENDOR_PAGE, url=URL))
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert len(result.found) == 3 and all(links for _, links in result.found)
    assert len([s for s in statements if "FROM alert" in s]) == 1


def test_reasons_name_the_firm_with_the_right_word_for_the_kind() -> None:
    recall = Candidate(
        id=1, kind="recall", agency="FDA", title="t", url="u", firms=("Leafline Botanicals",),
        on=NOW, topics=frozenset({"contamination"}),
    )  # fmt: skip
    assert reason(recall, ["contamination"], overlap=["contamination"]) == (
        "FDA recall by Leafline Botanicals, 2026-03-01: bears on purity/testing claims"
    )
    linker = Linker([recall], ["Leafline Botanicals LLC"])
    [link] = linker.links(["contamination", "safety_assertion"])
    assert link.firm == "Leafline Botanicals" and link.primary
    assert link.reason.startswith("FDA recall by Leafline Botanicals, the firm behind this article")


def test_the_matrix_covers_the_detectors_topics_and_only_known_kinds() -> None:
    from alerts.claims.detect import TOPICS
    from alerts.draft import KINDS

    assert set(matrix.MATRIX) == set(TOPICS)
    assert {kind for kinds in matrix.MATRIX.values() for kind in kinds} <= set(KINDS)
    assert set(matrix.NOTES) == set(TOPICS) == set(matrix.LABELS)
