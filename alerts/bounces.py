"""Bounces: read delivery reports sent back to our VERP address and act on them.

``parse`` turns one message into ``Bounce`` records. A standard bounce is an RFC 3464
delivery status notification (``multipart/report; report-type=delivery-status``): one
record per per-recipient block. A non-standard bounce (a mailer-daemon's plain-text
"could not deliver" note) is accepted only when it is addressed to one of our signed
bounce addresses and names an SMTP 5xx/4xx reply. Everything else (auto-replies, read
receipts, normal mail, garbage) gives no records. The bytes are untrusted: parsing
never raises on them, and reads at most ``MAX_MESSAGE_BYTES`` of a message and
``MAX_PART_BYTES`` of each part.

``apply`` and ``process`` record the outcome on the subscriber (status codes per
RFC 3463: 5.x.x permanent, 4.x.x transient); the caller owns the transaction.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from email import message_from_bytes
from email.errors import HeaderParseError
from email.header import decode_header
from email.message import Message
from email.parser import HeaderParser
from email.policy import compat32
from email.utils import getaddresses

from sqlalchemy import update
from sqlmodel import Session, col, select

from alerts import subscriptions, tokens
from alerts.models import Subscriber

MAX_MESSAGE_BYTES = 4 * 1024 * 1024
MAX_PART_BYTES = 1024 * 1024
MAX_PARTS = 100  # MIME parts looked at per message
MAX_RECIPIENTS = 100  # per-recipient blocks read per report
MAX_DIAGNOSTIC = 500  # characters kept of a diagnostic text

# Headers that may carry our VERP address: on the report itself (where the bounce was
# delivered) and on the returned message's headers (its envelope sender).
VERP_HEADERS = (
    "to",
    "delivered-to",
    "x-original-to",
    "envelope-to",
    "x-envelope-to",
    "return-path",
)
OUTCOMES = ("suppressed", "soft", "ignored", "unknown-recipient")

_STATUS = re.compile(r"(?<![\w.])[245]\.\d{1,3}\.\d{1,3}(?!\.?\d)")
_REPLY_WITH_STATUS = re.compile(r"(?<![\w.])([45][0-5]\d)[ -]+#?([45]\.\d{1,3}\.\d{1,3})\b")
_REPLY = re.compile(
    r"(?:^|said:|reply:|error:|smtp;|\bsmtp\b)[ \t]*([45][0-5]\d)(?=[ -])", re.I | re.M
)
_BOUNCE_SUBJECT = re.compile(
    r"undeliver|delivery (?:status|fail|notification|problem)|failure notice|returned mail|"
    r"mail delivery (?:failed|subsystem|system)|could not be delivered|non-?delivery",
    re.I,
)
_AUTOREPLY_SUBJECT = re.compile(
    r"^\s*(?:out of (?:the )?office|automatic reply|auto(?:matic)?[- ]?(?:reply|response)|"
    r"auto:|away from)",
    re.I,
)
_DAEMONS = ("mailer-daemon", "postmaster", "mail-daemon", "mail.daemon")
# Where a non-standard bounce starts quoting the returned message: codes below it are
# our own text, not the remote server's reply.
_QUOTE_START = re.compile(
    r"^\s*-*\s*(?:below this line is a copy of the message|this is a copy of the message|"
    r"original message (?:follows|headers)|the original message was|"
    r"-+\s*original message\s*-+)",
    re.I | re.M,
)
_ADDRESS = re.compile(r"<?([A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,63})>?")


@dataclass(frozen=True)
class Bounce:
    """One recipient's delivery report.

    ``recipient`` is the address as reported (domain lower-cased; "" when unreadable),
    ``action`` one of failed/delayed/delivered/relayed/expanded (or "" when missing),
    ``status`` an RFC 3463 code such as ``"5.1.1"`` (or ""), ``subscriber_id`` the id in
    our signed VERP address when the report came back to one, ``standard`` False for a
    bounce read from free text rather than a delivery-status part.
    """

    recipient: str
    action: str
    status: str
    diagnostic: str
    subscriber_id: int | None = None
    standard: bool = True

    @property
    def hard(self) -> bool:
        """A permanent failure: the address should get no more mail."""
        return self.action == "failed" and self.status.startswith("5.")

    @property
    def soft(self) -> bool:
        """A transient failure (mailbox full, greylisting, ...): counted, not yet fatal."""
        return self.action in ("failed", "delayed") and self.status.startswith("4.")


# --- parsing ---------------------------------------------------------------------------


def parse(raw: bytes, *, secret: str, now: datetime) -> list[Bounce]:
    """The bounces one message reports; [] when it is not a bounce or cannot be read.

    Never raises on the message's content: a truncated report gives the blocks that
    were complete. A VERP token that is forged, foreign or unreadable gives
    ``subscriber_id=None``.
    """
    try:
        message = message_from_bytes(raw[:MAX_MESSAGE_BYTES], policy=compat32)
        return _parse(message, secret, now)
    except Exception:  # the stdlib parser on hostile bytes: any failure means "not readable"
        return []


def _parse(message: Message, secret: str, now: datetime) -> list[Bounce]:
    parts = _parts(message)
    subscriber_id = _verp_id([message, *_returned_headers(parts)], secret, now)
    reports = [p for p in parts if p.get_content_type().endswith("delivery-status")]
    if reports:
        found: list[Bounce] = []
        for report in reports:
            for block in _status_blocks(report)[1:]:  # the first block is per-message
                bounce = _recipient_bounce(block, subscriber_id)
                if bounce is not None:
                    found.append(bounce)
        return found[:MAX_RECIPIENTS]
    if subscriber_id is None or not _looks_like_bounce(message):
        return []
    return _free_text_bounce(parts, subscriber_id)


def _parts(message: Message) -> list[Message]:
    parts: list[Message] = []
    for part in message.walk():
        parts.append(part)
        if len(parts) >= MAX_PARTS:
            break
    return parts


def _status_blocks(part: Message) -> list[Message]:
    """The field blocks of a delivery-status part (per-message first, then per-recipient)."""
    payload = part.get_payload()
    if part.get_content_type() == "message/delivery-status" and isinstance(payload, list):
        return [b for b in payload if isinstance(b, Message)]
    # message/global-delivery-status (RFC 6533) is parsed as one message: its header
    # block is the per-message fields and its body holds the per-recipient blocks.
    first = payload[0] if isinstance(payload, list) and payload else None
    body = first.get_payload() if isinstance(first, Message) else payload
    blocks = [first] if isinstance(first, Message) else []
    if isinstance(body, str):
        text = body[:MAX_PART_BYTES]
        blocks += [HeaderParser(policy=compat32).parsestr(c) for c in re.split(r"\n\s*\n", text)]
    return blocks


def _recipient_bounce(block: Message, subscriber_id: int | None) -> Bounce | None:
    recipient = _recipient(_header(block, "original-recipient")) or _recipient(
        _header(block, "final-recipient")
    )
    if not recipient:
        return None
    diagnostic = _diagnostic(_header(block, "diagnostic-code"))
    found = _STATUS.search(_header(block, "status")) or _STATUS.search(diagnostic)
    status = found.group(0) if found else _reply_status(diagnostic)
    action = _header(block, "action").lower().split(" ")[0]
    if not action and status:
        action = {"5": "failed", "4": "delayed", "2": "delivered"}[status[0]]
    return Bounce(recipient, action, status, diagnostic, subscriber_id)


def _recipient(field: str) -> str:
    """``rfc822; Alice@Example.COM`` -> ``Alice@example.com``; "" when there is none."""
    address = field.partition(";")[2] if ";" in field else field
    words = address.split()
    address = words[0].strip("<>") if words else ""
    if not address:
        return ""
    local, at, domain = address.rpartition("@")
    return f"{local}@{domain.lower()}"[:320] if at and local else address[:320]


def _diagnostic(field: str) -> str:
    """The text of a Diagnostic-Code, without its ``smtp;`` type prefix."""
    kind, semicolon, text = field.partition(";")
    if semicolon and re.fullmatch(r"[A-Za-z0-9-]{1,20}", kind.strip()):
        field = text
    return field.strip()[:MAX_DIAGNOSTIC]


def _reply_status(text: str) -> str:
    """``"5.0.0"`` for a text naming SMTP reply 550 and no enhanced code; "" for none."""
    found = _REPLY.search(text) or re.match(r"\s*([45]\d\d)\b", text)
    return f"{found.group(1)[0]}.0.0" if found else ""


def _returned_headers(parts: list[Message]) -> list[Message]:
    """The header blocks of returned messages (message/rfc822 or text/rfc822-headers)."""
    found: list[Message] = []
    for part in parts:
        kind = part.get_content_type()
        payload = part.get_payload()
        if kind == "message/rfc822" and isinstance(payload, list) and payload:
            if isinstance(payload[0], Message):
                found.append(payload[0])
        elif kind == "text/rfc822-headers":
            found.append(HeaderParser(policy=compat32).parsestr(_text(part)))
    return found


def _verp_id(sources: list[Message], secret: str, now: datetime) -> int | None:
    """The subscriber id of the first validly signed bounce address in these headers."""
    for source in sources:
        for name in VERP_HEADERS:
            for _, address in getaddresses(_headers(source, name)):
                if not address.lower().startswith("bounces+"):
                    continue
                try:
                    return tokens.subscriber_from_bounce_address(secret, address, now=now)
                except tokens.TokenError:
                    continue
    return None


def _looks_like_bounce(message: Message) -> bool:
    """From a mail system rather than a person, and not an auto-reply or other report."""
    if message.get_content_type() == "multipart/report":
        return False  # a read receipt or a complaint report, not a delivery report
    subject = _header(message, "subject")
    sender = " ".join(a for _, a in getaddresses(_headers(message, "from"))).lower()
    daemon = any(d in sender for d in _DAEMONS)
    autoreply = (
        _header(message, "x-autoreply") != ""
        or _header(message, "x-autorespond") != ""
        or _header(message, "precedence").lower() == "auto_reply"
        or bool(_AUTOREPLY_SUBJECT.search(subject))
    )
    if autoreply and not daemon:
        return False
    null_sender = _header(message, "return-path").strip("<> ") == "" and bool(
        _headers(message, "return-path")
    )
    return daemon or null_sender or bool(_BOUNCE_SUBJECT.search(subject))


def _free_text_bounce(parts: list[Message], subscriber_id: int) -> list[Bounce]:
    inside_returned = {
        id(p) for r in parts if r.get_content_type() == "message/rfc822" for p in _parts(r)
    }
    for part in parts:
        if part.get_content_maintype() != "text" or id(part) in inside_returned:
            continue
        if part.get_content_type() == "text/rfc822-headers":
            continue
        text = _text(part)
        quote = _QUOTE_START.search(text)
        text = text[: quote.start()] if quote else text
        bounce = _reply_bounce(text, parts, subscriber_id)
        if bounce is not None:
            return [bounce]
    return []


def _reply_bounce(text: str, parts: list[Message], subscriber_id: int) -> Bounce | None:
    found = _REPLY_WITH_STATUS.search(text)
    if found:
        reply, status = found.group(1), found.group(2)
    else:
        bare = _REPLY.search(text)
        if bare is None:
            return None
        reply = bare.group(1)
        status = f"{reply[0]}.0.0"
        found = bare
    start = text.rfind("\n", 0, found.start()) + 1
    end = text.find("\n", found.end())
    diagnostic = " ".join(text[start : end if end >= 0 else len(text)].split())[:MAX_DIAGNOSTIC]
    action = "failed" if reply.startswith("5") else "delayed"
    recipient = _free_text_recipient(text, parts)
    return Bounce(recipient, action, status, diagnostic, subscriber_id, standard=False)


def _free_text_recipient(text: str, parts: list[Message]) -> str:
    for headers in _returned_headers(parts):
        for _, address in getaddresses(_headers(headers, "to")):
            if "@" in address:
                return _recipient(address)
    for match in _ADDRESS.finditer(text):
        address = match.group(1)
        lowered = address.lower()
        if not lowered.startswith("bounces+") and not any(d in lowered for d in _DAEMONS):
            return _recipient(address)
    return ""


# --- safe header and body access --------------------------------------------------------


def _headers(message: Message, name: str) -> list[str]:
    """Every value of header ``name``, decoded (RFC 2047, raw UTF-8) and unfolded."""
    return [_decode(value) for key, value in message.raw_items() if key.lower() == name and value]


def _header(message: Message, name: str) -> str:
    values = _headers(message, name)
    return values[0] if values else ""


def _decode(value: object) -> str:
    # compat32 keeps undecodable header bytes as surrogates; turn them back into bytes.
    text = str(value).encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    try:
        decoded = decode_header(text)
    except HeaderParseError:  # a broken encoded word: keep the header as written
        return " ".join(text.split())
    chunks: list[str] = []
    for chunk, charset in decoded:
        if isinstance(chunk, str):
            chunks.append(chunk)
            continue
        try:
            # decode_header hands back plain text next to encoded words as raw-unicode-escape.
            chunks.append(chunk.decode(charset or "raw-unicode-escape", "replace"))
        except (LookupError, UnicodeDecodeError):
            chunks.append(chunk.decode("utf-8", "replace"))
    return " ".join("".join(chunks).split())


def _text(part: Message) -> str:
    """At most MAX_PART_BYTES of a part's decoded body, as text."""
    body = part.get_payload(decode=True)
    if not isinstance(body, bytes):
        return ""
    charset = part.get_content_charset() or "utf-8"
    try:
        return body[:MAX_PART_BYTES].decode(charset, "replace")
    except LookupError:
        return body[:MAX_PART_BYTES].decode("utf-8", "replace")


