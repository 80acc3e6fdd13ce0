"""The mail a follower of a document gets when its claims gain alert links."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

SUBJECT_TITLE = 80


@dataclass(frozen=True)
class NewLinkLine:
    claim: str
    alert_title: str
    reason: str
    alert_url: str


def _one_line(text: str, limit: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def new_links_mail(
    *, title: str, url: str, lines: Sequence[NewLinkLine], staff_url: str
) -> tuple[str, str]:
    """Subject and plain text. The article's title is untrusted: one line, shortened."""
    name = _one_line(title, SUBJECT_TITLE) or "an article you follow"
    count = len(lines)
    subject = f"[kratom-monitor] {count} new alert link{'s' if count != 1 else ''}: {name}"
    parts = [
        f"New alerts bear on claims in {name}" + (f" ({url})" if url else "") + ":",
        "",
    ]
    for line in lines:
        parts += [
            f"Claim: \u201c{_one_line(line.claim, 300)}\u201d",
            f"  {_one_line(line.alert_title, 200)}",
            f"  {line.reason}",
            f"  {line.alert_url}",
            "",
        ]
    parts += [
        f"The article with its claims and links: {staff_url}",
        "You get this because you follow the article; unfollow it on that page.",
    ]
    return subject, "\n".join(parts) + "\n"
