"""Windows file rules, checked on every OS: our users' files live on Windows laptops and OneDrive.

Why here and not left to the OS: on Linux a library file called ``CON.xlsx`` or ``a:b.xlsx``, or two
files differing only in case, sync fine, then break the first Windows colleague's pull half-way.
Refusing such names everywhere, before anything is written, keeps every working copy the same.

- Excel leaves an owner file ``~$NAME.xlsx`` beside a workbook it has open; tomsync treats such a
  workbook as open and never rewrites it (Windows would refuse the replace anyway).
- A file that is open elsewhere cannot be replaced (sharing violation): `FileInUse` says so in one line.
- `windows_name_problem` / `unsafe_names` say what Windows would refuse, in words a person can act on.
"""

from __future__ import annotations

import errno
import os
import re
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path, PurePath, PurePosixPath

OWNER_PREFIX = "~$"
RESERVED_CHARS = '<>:"|?*'
RESERVED_NAMES = frozenset(
    ["CON", "PRN", "AUX", "NUL"] + [f"{d}{i}" for d in ("COM", "LPT") for i in range(1, 10)]
    + [f"{d}{s}" for d in ("COM", "LPT") for s in "¹²³"]
)
MAX_NAME = 255  # one path component (NTFS)
MAX_PATH = 259  # a whole path, without \\?\ (MAX_PATH 260 includes the terminating NUL)
CLOSE_IT = "close it in Excel and run again"
_CONTROL = re.compile(r"[\x00-\x1f]")


class FileInUse(OSError):
    """A file tomsync must replace is open in Excel (or held by another program): nothing was written."""

    def __init__(self, path: str | os.PathLike[str], owner: str | None = None) -> None:
        reason = f"open in Excel or another program: {CLOSE_IT}"
        if owner:
            reason += f" (if Excel is not running, delete {owner})"
        super().__init__(errno.EACCES, reason, str(path))
        self.path = path

    def __str__(self) -> str:
        return f"{self.path} is {self.strerror}"


class UnsafeName(OSError):
    """File names Windows would refuse, or that collide on a case-insensitive disk: nothing was written."""

    def __init__(self, problems: list[str], where: str = "") -> None:
        self.problems = problems
        reason = "; ".join(problems)
        super().__init__(errno.EINVAL, f"{where}{reason}")

    def __str__(self) -> str:
        return str(self.strerror)


def cannot_write(path: str | os.PathLike[str], exc: OSError) -> str:
    """The one line for a file that could not be written: ours say it all, others get the OS's reason."""
    if isinstance(exc, FileInUse | UnsafeName):
        return str(exc)
    return f"{path}: cannot be written ({exc.strerror or exc})"


# -- Excel's owner files ----------------------------------------------------------------------------

def owner_files(path: str | os.PathLike[str]) -> list[PurePath]:
    """Where Excel (``~$`` + the whole name) or Word-style Office apps (``~$`` over the first two
    characters, for longer names) leave the owner file of ``path`` (a pure path keeps its flavour)."""
    p = path if isinstance(path, PurePath) else Path(path)
    if p.name.startswith(OWNER_PREFIX):
        return []  # an owner file has no owner file
    candidates = [p.with_name(OWNER_PREFIX + p.name)]
    if len(p.stem) > 2:
        candidates.append(p.with_name(OWNER_PREFIX + p.name[2:]))
    return candidates


def is_owner_file(name: str) -> bool:
    """An Office lock file, never a workbook (never synced, never read as data)."""
    return PurePosixPath(name.replace("\\", "/")).name.startswith(OWNER_PREFIX)


def is_open_in_excel(path: str | os.PathLike[str]) -> bool:
    """Whether an owner file beside ``path`` says somebody has it open in Excel."""
    return any(Path(owner).exists() for owner in owner_files(path))


def refuse_if_open(path: str | os.PathLike[str]) -> None:
    """Raise `FileInUse` when ``path`` is open in Excel, before tomsync starts rewriting it."""
    for owner in owner_files(path):
        if Path(owner).exists():
            raise FileInUse(path, owner.name)


# -- names Windows refuses ---------------------------------------------------------------------------

def windows_name_problem(name: str) -> str | None:
    """Why Windows would refuse ``name`` as one file or folder name, or None when it is fine."""
    if not name or name in (".", ".."):
        return f"{name!r} is not a file name"
    bad = sorted({c for c in name if c in RESERVED_CHARS or c in "/\\"})
    if bad:
        return f"{name!r} contains {' '.join(bad)}, which Windows does not allow in file names"
    if _CONTROL.search(name):
        return f"{name!r} contains a control character"
    if name[-1] in ". ":
        return f"{name!r} ends with a {'dot' if name[-1] == '.' else 'space'}, which Windows drops"
    stem = name.split(".", 1)[0].rstrip(" ").upper()
    if stem in RESERVED_NAMES:
        return f"{name!r} uses the reserved device name {stem}, which Windows does not allow"
    if len(name) > MAX_NAME:
        return f"{name[:40]!r}... is longer than {MAX_NAME} characters"
    return None


def relative_name_problem(name: str, root: str | os.PathLike[str] | None = None) -> str | None:
    """Why Windows would refuse a library-relative ``/``-separated name (each part, and the whole path
    under ``root`` when given), or None."""
    for part in name.split("/"):
        problem = windows_name_problem(part)
        if problem:
            return f"{name}: {problem}" if part != name else problem
    if root is not None:
        full = len(str(root).rstrip("/\\")) + 1 + len(name)
        if full > MAX_PATH:
            return f"{name}: the path would be {full} characters, more than Windows' {MAX_PATH}"
    return None


def case_collisions(names: Iterable[str]) -> list[list[str]]:
    """Groups of names that differ only in case: one file on Windows (and on a Mac's disk)."""
    groups: dict[str, set[str]] = defaultdict(set)
    for name in names:
        groups[name.casefold()].add(name)
    return [sorted(g) for _, g in sorted(groups.items()) if len(g) > 1]


def unsafe_names(names: Iterable[str], root: str | os.PathLike[str] | None = None) -> list[str]:
    """One line per problem: names Windows refuses, then names that differ only in case."""
    names = list(names)
    problems = [p for p in (relative_name_problem(n, root) for n in sorted(names)) if p]
    problems += [" and ".join(group) + " differ only in case (one file on Windows)"
                 for group in case_collisions(names)]
    return problems


def refuse_unsafe_names(names: Iterable[str], root: str | os.PathLike[str] | None = None,
                        where: str = "") -> None:
    """Raise `UnsafeName` listing every problem, before anything is written."""
    problems = unsafe_names(names, root)
    if problems:
        raise UnsafeName(problems, where)


def refuse_unsafe_path(path: str | os.PathLike[str]) -> None:
    """A file tomsync is asked to create: its own name must be one Windows accepts."""
    problem = windows_name_problem(Path(path).name)
    if problem:
        raise UnsafeName([problem], f"{path}: not a name Windows allows: ")
