"""Logging for sync and the cycle: a file a person can send when asking for help.

Loggers are named under ``tomsync`` (``tomsync.sync``, ``tomsync.sync.propagate``, ``tomsync.cycle``,
``tomsync.sharepoint``...). `setup_logging` always writes ``.tomsync/tomsync.log`` in the working
copy (INFO and up, rotated at 1 MB, three old files kept) and, when verbose, shows DEBUG on stderr.

What is logged: file names, decisions, outcomes, counts, version tags, sizes, HTTP status codes and
timings. What never is: tokens, secrets or any cell text from a workbook. Callers keep to that; the
`Redact` filter on every handler is a second line of defence for anything that looks like a token.
"""

from __future__ import annotations

import logging
import os
import re
import sys
from logging.handlers import RotatingFileHandler
from pathlib import Path

from sync.state import STATE_DIR

ROOT = "tomsync"
LOG_NAME = "tomsync.log"
MAX_BYTES = 1_000_000
BACKUPS = 3
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

_SECRETS = [  # (what looks like a secret, what replaces it)
    (re.compile(r"(?i)\b(bearer\s+)[A-Za-z0-9\-._~+/]+=*"), r"\1[redacted]"),
    (re.compile(r"(?i)([\"']?(?:access|refresh|id)_token[\"']?\s*[:=]\s*[\"']?)[^\s\"',;&}]+"),
     r"\1[redacted]"),
    (re.compile(r"(?i)([\"']?(?:client_secret|password|passphrase)[\"']?\s*[:=]\s*[\"']?)[^\s\"',;&}]+"),
     r"\1[redacted]"),
    (re.compile(r"(?i)([?&](?:tempauth|access_token|sig|code)=)[^\s&\"']+"), r"\1[redacted]"),
    (re.compile(r"\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*"), "[redacted]"),  # a JWT
]


def redact(text: str) -> str:
    """``text`` with anything that looks like a bearer token, access token or secret replaced."""
    for pattern, replacement in _SECRETS:
        text = pattern.sub(replacement, text)
    return text


class Redact(logging.Filter):
    """Rewrites each record's message (and traceback text) with `redact` before any handler writes it."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage())
        record.args = None
        if record.exc_info:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True


_installed: list[logging.Handler] = []


def stop_logging() -> None:
    """Remove (and close) the handlers `setup_logging` installed."""
    logger = logging.getLogger(ROOT)
    while _installed:
        handler = _installed.pop()
        logger.removeHandler(handler)
        handler.close()


def setup_logging(workdir: str | os.PathLike[str], verbose: bool = False) -> Path:
    """Log ``tomsync.*`` to ``<workdir>/.tomsync/tomsync.log`` (INFO), and DEBUG to stderr if
    ``verbose``. Calling it again replaces the previous set-up. Returns the log file's path."""
    stop_logging()
    path = Path(workdir) / STATE_DIR / LOG_NAME
    path.parent.mkdir(parents=True, exist_ok=True)
    to_file = RotatingFileHandler(path, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8")
    to_file.setLevel(logging.INFO)
    _installed.append(to_file)
    if verbose:
        to_stderr = logging.StreamHandler(sys.stderr)
        to_stderr.setLevel(logging.DEBUG)
        _installed.append(to_stderr)
    logger = logging.getLogger(ROOT)
    logger.setLevel(logging.DEBUG if verbose else logging.INFO)
    for handler in _installed:
        handler.setFormatter(logging.Formatter(FORMAT))
        handler.addFilter(Redact())
        logger.addHandler(handler)
    return path
