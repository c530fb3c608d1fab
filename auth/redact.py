"""Secrets never reach a log: kiosk tokens, API and ingest tokens, passwords, OAuth codes are masked in every log
record of the process (request lines of the dev server and gunicorn included), whoever logs them."""

from __future__ import annotations

import logging
import re
from typing import Any

MASK = "[redacted]"
# query or form fields that carry a secret, wherever they appear in a message (a request line, a URL, a form dump),
# with any prefix (api_token, ingest_token, client_secret) and '=' written plainly or percent-encoded (inside next=)
_FIELDS = re.compile(r"(?i)([\w.-]*(?:kiosk|token|api_?key|\bkey|passw(?:or)?d|secret|\bcode)(?:=|%3D))"
                     r"[^&%\s\"'<>]+(?:%(?!26)[0-9A-F]{2}[^&%\s\"'<>]*)*")
_BEARER = re.compile(r"(?i)\b(bearer\s+)[^\s\"',;]+")


def redact(text: str) -> str:
    """The text with every secret-carrying field's value and every bearer token replaced by a mask."""
    if "=" not in text and "earer" not in text:
        return text
    return _BEARER.sub(r"\1" + MASK, _FIELDS.sub(r"\1" + MASK, text))


class _Record(logging.LogRecord):
    """A log record whose message (and formatted traceback) is redacted when it is formatted: only records that are
    emitted pay."""

    def getMessage(self) -> str:  # noqa: N802 - logging's name
        return redact(super().getMessage())

    @property
    def exc_text(self) -> str | None:
        return self.__dict__.get("_exc_text")

    @exc_text.setter
    def exc_text(self, value: str | None) -> None:
        self.__dict__["_exc_text"] = None if value is None else redact(value)


_installed = False


def install() -> None:
    """Make every log record of this process redacting (once; idempotent)."""
    global _installed
    if _installed:
        return
    base = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = base(*args, **kwargs)
        record.__class__ = _Record if type(record) is logging.LogRecord else record.__class__
        return record

    logging.setLogRecordFactory(factory)
    _installed = True
