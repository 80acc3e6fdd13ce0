"""Mail transports: SMTP (STARTTLS or implicit TLS, auth, connection reuse) or ``.eml`` files.

``transport_for(smtp_url, outbox_dir)`` picks one: with no SMTP URL configured, mail is
written to the outbox folder, so the embedded default needs no mail server.
SMTP URLs: ``smtp://user:pass@host:587?starttls=true``, ``smtps://host:465``.
"""

from __future__ import annotations

import contextlib
import os
import smtplib
import ssl
import time
import uuid
from datetime import UTC, datetime
from email.charset import QP, Charset
from email.header import Header
from email.message import Message
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Protocol
from urllib.parse import parse_qs, unquote, urlsplit

IDLE_CHECK = 20.0  # seconds a connection may sit idle before it is checked with NOOP


class TemporaryMailError(RuntimeError):
    """The relay said try later (4xx) or could not be reached."""


class PermanentMailError(RuntimeError):
    """The relay refused for good (5xx); ``recipient_refused`` when it refused the address."""

    def __init__(self, message: str, *, recipient_refused: bool = False) -> None:
        super().__init__(message)
        self.recipient_refused = recipient_refused


class Transport(Protocol):
    def send(self, message: Message, envelope_from: str | None = None) -> None: ...

    def close(self) -> None: ...


def _header(value: str) -> str:
    """A header value on one line; non-ASCII text is RFC 2047-encoded."""
    clean = " ".join(value.split())  # no CR/LF from agency text reaches a header
    return clean if clean.isascii() else Header(clean, "utf-8").encode()


def _part(body: str, subtype: str) -> MIMEText:
    charset = Charset("utf-8")
    charset.body_encoding = QP  # readable in .eml files, safe on any relay
    return MIMEText(body, subtype, charset)  # type: ignore[arg-type]


def build(
    *,
    sender: str,
    recipients: list[str],
    subject: str,
    text: str,
    html: str | None = None,
    headers: dict[str, str] | None = None,
) -> Message:
    """A MIME message (text, plus HTML when given); headers are folded to one line and
    encoded, never pasted raw. Built with the light compat32 classes: the sender makes
    hundreds of these a second."""
    message: Message
    if html is None:
        message = _part(text, "plain")
    else:
        message = MIMEMultipart("alternative")
        message.attach(_part(text, "plain"))
        message.attach(_part(html, "html"))
    message["From"] = _header(sender)
    message["To"] = _header(", ".join(recipients))
    message["Subject"] = _header(subject)
    message["Date"] = format_datetime(datetime.now(UTC))
    domain = sender.rpartition("@")[2] or "localhost"
    message["Message-ID"] = make_msgid(domain=domain)
    for name, value in (headers or {}).items():
        message[name] = _header(value)
    return message


class EmlOutbox:
    """Writes each message as an ``.eml`` file (atomically: temp file, then rename)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def send(self, message: Message, envelope_from: str | None = None) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        if envelope_from and "Return-Path" not in message:
            # What the receiving server would record as the envelope sender.
            message["Return-Path"] = f"<{envelope_from}>"
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
        name = f"{stamp}-{uuid.uuid4().hex[:10]}.eml"
        temporary = self.folder / f".{name}.tmp"
        temporary.write_bytes(bytes(message))
        os.replace(temporary, self.folder / name)

    def close(self) -> None:
        return None


class SmtpRelay:
    """Sends through one SMTP connection, reopened when the relay drops it."""

    def __init__(self, url: str, *, timeout: float = 30.0) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps"):
            raise ValueError(f"SMTP URL must start with smtp:// or smtps://, got {url!r}")
        query = parse_qs(parts.query)
        self.host = parts.hostname or "localhost"
        self.port = parts.port or (465 if parts.scheme == "smtps" else 25)
        self.implicit_tls = parts.scheme == "smtps"
        self.starttls = query.get("starttls", ["false"])[0].lower() in ("1", "true", "yes")
        self.username = unquote(parts.username) if parts.username else None
        self.password = unquote(parts.password) if parts.password else None
        self.timeout = timeout
        self._connection: smtplib.SMTP | None = None
        self._last_used = 0.0

    def _connect(self) -> smtplib.SMTP:
        if self._connection is not None:
            # Relays drop idle connections; check one only after it sat idle a while,
            # not before every message of a burst.
            if time.monotonic() - self._last_used < IDLE_CHECK:
                return self._connection
            try:
                if self._connection.noop()[0] == 250:
                    return self._connection
            except (smtplib.SMTPException, OSError):
                pass
            self.close()
        context = ssl.create_default_context()
        connection: smtplib.SMTP
        if self.implicit_tls:
            connection = smtplib.SMTP_SSL(
                self.host, self.port, timeout=self.timeout, context=context
            )
        else:
            connection = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            if self.starttls:
                connection.starttls(context=context)
        if self.username:
            connection.login(self.username, self.password or "")
        self._connection = connection
        return connection

    def send(self, message: Message, envelope_from: str | None = None) -> None:
        try:
            self._connect().send_message(message, from_addr=envelope_from)
            self._last_used = time.monotonic()
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            if all(c >= 500 for c in codes):
                raise PermanentMailError(
                    f"recipients refused: {exc.recipients}", recipient_refused=True
                ) from exc
            raise TemporaryMailError(f"recipients refused for now: {exc.recipients}") from exc
        except smtplib.SMTPResponseException as exc:
            error = PermanentMailError if exc.smtp_code >= 500 else TemporaryMailError
            raise error(f"SMTP {exc.smtp_code}: {exc.smtp_error!r}") from exc
        except (smtplib.SMTPException, OSError) as exc:
            self.close()
            raise TemporaryMailError(f"SMTP relay unreachable: {exc}") from exc

    def close(self) -> None:
        if self._connection is not None:
            with contextlib.suppress(smtplib.SMTPException, OSError):
                self._connection.quit()
            self._connection = None


def transport_for(smtp_url: str | None, outbox_dir: Path) -> Transport:
    """SMTP when a URL is configured, else the ``.eml`` outbox folder."""
    return SmtpRelay(smtp_url) if smtp_url else EmlOutbox(outbox_dir)
