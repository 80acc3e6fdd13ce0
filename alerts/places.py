"""Where an alert applies, as a set of keys a place filter can look up.

One rule serves mail fan-out (in Python) and feeds and the API (in SQL, through the
stored ``Alert.places`` column), so a subscriber and a feed with the same filter see the
same alerts.

A country code (``US``) takes everything in that country. A state code (``US-FL``) takes
alerts naming that state, and country-wide ones: those that name no state of the
country, or say nationwide. A recall sold only in Texas is not news in Florida.
"""

from __future__ import annotations

from collections.abc import Iterable

COUNTRY_WIDE = "-*"  # suffix of the key that marks an alert as concerning every state


def place_keys(jurisdiction: str, regions: Iterable[str]) -> list[str]:
    """The keys under which an alert is found: its places, their countries, ``US-*``."""
    regions = list(regions)
    places = {jurisdiction, *regions} - {""}
    countries = {p.split("-")[0] for p in places}
    keys = places | countries
    for country in countries:
        states = {p for p in places if p.startswith(f"{country}-")}
        if not states or country in regions:
            keys.add(f"{country}{COUNTRY_WIDE}")
    return sorted(keys)


def wanted_keys(wanted: Iterable[str]) -> list[str]:
    """The keys any of which an alert must have to match a filter on ``wanted`` places."""
    keys: set[str] = set()
    for code in wanted:
        keys.add(code)
        country, _, state = code.partition("-")
        if state:
            keys.add(f"{country}{COUNTRY_WIDE}")
    return sorted(keys)


def place_matches(wanted: frozenset[str], jurisdiction: str, regions: list[str]) -> bool:
    """Does an alert about ``jurisdiction``/``regions`` concern someone watching ``wanted``?"""
    return not set(wanted_keys(wanted)).isdisjoint(place_keys(jurisdiction, regions))
