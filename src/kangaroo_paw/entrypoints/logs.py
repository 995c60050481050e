"""Logging set-up: plain text by default, one JSON object per line with KP_LOG_FORMAT=json.

Either way one record is one line that cannot be forged from outside (the text format shows an
escape sequence as visible ``\x1b``; the JSON format drops ANSI sequences and colour-only fields
such as uvicorn's ``color_message``), and a record logged while a request is handled carries
that request's id (``request_id``).
"""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import UTC, datetime
from types import TracebackType
from typing import TextIO

from kangaroo_paw.adapters.http.request_id import RequestIdFilter
from kangaroo_paw.settings import Settings

_STANDARD = set(vars(logging.makeLogRecord({})))

ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None] | tuple[None, None, None]

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [req=%(request_id)s]: %(message)s"

# C0 and C1 controls (newlines above all) and the Unicode line separators, as visible escapes.
_CONTROLS = {code: f"\\x{code:02x}" for code in (*range(0x20), 0x7F, *range(0x80, 0xA0))} | {
    0x2028: "\\u2028",
    0x2029: "\\u2029",
}


# ANSI escape sequences: CSI (colours, cursor moves), OSC (titles, links) and the short ones.
_ANSI = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[ -/]*[0-~])")
# Extra fields that only repeat the message with colours for a terminal (uvicorn's).
COLOUR_FIELDS = frozenset({"color_message"})


def strip_ansi(text: str) -> str:
    """``text`` without terminal escape sequences: a log file or collector shows them as
    noise (``\\u001b[36m``), and no reader of a structured line wants them."""
    return _ANSI.sub("", text)


def escape_controls(text: str) -> str:
    """``text`` on one line: a request path such as ``/x%0a2026-... INFO fake`` must not
    print what looks like a second log record."""
    return text.translate(_CONTROLS)


class TextFormatter(logging.Formatter):
    """The text line with its message (and arguments) escaped; a traceback keeps its lines
    but each is indented and escaped, so its exception message cannot start a record."""

    def __init__(self) -> None:
        super().__init__(TEXT_FORMAT)

    def format(self, record: logging.LogRecord) -> str:
        safe = logging.makeLogRecord(vars(record))  # other handlers still see the original
        safe.msg, safe.args, safe.exc_text = escape_controls(record.getMessage()), None, None
        safe.request_id = getattr(record, "request_id", "-")
        return super().format(safe)

    def formatException(self, ei: ExcInfo) -> str:  # noqa: N802 - overrides logging's name
        lines = super().formatException(ei).split("\n")  # only the traceback's own breaks
        return "\n".join(f"    {escape_controls(line)}" for line in lines)


class JsonFormatter(logging.Formatter):
    """Structured log lines: time, level, logger, message, and any ``extra`` fields but the
    colour-only ones; strings are without ANSI escapes."""

    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": strip_ansi(record.getMessage()),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and key not in payload and key not in COLOUR_FIELDS:
                payload[key] = strip_ansi(value) if isinstance(value, str) else value
        if record.exc_info:
            payload["exception"] = strip_ansi(self.formatException(record.exc_info))
        return json.dumps(payload, default=str)


def log_handler(settings: Settings, stream: TextIO) -> logging.Handler:
    """The handler the process logs through: ``KP_LOG_FORMAT``, request ids added."""
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter() if settings.log_format == "json" else TextFormatter())
    handler.addFilter(RequestIdFilter())
    return handler


def configure_logging(settings: Settings) -> None:
    root = logging.getLogger()
    root.handlers[:] = [log_handler(settings, sys.stderr)]
    root.setLevel(settings.log_level.upper())
