"""Every source parser against hand-written payloads in ``tests/fixtures/<source key>/``.

The fixtures imitate each agency's format and quirks (see /work/shared/reference); the
values asserted here are the ones written into those files.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from alerts.classify import classify
from alerts.draft import AlertDraft
from sources import federal_register
from sources.base import ParseError, Source
from sources.registry import SOURCES, get

FIXTURES = Path(__file__).parent / "fixtures"
RECALL_PAGES = "https://www.fda.gov/safety/recalls-market-withdrawals-safety-alerts/"
PRESS_PAGES = "https://www.fda.gov/news-events/press-announcements/"

NUTRIZONE = RECALL_PAGES + (
    "nutrizone-llc-recalls-cali-botanicals-nirvanio-kratom-products-because-possible-salmonella-health-risk"
)
NGB = RECALL_PAGES + (
    "ngb-corp-recalls-nxtgen-botanicals-maeng-da-kratom-because-possible-salmonella-contamination"
)
DIVINITY = RECALL_PAGES + (
    "divinity-products-distribution-voluntarily-recalls-kratom-products-destruction-under-fda-oversight"
)
VIABLE = RECALL_PAGES + (
    "viable-solutions-recalls-herbal-salvation-kratom-powder-capsules-because-possible-salmonella"
)
BEDROCK = RECALL_PAGES + (
    "vanguard-enterprises-llc-dba-bedrock-mfg-recalls-monarch-premium-kratom-bali-gold-red-bali-green"
)
SNI = RECALL_PAGES + "sni-national-recalls-all-kratom-products-labeled-as-dietary-supplements"
FTC_JOINT = (
    PRESS_PAGES + "fda-ftc-send-joint-warning-letters-kratom-sellers-making-opioid-addiction-claims"
)
SEIZURE = (
    PRESS_PAGES + "us-marshals-seize-over-13-million-kratom-products-florida-firm-fdas-request"
)
WARNING = PRESS_PAGES + (
    "fda-issues-warning-letters-two-kratom-sellers-unproven-opioid-addiction-treatment-claims"
)
METALS = PRESS_PAGES + (
    "fda-commissioner-statement-kratom-products-found-contain-troubling-levels-lead-nickel"
)


def payload(key: str, name: str) -> bytes:
    return (FIXTURES / key / name).read_bytes()


def parse(key: str, name: str) -> list[AlertDraft]:
    return get(key).parse(payload(key, name))


def by_uid(drafts: list[AlertDraft]) -> dict[str, AlertDraft]:
    return {draft.uid: draft for draft in drafts}


# --------------------------------------------------------------------------- RSS feeds


def test_rss_parser_keeps_only_kratom_items() -> None:
    drafts = parse("fda_recalls", "basic.xml")

    assert [d.uid for d in drafts] == [NUTRIZONE, NGB, DIVINITY]
    assert payload("fda_recalls", "basic.xml").count(b"<item>") == 5


def test_rss_parser_does_not_count_kratos_the_video_game_character_as_kratom() -> None:
    content = payload("fda_recalls", "basic.xml")
    drafts = parse("fda_recalls", "basic.xml")

    assert b"Kratos Action Figures" in content
    assert not [d for d in drafts if "Kratos" in f"{d.title} {d.summary}"]


def test_rss_parser_decodes_double_escaped_and_numeric_entities_in_titles() -> None:
    nutrizone = by_uid(parse("fda_recalls", "basic.xml"))[NUTRIZONE]

    assert b"Cali Botanicals &amp;amp; Nirvanio&#174; Kratom" in payload("fda_recalls", "basic.xml")
    assert nutrizone.title == (
        "NutriZone, LLC Recalls Cali Botanicals & Nirvanio® Kratom Products "
        "Because of Possible Salmonella Health Risk"
    )
    assert nutrizone.products[0].name == "Cali Botanicals & Nirvanio® Kratom Products"


def test_rss_parser_converts_edt_and_est_publication_times_to_utc() -> None:
    drafts = by_uid(parse("fda_recalls", "basic.xml"))

    assert drafts[NGB].published_at == datetime(2018, 4, 24, 20, 5, tzinfo=UTC)  # 16:05 EDT
    assert drafts[DIVINITY].published_at == datetime(2018, 2, 21, 22, 30, tzinfo=UTC)  # 17:30 EST


def test_rss_parser_reads_midnight_postings_as_midnight_us_eastern_time() -> None:
    recalls = by_uid(parse("fda_recalls", "basic.xml"))
    press = by_uid(parse("fda_press_releases", "basic.xml"))

    assert recalls[NUTRIZONE].published_at == datetime(2018, 4, 26, 4, 0, tzinfo=UTC)  # 00:00 EDT
    assert press[METALS].published_at == datetime(2018, 11, 27, 5, 0, tzinfo=UTC)  # 00:00 EST


def test_rss_parser_turns_http_links_into_https_uids() -> None:
    drafts = by_uid(parse("fda_recalls", "basic.xml"))

    assert drafts[NUTRIZONE].raw["link"] == NUTRIZONE.replace("https://", "http://")
    assert drafts[NGB].raw["link"] == NGB  # this item was already published with https
    assert all(d.url == d.uid for d in drafts.values())


def test_rss_recall_parser_reads_firms_and_products_from_headlines() -> None:
    drafts = by_uid(parse("fda_recalls", "basic.xml"))

    assert drafts[NUTRIZONE].firms == ["NutriZone, LLC"]
    assert drafts[NGB].firms == ["NGB Corp"]
    assert drafts[NGB].products[0].name == "NxtGen Botanicals Maeng Da Kratom"
    assert drafts[DIVINITY].firms == ["Divinity Products Distribution"]
    assert drafts[DIVINITY].products[0].name == "Kratom Products"


def test_rss_recall_parser_splits_a_doing_business_as_firm_into_both_names() -> None:
    bedrock = by_uid(parse("fda_food_safety_recalls", "basic.xml"))[BEDROCK]

    assert bedrock.firms == ["Vanguard Enterprises, LLC", "Bedrock MFG"]
    assert bedrock.products[0].name == (
        "Monarch Premium Kratom Bali Gold, Red Bali, Green Maeng Da and White Elephant Powders"
    )


def test_food_safety_feed_keeps_kratom_recalls_and_drops_the_other_food_recalls() -> None:
    drafts = parse("fda_food_safety_recalls", "basic.xml")

    assert [d.uid for d in drafts] == [VIABLE, BEDROCK, SNI]
    assert {d.source for d in drafts} == {"fda_food_safety_recalls"}
    assert {d.kind for d in drafts} == {"recall"}


def test_food_safety_feed_reports_every_kratom_name_it_finds_in_order() -> None:
    sni = by_uid(parse("fda_food_safety_recalls", "basic.xml"))[SNI]

    assert sni.matched_terms == ["kratom", "mitragyna speciosa", "ketum"]
    assert sni.published_at == datetime(2014, 9, 15, 4, 0, tzinfo=UTC)


def test_recall_feed_items_classify_as_recalls_with_a_salmonella_hazard() -> None:
    ngb = classify(by_uid(parse("fda_recalls", "basic.xml"))[NGB])

    assert ngb.kind == "recall"
    assert ngb.hazards == ["salmonella"]
    assert ngb.severity == "high"


def test_press_release_parser_keeps_four_kratom_items_without_guessing_firms() -> None:
    drafts = parse("fda_press_releases", "basic.xml")

    assert [d.uid for d in drafts] == [FTC_JOINT, SEIZURE, WARNING, METALS]
    assert all(d.firms == [] and d.products == [] for d in drafts)
    assert {d.kind for d in drafts} == {"advisory"}


def test_press_release_items_classify_into_their_regulatory_kinds() -> None:
    kinds = {d.uid: classify(d).kind for d in parse("fda_press_releases", "basic.xml")}

    assert kinds == {
        FTC_JOINT: "ftc_joint",
        SEIZURE: "seizure",
        WARNING: "warning_letter",
        METALS: "advisory",
    }


def test_medwatch_parser_keeps_the_single_kratom_alert() -> None:
    drafts = parse("fda_medwatch", "basic.xml")

    assert len(drafts) == 1
    alert = drafts[0]
    assert alert.uid == (
        "https://www.fda.gov/safety/medical-product-safety-information/"
        "kratom-mitragyna-speciosa-fda-advisory-deaths-risk-addiction"
    )
    assert alert.title == "Kratom (Mitragyna speciosa): FDA Advisory - Deaths and Risk of Addiction"
    assert alert.matched_terms == ["kratom", "mitragyna speciosa"]
    assert alert.published_at == datetime(2017, 11, 14, 22, 0, tzinfo=UTC)
    assert (alert.agency, alert.jurisdiction, alert.kind) == ("FDA", "US", "advisory")
    assert alert.summary.startswith("AUDIENCE: Consumer, Health Professional ISSUE:")


# ------------------------------------------------------------------ openFDA enforcement


def test_openfda_food_parser_uses_recall_numbers_as_uids_and_keeps_the_h_prefix() -> None:
    drafts = parse("openfda_food_enforcement", "basic.json")

    assert [d.uid for d in drafts] == ["H-0417-2026", "F-1988-2014"]
    human_foods = drafts[0]
    assert human_foods.recall_number == "H-0417-2026"
    assert human_foods.url == (
        "https://api.fda.gov/food/enforcement.json?search=recall_number:%22H-0417-2026%22"
    )


def test_openfda_food_parser_reads_yyyymmdd_dates_as_utc_midnight() -> None:
    drafts = by_uid(parse("openfda_food_enforcement", "basic.json"))

    assert drafts["H-0417-2026"].published_at == datetime(2026, 1, 21, tzinfo=UTC)
    assert drafts["H-0417-2026"].initiated_on == date(2025, 12, 3)
    assert drafts["F-1988-2014"].published_at == datetime(2014, 6, 11, tzinfo=UTC)
    assert drafts["F-1988-2014"].initiated_on == date(2014, 5, 1)


def test_openfda_food_parser_collapses_tabs_and_double_spaces_in_product_descriptions() -> None:
    captain = by_uid(parse("openfda_food_enforcement", "basic.json"))["F-1988-2014"]

    assert "\t" in captain.raw["product_description"]
    assert (
        captain.products[0].name
        == "Captain Kratom kratom leaf capsules, 30 count and 60 count bottles"
    )
    assert captain.title == (
        "Prep Enterprises Llc: Class II recall of "
        "Captain Kratom kratom leaf capsules, 30 count and 60 count bottles"
    )


def test_openfda_food_parser_extracts_lot_codes_and_upcs_from_code_info() -> None:
    drafts = by_uid(parse("openfda_food_enforcement", "basic.json"))

    tablets = drafts["H-0417-2026"].products[0]
    assert tablets.lots == ["GB2509A", "GB2510C"]
    assert tablets.upcs == ["812345678901", "812345678918"]  # one written "8 12345 67890 1"
    assert drafts["F-1988-2014"].products[0].lots == ["CK0314", "CK0414"]
    assert drafts["F-1988-2014"].products[0].upcs == []


def test_openfda_food_parser_maps_firm_class_status_and_event() -> None:
    drafts = by_uid(parse("openfda_food_enforcement", "basic.json"))

    tablets, captain = drafts["H-0417-2026"], drafts["F-1988-2014"]
    assert (tablets.firms, tablets.recall_class, tablets.status) == (
        ["Gulfside Botanical Supply Inc."],
        "I",
        "ongoing",
    )
    assert (captain.firms, captain.recall_class, captain.status) == (
        ["Prep Enterprises Llc"],
        "II",
        "terminated",
    )
    assert (tablets.event_id, captain.event_id) == ("97713", "68164")
    assert {d.jurisdiction for d in drafts.values()} == {"US"}


def test_openfda_food_parser_treats_n_a_values_as_empty() -> None:
    captain = by_uid(parse("openfda_food_enforcement", "basic.json"))["F-1988-2014"]

    assert captain.raw["address_2"] == "N/A"
    assert captain.raw["more_code_info"] == "N/A"
    assert "N/A" not in captain.body
    assert "N/A" not in captain.summary


def test_openfda_food_parser_reads_regions_and_kratom_terms() -> None:
    drafts = by_uid(parse("openfda_food_enforcement", "basic.json"))

    assert drafts["H-0417-2026"].regions == ["US"]
    assert drafts["F-1988-2014"].regions == ["US-CA", "US-FL", "US-NY", "US-TX"]
    assert drafts["H-0417-2026"].matched_terms == ["7-hydroxymitragynine", "7-OH"]
    assert drafts["F-1988-2014"].matched_terms == ["kratom", "mitragyna speciosa"]


def test_openfda_food_records_classify_by_their_recall_class() -> None:
    drafts = by_uid(parse("openfda_food_enforcement", "basic.json"))

    tablets = classify(drafts["H-0417-2026"])
    captain = classify(drafts["F-1988-2014"])
    assert (tablets.kind, tablets.severity) == ("recall", "critical")
    assert "7oh_potency" in tablets.hazards
    assert (captain.kind, captain.severity) == ("recall", "moderate")


def test_openfda_no_match_body_counts_as_empty_only_with_status_404() -> None:
    body = payload("openfda_food_enforcement", "not_found.json")
    empty = get("openfda_food_enforcement").empty_response
    assert empty is not None

    assert empty(404, body) is True
    assert empty(200, body) is False
    assert empty(404, b"<html><title>Not Found</title></html>") is False
    assert empty(404, b'{"error": {"code": "BAD_REQUEST", "message": "Syntax error"}}') is False


def test_openfda_parser_refuses_a_no_match_body_as_a_list_of_results() -> None:
    with pytest.raises(ParseError, match="NOT_FOUND"):
        parse("openfda_food_enforcement", "not_found.json")


def test_openfda_drug_parser_reads_iso_dates() -> None:
    drafts = by_uid(parse("openfda_drug_enforcement", "basic.json"))

    assert b'"report_date": "2025-10-08"' in payload("openfda_drug_enforcement", "basic.json")
    assert drafts["D-0008-2026"].published_at == datetime(2025, 10, 8, tzinfo=UTC)
    assert drafts["D-0008-2026"].initiated_on == date(2025, 9, 17)
    assert drafts["D-0031-2026"].published_at == datetime(2025, 12, 17, tzinfo=UTC)
    assert drafts["D-0031-2026"].initiated_on == date(2025, 11, 20)


def test_openfda_drug_parser_links_records_to_the_drug_endpoint() -> None:
    drafts = parse("openfda_drug_enforcement", "basic.json")

    assert [d.uid for d in drafts] == ["D-0031-2026", "D-0008-2026"]
    assert {d.source for d in drafts} == {"openfda_drug_enforcement"}
    assert drafts[1].url == (
        "https://api.fda.gov/drug/enforcement.json?search=recall_number:%22D-0008-2026%22"
    )
    assert [(d.recall_class, d.status) for d in drafts] == [("III", "completed"), ("II", "ongoing")]
    assert drafts[0].products[0].lots == ["MV-2511"]
    assert drafts[1].matched_terms == ["7-hydroxymitragynine", "kratom", "7-OH"]


def test_openfda_parser_reads_every_lot_after_a_plural_lots_label() -> None:
    harbor = by_uid(parse("openfda_drug_enforcement", "basic.json"))["D-0008-2026"]

    assert harbor.raw["code_info"] == "Lots: HL25091, HL25094"
    assert harbor.products[0].lots == ["HL25091", "HL25094"]


# --------------------------------------------------------------------- Federal Register


def test_federal_register_parser_keys_documents_by_number_and_publication_date() -> None:
    first = parse("federal_register", "basic.json")
    second = parse("federal_register", "page2.json")

    assert [d.uid for d in first] == ["2021-99017@2021-08-16", "2016-24659@2016-10-13"]
    assert [d.uid for d in second] == ["2016-20803@2016-08-31"]
    assert second[0].published_at == datetime(2016, 8, 31, tzinfo=UTC)


def test_federal_register_parser_names_the_most_specific_agency() -> None:
    drafts = by_uid(parse("federal_register", "basic.json"))

    assert drafts["2016-24659@2016-10-13"].agency == "DEA"  # not its parent, the Justice Department
    assert drafts["2021-99017@2021-08-16"].agency == "FDA"  # not its parent, HHS


def test_federal_register_parser_tolerates_an_agency_entry_with_only_a_raw_name() -> None:
    intent = parse("federal_register", "page2.json")[0]

    assert intent.raw["agencies"][0] == {"raw_name": "DEPARTMENT OF JUSTICE"}
    assert intent.agency == "DEA"


def test_federal_register_parser_strips_search_highlighting_from_excerpts() -> None:
    drafts = by_uid(parse("federal_register", "basic.json"))

    withdrawal = drafts["2016-24659@2016-10-13"]
    assert withdrawal.body.startswith(
        "DEA withdraws the notice of intent on mitragynine and 7-hydroxymitragynine"
    )
    assert "<span" not in withdrawal.body
    assert withdrawal.body.endswith("2016 … 81 FR 70652 Docket No. DEA-442W")
    assert "review kratom & its alkaloids …" in drafts["2021-99017@2021-08-16"].body


def test_federal_register_parser_builds_title_url_and_terms() -> None:
    withdrawal = by_uid(parse("federal_register", "basic.json"))["2016-24659@2016-10-13"]

    assert withdrawal.title.startswith("Schedules of Controlled Substances: Withdrawal of Notice")
    assert withdrawal.url == (
        "https://www.federalregister.gov/documents/2016/10/13/2016-24659/"
        "schedules-of-controlled-substances-withdrawal-of-notice-of-intent-to-temporarily-place-"
        "mitragynine-and"
    )
    assert withdrawal.matched_terms == ["mitragynine", "7-hydroxymitragynine", "kratom"]
    assert withdrawal.summary.startswith(
        "Proposed Rule. Withdrawal of notice of intent; solicitation of comments. DEA is taking"
    )


def test_federal_register_next_page_follows_the_api_link_until_it_is_null() -> None:
    assert federal_register.next_page(payload("federal_register", "basic.json"), {}, "x") == (
        "https://www.federalregister.gov/api/v1/documents?conditions%5Bterm%5D=kratom%20%7C%20"
        "mitragynine&order=newest&page=2&per_page=2"
    )
    assert federal_register.next_page(payload("federal_register", "page2.json"), {}, "x") is None


def test_federal_register_dea_documents_classify_as_scheduling() -> None:
    drafts = [*parse("federal_register", "basic.json"), *parse("federal_register", "page2.json")]
    kinds = {d.uid: classify(d).kind for d in drafts}

    assert kinds == {
        "2021-99017@2021-08-16": "notice",
        "2016-24659@2016-10-13": "scheduling",
        "2016-20803@2016-08-31": "scheduling",
    }


def test_federal_register_summary_does_not_repeat_the_document_type() -> None:
    notice = by_uid(parse("federal_register", "basic.json"))["2021-99017@2021-08-16"]

    assert notice.summary.startswith("Notice. FDA asks for comments")


def test_federal_register_source_asks_for_every_field_the_parser_reads() -> None:
    url = get("federal_register").url
    asked = [
        part.removeprefix("fields%5B%5D=") for part in url.split("&") if "fields%5B%5D" in part
    ]

    assert sorted(asked) == sorted(federal_register.FIELDS)
    for name in ("document_number", "publication_date", "title", "html_url", "agencies"):
        assert name in asked
    assert {"effective_on", "comments_close_on", "dates"} <= set(asked)


def test_federal_register_parser_reads_effective_and_comment_dates_from_the_api_fields() -> None:
    drafts = by_uid(parse("federal_register", "basic.json"))

    assert drafts["2021-99017@2021-08-16"].events == [
        {"on": "2021-09-15", "what": "comments_close"}
    ]
    assert drafts["2016-24659@2016-10-13"].events == [
        {"on": "2016-10-13", "what": "effective"},
        {"on": "2016-12-01", "what": "comments_close"},
    ]


def test_federal_register_parser_finds_a_hearing_date_in_the_dates_text() -> None:
    final = by_uid(parse("federal_register", "dates.json"))["2027-90001@2027-01-05"]

    assert "January 20, 2027" in final.raw["dates"]  # the deadline to ask for a hearing
    assert final.events == [
        {"on": "2027-03-01", "what": "effective"},
        {"on": "2027-02-08", "what": "hearing"},
    ]
    assert classify(final).events == final.events


def test_federal_register_parser_skips_impossible_and_empty_dates() -> None:
    correction = by_uid(parse("federal_register", "dates.json"))["2027-90002@2027-01-12"]

    assert (correction.raw["effective_on"], correction.raw["dates"]) == ("2027-02-30", None)
    assert correction.events == []


def test_federal_register_parser_reads_the_dates_text_when_the_date_fields_are_missing() -> None:
    request = by_uid(parse("federal_register", "dates.json"))["2027-90003@2027-01-19"]

    assert "comments_close_on" not in request.raw
    assert request.events == [{"on": "2027-04-05", "what": "comments_close"}]


def test_federal_register_results_without_date_fields_still_parse() -> None:
    intent = parse("federal_register", "page2.json")[0]

    assert not {"effective_on", "comments_close_on", "dates"} & set(intent.raw)
    assert intent.events == []
    # A scheduling notice with no date fields gets its date from its own words.
    assert classify(intent).events == [{"on": "2016-09-30", "what": "scheduling"}]


# ------------------------------------------------------------------------ Health Canada


def test_health_canada_parser_keeps_only_kratom_records() -> None:
    drafts = parse("health_canada_recalls", "basic.json")

    assert [d.uid for d in drafts] == ["63020", "67433"]
    assert payload("health_canada_recalls", "basic.json").count(b'"NID"') == 5
    assert not [d for d in drafts if "Kratos" in d.title]


def test_health_canada_parser_strips_literal_quotes_and_decodes_entities_in_titles() -> None:
    garnoff = parse("health_canada_recalls", "basic.json")[0]

    assert garnoff.raw["Title"].startswith('"Garnoff') and garnoff.raw["Title"].endswith(' "')
    assert (
        garnoff.title == 'Garnoff Botanicals recalls unauthorized "High By Nature" kratom products'
    )


def test_health_canada_parser_unescapes_slashes_in_urls() -> None:
    drafts = parse("health_canada_recalls", "basic.json")

    assert b"https:\\/\\/recalls-rappels.canada.ca\\/en\\/alert-recall\\/" in payload(
        "health_canada_recalls", "basic.json"
    )
    assert drafts[0].url == (
        "https://recalls-rappels.canada.ca/en/alert-recall/"
        "garnoff-botanicals-recalls-unauthorized-high-nature-kratom-products"
    )


def test_health_canada_parser_reads_the_recall_class_from_type_wording() -> None:
    garnoff, culture = parse("health_canada_recalls", "basic.json")

    assert (garnoff.recall_class, garnoff.kind) == ("II", "recall")
    assert (culture.recall_class, culture.kind) == (None, "advisory")
    assert classify(culture).kind == "seizure"


def test_health_canada_parser_accepts_zero_and_yes_for_the_archived_flag() -> None:
    garnoff, culture = parse("health_canada_recalls", "basic.json")

    assert (garnoff.raw["Archived"], garnoff.status) == ("0", "active")
    assert (culture.raw["Archived"], culture.status) == ("Yes", "archived")


def test_health_canada_parser_marks_records_canadian_and_dates_them_by_last_update() -> None:
    garnoff, culture = parse("health_canada_recalls", "basic.json")

    assert (garnoff.jurisdiction, garnoff.agency) == ("CA", "Health Canada")
    assert garnoff.published_at == datetime(2017, 5, 26, tzinfo=UTC)
    assert culture.published_at == datetime(2019, 2, 14, tzinfo=UTC)
    assert culture.products[0].name == (
        "Botanicals Green, Red, Super Green and Maeng Da kratom powders; Red Bali"
    )
    assert culture.summary.startswith("Unauthorized product. Do not use these products.")


# ----------------------------------------------------------------------------- registry


@pytest.mark.parametrize("source", SOURCES, ids=lambda source: source.key)
def test_every_registered_source_has_a_basic_fixture_that_parses(source: Source) -> None:
    folder = FIXTURES / source.key
    assert folder.is_dir(), f"no fixture directory for {source.key}"
    basics = sorted(folder.glob("basic.*"))
    assert [path.name for path in basics] == [f"basic.{source.format}"]

    content = basics[0].read_bytes()
    if source.records is not None:  # kept as records; derive makes the alerts
        assert source.derive is not None and len(source.records(content)) >= 1
        return
    drafts = source.parse(content)

    assert len(drafts) >= 1
    assert {d.source for d in drafts} == {source.key}
    assert all(d.uid and d.title for d in drafts)
    if source.detail is None:  # rows with a detail page are judged on that page
        assert all(d.matched_terms for d in drafts)


def test_openfda_lot_lists_in_several_label_styles_are_all_read() -> None:
    from sources._openfda import lots_and_upcs

    assert lots_and_upcs("Lot LB-2203, Lot LB-2204; exp 2026") == (["LB-2203", "LB-2204"], [])
    assert lots_and_upcs("Lot #'s: 123A, 456B and 789C")[0] == ["123A", "456B", "789C"]
    assert lots_and_upcs("lot B# AAW.501.3")[0] == ["AAW.501.3"]
    assert lots_and_upcs("Lot numbers are printed on the bag") == ([], [])
