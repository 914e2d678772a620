"""Checks made before a pull or push writes anything, so a refusal never leaves a half-synced copy.

Why before and not as each file is written: a working copy where three workbooks were updated and the
fourth refused is harder to reason about than one left exactly as it was with one line saying why.
- Library names Windows refuses, or that differ only in case (one file on Windows), are refused for
  every OS: the same library is pulled on Linux servers and on staff's Windows laptops.
- A working-copy workbook open in Excel (an owner file ``~$NAME`` beside it) is not rewritten.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from sync.reconcile import Action, Kind
from workbook_templates.winfiles import refuse_if_open, refuse_unsafe_names

WRITES_LOCAL = (Kind.DOWNLOAD, Kind.MERGE)  # actions that replace the working copy's file


def check_pull_names(workdir: str | Path, pulled: Iterable[str], local: Iterable[str] = ()) -> None:
    """`UnsafeName` (exit 2) naming every library file a pull would write under a name Windows refuses,
    or that differs only in case from another pulled or local file."""
    names = set(pulled)
    refuse_unsafe_names(names | set(local), Path(workdir).absolute(),
                        where="nothing was pulled; rename in the library: ")


def refuse_open_targets(workdir: str | Path, actions: Iterable[Action]) -> None:
    """`FileInUse` (exit 2) when a file the actions would replace is open in Excel."""
    for action in actions:
        if action.kind in WRITES_LOCAL:
            refuse_if_open(Path(workdir) / action.name)