# --- mailboxes ----------------------------------------------------------------------------


# ``From <sender> <date>``: a date with a time sets a separator apart from a body line
# that happens to start with "From " (an mbox writer that did not escape it).
_SEPARATOR = re.compile(rb"^From \S+ [^\r\n]*\d:\d\d[^\r\n]*\r?\n", re.M)
_ESCAPED_FROM = re.compile(rb"^>(>*From )", re.M)


def split_mailbox(data: bytes) -> list[bytes]:
    """The messages of an mbox export; a single RFC 5322 message gives ``[data]``.

    A ``From <sender> <date>`` line opens a message when it starts the file or follows
    a blank line; ``>From `` escapes (mboxrd) lose one ``>``. Empty input gives [].
    """
    if not data.strip():
        return []
    if not _SEPARATOR.match(data):
        return [data]
    starts = [
        m
        for m in _SEPARATOR.finditer(data)
        if m.start() == 0 or data[: m.start()].endswith((b"\n\n", b"\r\n\r\n"))
    ]
    messages: list[bytes] = []
    for index, separator in enumerate(starts):
        end = starts[index + 1].start() if index + 1 < len(starts) else len(data)
        body = _ESCAPED_FROM.sub(rb"\1", data[separator.end() : end])
        if body.strip():
            messages.append(body)
    return messages


