"""Every source the monitor knows, by key. The scheduler, CLI and tests iterate this."""

from __future__ import annotations

from sources import (
    fda_food_safety_recalls,
    fda_medwatch,
    fda_press_releases,
    fda_recalls,
    federal_register,
    health_canada_recalls,
    openfda_drug_enforcement,
    openfda_food_enforcement,
)
from sources.base import Source

SOURCES: tuple[Source, ...] = (
    fda_recalls.SOURCE,
    fda_food_safety_recalls.SOURCE,
    fda_press_releases.SOURCE,
    fda_medwatch.SOURCE,
    openfda_food_enforcement.SOURCE,
    openfda_drug_enforcement.SOURCE,
    federal_register.SOURCE,
    health_canada_recalls.SOURCE,
)
BY_KEY: dict[str, Source] = {source.key: source for source in SOURCES}


def get(key: str) -> Source:
    """The source with this key; KeyError names the known keys."""
    try:
        return BY_KEY[key]
    except KeyError:
        raise KeyError(f"unknown source {key!r}; known: {', '.join(BY_KEY)}") from None
