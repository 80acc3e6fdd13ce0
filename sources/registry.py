"""Every source the monitor knows, by key. The scheduler, CLI and tests iterate this."""

from __future__ import annotations

from sources import (
    cdc_mmwr,
    cdc_outbreaks,
    dea_press_releases,
    fda_food_safety_recalls,
    fda_import_alert_54_15,
    fda_kratom_page,
    fda_medwatch,
    fda_press_releases,
    fda_recalls,
    fda_warning_letters,
    federal_register,
    federal_register_public_inspection,
    ftc_press_releases,
    health_canada_recalls,
    legiscan,
    openfda_drug_enforcement,
    openfda_food_enforcement,
    openfda_food_event,
    openstates,
    regulations_gov,
)
from sources.base import Source

SOURCES: tuple[Source, ...] = (
    fda_recalls.SOURCE,
    fda_food_safety_recalls.SOURCE,
    fda_press_releases.SOURCE,
    fda_medwatch.SOURCE,
    fda_warning_letters.SOURCE,
    fda_import_alert_54_15.SOURCE,
    fda_kratom_page.SOURCE,
    openfda_food_enforcement.SOURCE,
    openfda_drug_enforcement.SOURCE,
    openfda_food_event.SOURCE,
    federal_register.SOURCE,
    federal_register_public_inspection.SOURCE,
    health_canada_recalls.SOURCE,
    legiscan.SOURCE,
    openstates.SOURCE,
    cdc_outbreaks.SOURCE,
    cdc_mmwr.SOURCE,
    ftc_press_releases.SOURCE,
    dea_press_releases.SOURCE,
    regulations_gov.SOURCE,
)
BY_KEY: dict[str, Source] = {source.key: source for source in SOURCES}


def get(key: str) -> Source:
    """The source with this key; KeyError names the known keys."""
    try:
        return BY_KEY[key]
    except KeyError:
        raise KeyError(f"unknown source {key!r}; known: {', '.join(BY_KEY)}") from None