# --- acting on bounces ---------------------------------------------------------------------


def _subscriber(session: Session, bounce: Bounce) -> Subscriber | None:
    """The subscriber a bounce is about: by its VERP id, else by the reported address."""
    if bounce.subscriber_id is not None:
        subscriber = session.get(Subscriber, bounce.subscriber_id)
        if subscriber is not None:
            return subscriber
    if not bounce.recipient:
        return None
    return session.exec(select(Subscriber).where(Subscriber.email == bounce.recipient)).first()


def apply(session: Session, bounce: Bounce, *, now: datetime, soft_limit: int) -> str:
    """Record one bounce on its subscriber and say what happened (one of ``OUTCOMES``).

    A hard bounce suppresses the subscriber. A soft bounce adds one to ``soft_bounces``
    and suppresses at ``soft_limit``. Other reports (delivered, relayed, expanded, or
    without a usable status) change nothing: ``"ignored"``. An already suppressed
    subscriber is left as it is (``"suppressed"``): only confirming again
    (``subscriptions.confirm``) lifts a suppression. ``"unknown-recipient"`` when no
    subscriber matches. Raises ValueError when ``soft_limit`` is below 1.
    """
    return _apply(session, bounce, now=now, soft_limit=soft_limit, counted=set())


def _apply(
    session: Session, bounce: Bounce, *, now: datetime, soft_limit: int, counted: set[int]
) -> str:
    if soft_limit < 1:
        raise ValueError(f"soft_limit must be at least 1, got {soft_limit}")
    if not (bounce.hard or bounce.soft):
        return "ignored"
    subscriber = _subscriber(session, bounce)
    if subscriber is None or subscriber.id is None:
        return "unknown-recipient"
    if subscriber.status == "suppressed":
        return "suppressed"
    detail = f": {bounce.diagnostic}" if bounce.diagnostic else ""
    if bounce.hard:
        reason = f"hard bounce {bounce.status}{detail}"
        subscriptions.suppress(session, subscriber, reason=reason, now=now)
        return "suppressed"
    if subscriber.id in counted:
        return "ignored"  # one message counts once, however many addresses it lists
    counted.add(subscriber.id)
    # In the database, so two processes reading bounces at once both count.
    session.connection().execute(
        update(Subscriber)
        .where(col(Subscriber.id) == subscriber.id)
        .values(soft_bounces=col(Subscriber.soft_bounces) + 1)
    )
    session.refresh(subscriber)
    if subscriber.soft_bounces >= soft_limit:
        reason = f"{subscriber.soft_bounces} soft bounces, last {bounce.status}{detail}"
        subscriptions.suppress(session, subscriber, reason=reason, now=now)
        return "suppressed"
    return "soft"


def process(
    session: Session, raw: bytes, *, secret: str, now: datetime, soft_limit: int
) -> list[tuple[Bounce, str]]:
    """Parse one message and apply each bounce in it; the caller commits.

    As ``apply``, except that several soft failures in one message for the same
    subscriber (an address forwarded to several full mailboxes) count once; the
    repeats are ``"ignored"``. Raises ValueError when ``soft_limit`` is below 1.
    """
    counted: set[int] = set()
    return [
        (bounce, _apply(session, bounce, now=now, soft_limit=soft_limit, counted=counted))
        for bounce in parse(raw, secret=secret, now=now)
    ]
