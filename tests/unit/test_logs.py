"""Log lines: one record is one line whatever it quotes, and carries its request's id."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from kangaroo_paw.adapters.http import request_id
from kangaroo_paw.entrypoints.logs import escape_controls, log_handler
from kangaroo_paw.settings import Settings

FORGED = "x\n2026-11-29 15:00:00,000 INFO fake\r\x1b[2J\x85\u2028end"


@pytest.fixture
def output() -> Iterator[tuple[logging.Logger, io.StringIO, io.StringIO]]:
    """A logger writing through the process's text and JSON handlers."""
    text, structured = io.StringIO(), io.StringIO()
    logger = logging.getLogger("kangaroo_paw.test_logs")
    logger.propagate = False
    logger.setLevel(logging.INFO)
    logger.handlers[:] = [
        log_handler(Settings(log_format="text"), text),
        log_handler(Settings(log_format="json"), structured),
    ]
    yield logger, text, structured
    logger.handlers.clear()


def test_controls_in_the_message_and_its_arguments_are_escaped(
    output: tuple[logging.Logger, io.StringIO, io.StringIO],
) -> None:
    logger, text, structured = output
    logger.info("GET %s 404\nnot a record", FORGED)
    lines = text.getvalue().splitlines()
    assert len(lines) == 1
    escaped = "x\\x0a2026-11-29 15:00:00,000 INFO fake\\x0d\\x1b[2J\\x85\\u2028end"
    assert lines[0].endswith(f"GET {escaped} 404\\x0anot a record")
    # The JSON line keeps the message itself, escaped by JSON, without the escape sequence.
    (record,) = [json.loads(line) for line in structured.getvalue().splitlines()]
    assert record["message"] == f"GET {FORGED.replace(chr(27) + '[2J', '')} 404\nnot a record"


def test_json_lines_carry_no_terminal_colours(
    output: tuple[logging.Logger, io.StringIO, io.StringIO],
) -> None:
    logger, _, structured = output
    coloured = "Running on \x1b[1mhttp://x\x1b[0m \x1b]8;;http://y\x1b\\link\x1b]8;;\x1b\\"
    logger.info("%s", coloured, extra={"color_message": coloured, "where": coloured})
    raw = structured.getvalue()
    record = json.loads(raw)
    assert "color_message" not in record
    assert record["message"] == record["where"] == "Running on http://x link"
    assert "\\u001b" not in raw


def test_a_traceback_cannot_start_a_record(
    output: tuple[logging.Logger, io.StringIO, io.StringIO],
) -> None:
    logger, text, _ = output
    try:
        raise ValueError(FORGED)
    except ValueError:
        logger.exception("failed")
    first, *rest = text.getvalue().splitlines()
    assert first.endswith(": failed")
    assert rest
    assert all(line.startswith("    ") for line in rest)
    assert "ValueError: x\\x0a" not in text.getvalue()  # the newline splits; the text stays
    assert any("2026-11-29 15:00:00,000 INFO fake\\x0d\\x1b[2J" in line for line in rest)


def test_lines_carry_the_request_id_inside_a_request_only(
    output: tuple[logging.Logger, io.StringIO, io.StringIO],
) -> None:
    logger, text, structured = output
    with request_id.bound("req-42"):
        logger.info("inside")
    logger.info("outside")
    inside, outside = text.getvalue().splitlines()
    assert "[req=req-42]: inside" in inside
    assert "[req=-]: outside" in outside
    ids = [json.loads(line)["request_id"] for line in structured.getvalue().splitlines()]
    assert ids == ["req-42", "-"]


def test_escaping_leaves_printable_text_alone() -> None:
    assert escape_controls("café ☕ \\n tab") == "café ☕ \\n tab"
    assert escape_controls("a\tb\x00\x7f") == "a\\x09b\\x00\\x7f"
