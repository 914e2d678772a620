"""How `tomsync` starts and ends as a process: console encoding, and exit statuses for the unexpected.

Why: on Windows the output may go to a cp1252 console or a redirected file, where a character like
"→" or an emoji in a school's name raises UnicodeEncodeError mid-report; and an exception nobody
expected (an ImportError, a bug) would otherwise print a traceback and exit 1, which the CLI defines
as "validation errors". Here every stream falls back to a replacement character, and anything
unexpected is one line on stderr with its own exit status, 4, so a script can tell a bug from a file
it could not read (2); the traceback is shown with ``--debug``, ``-v`` or TOMSYNC_DEBUG=1.
"""

from __future__ import annotations

import codecs
import os
import sys
import traceback
from collections.abc import Sequence
from typing import Any, TextIO

from typer.exceptions import Abort, Exit, TyperException

COULD_NOT_RUN = 2
INTERNAL_ERROR = 4  # an exception nobody expected: a bug, or a broken install
INTERRUPTED = 130  # as shells report Ctrl-C
VERBOSE_FLAGS = ("-v", "--verbose", "--debug")
DEBUG_ENV = "TOMSYNC_DEBUG"
PROBE = "→✓✗–…’“”é😀"  # what tomsync (and names people type) may print


def _is_unicode(encoding: str | None) -> bool:
    try:
        return codecs.lookup(encoding or "ascii").name in ("utf-8", "utf-16", "utf-32", "utf-8-sig")
    except LookupError:
        return False


def safe_stream(stream: TextIO | None) -> None:
    """Make ``stream`` replace what its encoding cannot show, instead of raising (cp1252, ascii...)."""
    if stream is None or _is_unicode(getattr(stream, "encoding", None)):
        return
    reconfigure = getattr(stream, "reconfigure", None)
    if reconfigure is not None and getattr(stream, "errors", "strict") in ("strict", None):
        reconfigure(errors="replace")


def safe_console() -> None:
    """Both standard streams never raise UnicodeEncodeError."""
    safe_stream(sys.stdout)
    safe_stream(sys.stderr)


def one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def run(app: Any, args: Sequence[str] | None = None, prog_name: str = "tomsync") -> int:
    """Run the typer/click ``app`` and return its exit status; never a traceback unless ``--debug``/``-v``
    or TOMSYNC_DEBUG=1."""
    argv = list(sys.argv[1:] if args is None else args)
    global_options = argv[:next((i for i, a in enumerate(argv) if not a.startswith("-")), len(argv))]
    verbose = any(a in VERBOSE_FLAGS for a in global_options) or \
        os.environ.get(DEBUG_ENV, "").strip().lower() in ("1", "true", "yes")
    try:
        result = app(args=argv, prog_name=prog_name, standalone_mode=False)
    except TyperException as exc:  # usage errors: click's own message; never 1 (validation errors)
        show = getattr(exc, "show", None)
        if show is not None:
            show()
        else:
            print(f"tomsync: {exc.format_message()}", file=sys.stderr, flush=True)
        return COULD_NOT_RUN if exc.exit_code == 1 else exc.exit_code
    except Exit as exc:
        return exc.exit_code
    except (Abort, KeyboardInterrupt):
        print("tomsync: interrupted", file=sys.stderr, flush=True)
        return INTERRUPTED
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else COULD_NOT_RUN)
    except Exception as exc:
        if verbose:
            traceback.print_exc()
        hint = "" if verbose else "; run with --debug for details"
        print(f"tomsync: internal error: {one_line(exc)} (please send .tomsync/tomsync.log{hint})",
              file=sys.stderr, flush=True)
        return INTERNAL_ERROR
    return result if isinstance(result, int) else 0
