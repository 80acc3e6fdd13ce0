"""Where kratom and 7-OH stand in law, per jurisdiction, and which rows staff should recheck.

``CURATED`` is a hand-kept table (facts from the project's reference timeline, each with
its source). ``status_table`` lays the store's rule-change alerts over it: the newest
``state_law`` or ``scheduling`` alert per jurisdiction is attached, and a row is flagged
for review when that alert is newer than what the row was curated from. A status is never
guessed from alert text; only people change ``CURATED``.

Jurisdiction codes are ISO 3166: a country (``TH``) or a subdivision (``US-IN``).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlmodel import Session, col

from alerts.filters import AlertFilter, conditions
from alerts.models import Alert
from alerts.places import COUNTRY_WIDE, place_keys

STATUSES = ("banned", "scheduled", "regulated", "7oh_restricted", "legal", "unknown")
STATUS_LABELS = {
    "banned": "banned",
    "scheduled": "controlled substance",
    "regulated": "regulated (consumer protection)",
    "7oh_restricted": "7-OH products restricted",
    "legal": "not controlled",
    "unknown": "unknown",
}
CONFIDENCES = ("C", "C*", "M")
# The alert kinds that report a change in the law.
RULE_KINDS = ("scheduling", "state_law")

CODE = re.compile(r"^[A-Z]{2}(?:-[A-Z0-9]{1,3})?$")
# ISO 8601 at the precision the source supports: a day, a month or a year.
SINCE = re.compile(r"^\d{4}(?:-\d{2}(?:-\d{2})?)?$")


@dataclass(frozen=True)
class Curated:
    """One hand-kept row.

    ``status``: one of ``STATUSES``. ``banned`` means prohibited by a law other than a
    drug schedule; ``scheduled`` means listed as a controlled substance. ``since``: when
    the status took effect, as ``YYYY-MM-DD``, ``YYYY-MM`` or ``YYYY`` when the source
    supports no more. ``source``: the address the fact was taken from, or None when the
    reference names its sources without an address (``note`` then says so).
    ``confidence``: ``C`` confirmed from the cited material, ``C*`` from a secondary page
    only, ``M`` unconfirmed (the reference's legend).
    """

    code: str
    name: str
    status: str
    since: str
    what: str
    source: str | None
    confidence: str = "C*"
    note: str = ""


# Facts from /work/shared/reference/kratom-timeline.md (and agency-sources.md); wording ours.
# Left out on purpose: local bans (cities and counties have no ISO code; Sarasota County is
# noted on Florida), the "21 in 2020" lobbying list (a campaign, not a law), and the KCPA or
# age laws the timeline marks unconfirmed with no source (OK, TX, TN, VA, WV, MS).
_NO_ADDRESS = "The reference cites unnamed vendor and legal pages, with no address."
CURATED: tuple[Curated, ...] = (
    Curated(
        code="AU",
        name="Australia",
        status="scheduled",
        since="2004-09-01",
        what="Mitragynine and the kratom plant are Schedule 9 (prohibited) in the Poisons "
        "Standard.",
        source="https://erowid.org/plants/kratom/kratom_law1.shtml",
        note="Mitragynine was listed in October 2003 and the plant in February 2004; state "
        "laws put the listing into force on 2004-09-01.",
    ),
    Curated(
        code="CA",
        name="Canada",
        status="unknown",
        since="2018-05",
        what="Health Canada has authorized no kratom product and recalled or seized "
        "unauthorized ones in 2017 and 2018.",
        source="https://edmontonjournal.com/",
        note="No statute is recorded. The date is the month of the Edmonton seizure, reported "
        "on 2018-05-08.",
    ),
    Curated(
        code="GB",
        name="United Kingdom",
        status="banned",
        since="2016-05-26",
        what="Supplying or importing kratom is an offence under the Psychoactive Substances "
        "Act 2016, with up to seven years in prison.",
        source=None,
        note="Royal Assent was on 2016-01-28. The reference names its sources (a Wikipedia "
        "mirror, Mixmag, Govwire) with no address.",
    ),
    Curated(
        code="NL",
        name="Netherlands",
        status="unknown",
        since="2025",
        what="The Trade and Industry Appeals Tribunal (CBb) ruled on whether kratom is a "
        "food or a novel food; the outcome is not recorded.",
        source="https://ploum.nl/",
        note="Year only: the judgment's date is unknown; a blog reported it on 2025-10-23.",
    ),
    Curated(
        code="TH",
        name="Thailand",
        status="regulated",
        since="2022-08-27",
        what="The Kratom Plant Act licenses imports and exports, bars sales to people under "
        "18 and to pregnant or nursing women, and limits advertising.",
        source="https://tilleke.com/",
        note="Banned by the Kratom Act of 1943; taken off the narcotics list on 2021-08-24 "
        "(Narcotics Act No. 8), which cleared about 1,000 past convictions.",
    ),
    Curated(
        code="US",
        name="United States (federal)",
        status="legal",
        since="2016-10-13",
        what="Neither kratom nor 7-OH is federally scheduled: DEA withdrew its 2016 notice "
        "to put mitragynine and 7-OH in Schedule I.",
        source="https://thefederalregister.org/81-FR/70652",
        confidence="C",
        note="HHS withdrew its Schedule I recommendation on 2018-08-16. FDA asked DEA on "
        "2025-07-29 to schedule 7-OH; no DEA order was found after it. FDA still detains "
        "kratom imports (Import Alert 54-15).",
    ),
    Curated(
        code="US-AL",
        name="Alabama",
        status="scheduled",
        since="2016-05-10",
        what="Kratom's alkaloids are in Schedule I of Alabama's drug law.",
        source="https://otiesbotanicals.com/",
    ),
    Curated(
        code="US-AR",
        name="Arkansas",
        status="scheduled",
        since="2016-02",
        what="Mitragynine and 7-OH are in Schedule I of Arkansas's drug law.",
        source="https://otiesbotanicals.com/",
    ),
    Curated(
        code="US-AZ",
        name="Arizona",
        status="regulated",
        since="2019-04",
        what="Governor Ducey signed a Kratom Consumer Protection Act and called for federal rules.",
        source="https://kratomsociety.com/",
    ),
    Curated(
        code="US-CO",
        name="Colorado",
        status="regulated",
        since="2024-07-01",
        what="Kratom sellers must label products and sell only to people 21 or older, and "
        "may not mix in fentanyl or other controlled substances ($200 civil fine).",
        source="https://fastdemocracy.com/",
        note="Passed in 2022 (2022A session); in force from 2024-07-01. The revenue "
        "department owed a feasibility report by 2023-01-04.",
    ),
    Curated(
        code="US-DC",
        name="District of Columbia",
        status="banned",
        since="2016",
        what="Kratom is banned in the District.",
        source=None,
        note="The reference says only that the ban was in place before 2017, so 2016 is "
        f"the latest year it can date from. {_NO_ADDRESS}",
    ),
    Curated(
        code="US-FL",
        name="Florida",
        status="7oh_restricted",
        since="2025-08-13",
        what="An Attorney General emergency rule put products over 1% 7-OH by weight in "
        "Schedule I of Florida's drug law, at once.",
        source="https://mondaq.com/",
        note="A bill to regulate kratom itself (CS/HB 1489) died in committee on "
        "2025-06-16. Sarasota County has a local kratom ban.",
    ),
    Curated(
        code="US-GA",
        name="Georgia",
        status="regulated",
        since="2019",
        what="Governor Kemp signed a Kratom Consumer Protection Act.",
        source="https://kratomsociety.com/",
        note="Year only: signed in April or May 2019, the reference does not say which.",
    ),
    Curated(
        code="US-IN",
        name="Indiana",
        status="banned",
        since="2014",
        what="Kratom is banned in Indiana.",
        source=None,
        note=f"Year only, and unconfirmed: the reference marks 2014 as unverified. {_NO_ADDRESS}",
    ),
    Curated(
        code="US-LA",
        name="Louisiana",
        status="scheduled",
        since="2025-08-01",
        what="Kratom's alkaloids went into Schedule I, a statewide ban with fines of up to "
        "$50,000.",
        source="https://georgiawrongfuldeathattorney.com/",
    ),
    Curated(
        code="US-ND",
        name="North Dakota",
        status="unknown",
        since="2025-04-28",
        what="The legislature ordered a study of kratom (HB 1566); no sales law is recorded.",
        source="https://ibogaineforkratom.com/",
    ),
    Curated(
        code="US-NV",
        name="Nevada",
        status="regulated",
        since="2019",
        what="Nevada has a Kratom Consumer Protection Act.",
        source="https://kratomkaps.com/",
        note="Year only: the reference gives no month.",
    ),
    Curated(
        code="US-RI",
        name="Rhode Island",
        status="banned",
        since="2017",
        what="Kratom is banned in Rhode Island.",
        source=None,
        note="Year only, and unconfirmed: the reference marks 2017 as unverified and also "
        f"lists the ban among those in place before 2017. {_NO_ADDRESS}",
    ),
    Curated(
        code="US-UT",
        name="Utah",
        status="regulated",
        since="2019-03",
        what="The Kratom Consumer Protection Act (SB 58) requires labels, forbids adulterated "
        "products, sets a minimum age of 21 and has sellers register with the Department "
        "of Agriculture and Food.",
        source="https://le.utah.gov/~2019/bills/sbillamd/SB0058S01.htm",
        confidence="C",
    ),
    Curated(
        code="US-VT",
        name="Vermont",
        status="banned",
        since="2016",
        what="Kratom is banned in Vermont.",
        source=None,
        note=f"Year only, and unconfirmed: the reference marks 2016 as unverified. {_NO_ADDRESS}",
    ),
    Curated(
        code="US-WI",
        name="Wisconsin",
        status="banned",
        since="2014",
        what="Kratom is banned in Wisconsin.",
        source=None,
        note=f"Year only, and unconfirmed: the reference marks 2014 as unverified. {_NO_ADDRESS}",
    ),
)


@dataclass(frozen=True)
class LatestAlert:
    """The newest rule-change alert about a jurisdiction; ``date`` is its UTC day."""

    id: int
    title: str
    date: dt.date
    url: str


@dataclass(frozen=True)
class JurisdictionStatus:
    """One row of the overview: the curated facts, if any, and the newest rule alert.

    ``curated`` is False for a jurisdiction known only from alerts (status ``unknown``,
    empty ``since``). ``changed_since_curated`` asks staff to review the row: an alert is
    newer than ``since``, or no one has curated the jurisdiction yet.
    """

    code: str
    name: str
    status: str
    since: str
    what: str
    source: str | None
    confidence: str
    note: str
    curated: bool
    latest_alert: LatestAlert | None
    changed_since_curated: bool


def since_start(since: str) -> dt.date:
    """The first day of ``since`` (``2019`` -> 2019-01-01); ValueError when malformed."""
    if not SINCE.match(since):
        raise ValueError(f"not an ISO date, year-month or year: {since!r}")
    parts = [int(p) for p in since.split("-")] + [1, 1]
    return dt.date(parts[0], parts[1], parts[2])


def is_newer(day: dt.date, since: str) -> bool:
    """Is an alert of ``day`` newer than a row curated ``since``?

    When ``since`` is only a month or a year, an alert inside that period counts as newer:
    it may be the change itself or a later one, and staff are the ones to tell.
    """
    start = since_start(since)
    exact = since.count("-") == 2
    return day > start if exact else day >= start


def alert_codes(jurisdiction: str, regions: list[str]) -> set[str]:
    """The jurisdictions an alert is about: those it names, and its country when it is
    country-wide (an alert naming Ohio is not about the United States as a whole)."""
    keys = set(place_keys(jurisdiction, regions))
    named = {k for k in keys if "-" in k and not k.endswith(COUNTRY_WIDE)}
    countries = {k for k in keys if "-" not in k and f"{k}{COUNTRY_WIDE}" in keys}
    return {code for code in named | countries if CODE.match(code)}


def latest_rule_alerts(session: Session) -> dict[str, LatestAlert]:
    """The newest ``state_law`` or ``scheduling`` alert per jurisdiction code.

    Newest by publication time, else first-seen time; ties go to the higher id. Rule
    changes are rare, so they are reduced here rather than in SQL over JSON places.
    """
    dialect = session.get_bind().dialect.name
    query = select(
        col(Alert.id),
        col(Alert.title),
        col(Alert.url),
        col(Alert.published_at),
        col(Alert.first_seen_at),
        col(Alert.jurisdiction),
        col(Alert.regions),
    ).where(*conditions(AlertFilter(kinds=RULE_KINDS), dialect))
    newest: dict[str, tuple[dt.datetime, int, LatestAlert]] = {}
    rows = session.connection().execute(query)
    for alert_id, title, url, published_at, first_seen_at, jurisdiction, regions in rows:
        if alert_id is None:
            continue
        moment = published_at or first_seen_at
        latest = LatestAlert(id=alert_id, title=title, date=moment.date(), url=url)
        for code in alert_codes(jurisdiction, list(regions or [])):
            known = newest.get(code)
            if known is None or (moment, alert_id) > (known[0], known[1]):
                newest[code] = (moment, alert_id, latest)
    return {code: latest for code, (_, _, latest) in newest.items()}


def _sort_key(row: JurisdictionStatus) -> tuple[str, bool, str, str]:
    country, _, subdivision = row.code.partition("-")
    return country, bool(subdivision), row.name.casefold(), row.code


def status_table(
    session: Session, *, curated: tuple[Curated, ...] = CURATED
) -> list[JurisdictionStatus]:
    """The curated rows with the store's newest rule alert on each, plus a row (status
    ``unknown``) for each jurisdiction that only alerts name.

    Sorted by country code, the country itself first, then by name. ValueError when two
    curated rows share a code or a ``since`` is malformed.
    """
    codes = [row.code for row in curated]
    if len(set(codes)) != len(codes):
        raise ValueError("curated rows repeat a jurisdiction code")
    latest = latest_rule_alerts(session)
    rows: list[JurisdictionStatus] = []
    for row in curated:
        alert = latest.pop(row.code, None)
        rows.append(
            JurisdictionStatus(
                code=row.code,
                name=row.name,
                status=row.status,
                since=row.since,
                what=row.what,
                source=row.source,
                confidence=row.confidence,
                note=row.note,
                curated=True,
                latest_alert=alert,
                changed_since_curated=alert is not None and is_newer(alert.date, row.since),
            )
        )
    for code, alert in latest.items():
        rows.append(
            JurisdictionStatus(
                code=code,
                name=code,
                status="unknown",
                since="",
                what="",
                source=None,
                confidence="",
                note="Not curated: known only from alerts.",
                curated=False,
                latest_alert=alert,
                changed_since_curated=True,
            )
        )
    return sorted(rows, key=_sort_key)
