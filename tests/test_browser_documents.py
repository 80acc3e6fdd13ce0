"""An analyst annotates an article in the dashboard and reads its claims beside their alerts,
in a real headless Chromium (same browser rules as ``tests/test_browser_staff.py``).
"""

from __future__ import annotations

from typing import Any

from tests.claimkit import add_alert
from tests.test_browser_staff import ADMIN, PASSWORD, Dashboard, _sign_in
from tests.test_browser_staff import dashboard as dashboard  # the fixture

ARTICLE = (
    "Why our customers choose kratom\n\n"
    "Our Red Bali powder eases the aches of opioid withdrawal in the first hard week.\n\n"
    "Shipping is free on orders over $50.\n\n"
    "White Vein capsules melt away anxiety after a stressful day."
)


def test_an_analyst_pastes_an_article_and_sees_each_claim_marked_beside_its_alerts(
    page: Any, dashboard: Dashboard
) -> None:
    from playwright.sync_api import expect

    letter = add_alert(
        dashboard.engine, 1, kind="warning_letter", on="2022-06-30",
        title="FDA and FTC warn kratom sellers over opioid withdrawal and anxiety claims",
        summary="The letters cite claims that kratom treats opioid withdrawal and anxiety.",
    )  # fmt: skip
    recall = add_alert(
        dashboard.engine, 2, kind="recall", on="2025-10-30",
        title="Kratom powder recalled for Salmonella",
    )  # fmt: skip

    page.goto(f"{dashboard.base}/staff/documents")
    _sign_in(page, ADMIN, PASSWORD)
    expect(page.locator("h1")).to_have_text("Claims in articles")
    page.get_by_label("Title", exact=True).fill("Why our customers choose kratom")
    page.locator("#text").fill(ARTICLE)
    dashboard.shot(page, "paste")
    page.get_by_role("button", name="Find claims and link alerts").click()

    marks = page.locator(".doc-para mark")
    expect(marks).to_have_count(2)
    expect(marks.nth(0)).to_contain_text("eases the aches of opioid withdrawal")
    expect(marks.nth(1)).to_contain_text("melt away anxiety")
    expect(page.locator(".doc")).to_contain_text("Shipping is free on orders over $50.")
    first = page.get_by_role("region", name="Claim 1")
    expect(first.locator(f'a[href="/staff/alerts/{letter}"]')).to_have_count(1)
    expect(first).to_contain_text("2022-06-30")
    expect(page.locator(f'a[href="/staff/alerts/{recall}"]')).to_have_count(0)
    dashboard.shot(page, "article")

    # The claim's number leads to its links; the link leads to the alert.
    first.locator(f'a[href="/staff/alerts/{letter}"]').click()
    expect(page.locator("h1")).to_contain_text("opioid withdrawal and anxiety claims")
    dashboard.shot(page, "alert")
