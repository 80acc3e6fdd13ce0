"""Where a Federal Register document stands in rulemaking, and whether it schedules a drug.

Read from the document's type, title and ``action`` line, for ``federal_register`` and
``federal_register_public_inspection``.
"""

from __future__ import annotations

import re

from alerts.text import squash

# ``type`` as the API prints it ("Proposed Rule") or as search conditions spell it.
_TYPE_CODES = {
    "rule": "RULE",
    "proposed rule": "PRORULE",
    "prorule": "PRORULE",
    "notice": "NOTICE",
    "presidential document": "PRESDOCU",
    "presdocu": "PRESDOCU",
}

STAGES = (
    "notice_of_intent",
    "temporary_order",
    "temporary_order_extension",
    "proposed_rule",
    "final_rule",
    "withdrawal",
    "correction",
    "recommendation",
    "presidential_document",
    "notice",
)
# A title's "Opioid Withdrawal" is a symptom, not a withdrawn document: titles need "of".
_WITHDRAWAL_TITLE = re.compile(r"\bwithdrawal of\b|\bwithdraw(?:n|s|ing)\b", re.I)
_WITHDRAWAL_ACTION = re.compile(r"\bwithdraw", re.I)
_CORRECTION = re.compile(r"\bcorrection\b|\bcorrecting amendments?\b", re.I)
_EXTENSION = re.compile(
    r"\bextension of (?:the )?temporary\b|\btemporary scheduling order;?\s*extension\b", re.I
)
_INTENT = re.compile(r"\bnotice of intent\b", re.I)
_TEMPORARY_ORDER = re.compile(r"\btemporary scheduling order\b|\btemporary amendment\b", re.I)
_TEMPORARY = re.compile(r"\btemporar(?:y|ily)\s+(?:placement|place|placing|schedul)", re.I)
_RECOMMENDATION = re.compile(r"\brecommend(?:ation|s|ed|ing)?\b", re.I)
_FINAL = re.compile(r"\bfinal rules?\b", re.I)
_PROPOSED = re.compile(r"\bproposed rule(?:s|making)?\b", re.I)


def stage_of(doc_type: str, title: str, action: str = "") -> str:
    """Where a document stands in rulemaking, one of ``STAGES``.

    The wording of the title and the ``action`` line decides first (in this order:
    withdrawal, correction, extension of a temporary order, notice of intent,
    temporary order, recommendation), then the document type: a Rule is a final rule,
    a Proposed Rule a proposed rule. DEA files its notices of intent to schedule
    temporarily as Proposed Rules titled "Temporary Placement of ...", and the
    temporary orders themselves as Rules with the same title, so "Temporary
    Placement" is an order only in a Rule. Anything unrecognised is a ``notice``.
    """
    code = _TYPE_CODES.get(squash(doc_type).lower(), "")
    wording = f"{title} ; {action}"
    if _WITHDRAWAL_TITLE.search(title) or _WITHDRAWAL_ACTION.search(action):
        return "withdrawal"
    if _CORRECTION.search(wording):
        return "correction"
    if _EXTENSION.search(wording):
        return "temporary_order_extension"
    if _INTENT.search(wording):
        return "notice_of_intent"
    if _TEMPORARY_ORDER.search(action) or (code == "RULE" and _TEMPORARY.search(wording)):
        return "temporary_order"
    if _TEMPORARY.search(wording):
        return "notice_of_intent"
    if _RECOMMENDATION.search(wording):
        return "recommendation"
    if code == "RULE" or _FINAL.search(wording):
        return "final_rule"
    if code == "PRORULE" or _PROPOSED.search(wording):
        return "proposed_rule"
    if code == "PRESDOCU":
        return "presidential_document"
    return "notice"


# US Controlled Substances Act wording. "International Drug Scheduling" notices (a WHO
# review) do not use it and stay notices: they are not a US scheduling action.
_CSA_WORDING = re.compile(
    r"\bcontrolled substances?\b|\bschedul(?:e|ed|ing)\s+(?:I{1,3}|IV|V)\b"
    r"|\btemporar(?:y|ily)\s+(?:placement|place|placing|schedul)",
    re.I,
)
_SCHEDULING_AGENCIES = frozenset({"DEA", "DOJ", "HHS", "FDA"})


def kind_of(agency: str, text: str) -> str:
    """``scheduling`` for a DEA/DOJ/HHS/FDA document in Controlled Substances Act terms
    (``text``: its title, action and abstract), else ``notice``."""
    if agency in _SCHEDULING_AGENCIES and _CSA_WORDING.search(text):
        return "scheduling"
    return "notice"
