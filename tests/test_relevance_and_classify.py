"""The kratom vocabulary and the classification rules."""

from __future__ import annotations

import pytest

from alerts.classify import classify, hazards_in, kind_for, regions_in
from alerts.text import canonical_url, clean_title, parse_day, plain_text
from alerts.vocabulary import is_relevant, match_terms
from tests.factories import draft


@pytest.mark.parametrize(
    ("text", "terms"),
    [
        ("Firm recalls kratom capsules", ["kratom"]),
        ("KratomNC LLC warning letter", ["kratom"]),
        ("Ketum leaf and biak-biak tea", ["ketum", "biak"]),
        ("Mitragyna speciosa powder", ["mitragyna speciosa"]),
        ("tests for mitragynine and 7-hydroxymitragynine", ["mitragynine", "7-hydroxymitragynine"]),
        ("7-OH tablets", ["7-OH"]),
        ("7OH gummies", ["7-OH"]),
        ("7-Hydroxymitragynine shots", ["7-hydroxymitragynine"]),
    ],
)
def test_kratom_terms_are_found_and_named(text: str, terms: list[str]) -> None:
    assert match_terms(text) == terms


@pytest.mark.parametrize(
    "text",
    [
        "Kratos: God of War bundle",
        "ketumbar spice",
        "Route 7, OH 43215",
        "Columbus, OH",
        "7-OH-DPAT reagent",
        "Biakstyle",
    ],
)
def test_lookalikes_do_not_count_as_kratom(text: str) -> None:
    assert not is_relevant(text)
    assert match_terms(text) == []


def test_recall_with_salmonella_and_no_class_is_high_with_reason() -> None:
    decided = classify(
        draft(hazards=[], severity="info", summary="may be contaminated with Salmonella")
    )
    assert decided.hazards == ["salmonella"]
    assert (decided.severity, decided.severity_reason) == (
        "high",
        "pathogen contamination (salmonella); not yet classified",
    )


def test_class_one_recall_is_critical() -> None:
    decided = classify(draft(recall_class="I"))
    assert decided.severity == "critical" and decided.severity_reason.startswith("Class I recall")


def test_class_two_recall_is_moderate_and_class_three_low() -> None:
    assert (
        classify(draft(recall_class="II", summary="contains kratom", title="x")).severity
        == "moderate"
    )
    assert classify(draft(recall_class="III", summary="labeling", title="x")).severity == "low"


def test_mandatory_recall_is_critical() -> None:
    decided = classify(draft(title="FDA orders mandatory recall of kratom products", summary=""))
    assert decided.severity == "critical"


def test_press_release_kinds_come_from_the_headline() -> None:
    assert (
        kind_for("FDA issues warning letters to firms selling 7-OH products\n", "advisory")
        == "warning_letter"
    )
    assert (
        kind_for("FDA and FTC send joint warning letters to kratom sellers\n", "advisory")
        == "ftc_joint"
    )
    assert kind_for("U.S. Marshals seize kratom supplements\n", "advisory") == "seizure"
    assert (
        kind_for("FDA releases test results on kratom\nlead and nickel", "advisory")
        == "lab_results"
    )
    assert (
        kind_for("Statement on kratom\nthe agency discussed a recall last spring", "advisory")
        == "advisory"
    )
    assert (
        kind_for("Temporary Placement of Mitragynine Into Schedule I\n", "notice") == "scheduling"
    )


def test_hazards_cover_metals_potency_and_undeclared_kratom() -> None:
    assert hazards_in("elevated levels of lead and nickel") == ["heavy_metals"]
    assert "7oh_potency" in hazards_in("7-OH content above the label claim")
    assert "undeclared_kratom" in hazards_in("products may contain kratom")
    assert "opioid_effects" in hazards_in("reports of deaths and addiction")


def test_distribution_text_becomes_state_codes() -> None:
    assert regions_in("Alabama, New York,  Illinois and West Virginia") == [
        "US-AL",
        "US-NY",
        "US-IL",
        "US-WV",
    ]
    assert regions_in("Nationwide via internet sales") == ["US"]


def test_text_helpers_decode_entities_strip_quotes_and_normalise_urls() -> None:
    assert plain_text("Kratom &amp;quot;Gold&amp;quot; <b>powder</b>\t\n") == 'Kratom "Gold" powder'
    assert plain_text("<script>alert(1)</script>Safe text") == "Safe text"
    assert clean_title('"Unauthorized kratom products"') == "Unauthorized kratom products"
    assert canonical_url("HTTP://WWW.FDA.GOV/a/b#frag") == "https://www.fda.gov/a/b"
    assert parse_day("20180328") == parse_day("2018-03-28") and parse_day("not a date") is None


def test_the_verb_lead_and_a_notice_withdrawal_are_not_hazards() -> None:
    assert hazards_in("daily use can lead to addiction") == ["opioid_effects"]
    assert hazards_in("Withdrawal of Notice of Intent to Temporarily Place Mitragynine") == []
    assert hazards_in("people report opioid withdrawal symptoms") == ["opioid_effects"]
