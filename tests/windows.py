"""Windows, simulated on a POSIX test machine (`pytest --windows`, and single tests through fixtures).

What Windows takes away or does differently, as tomsync meets it:

- no ``fcntl`` module, no ``os.fchmod`` (before Python 3.13), ``os.getuid``/``geteuid``, ``os.fchown``,
  ``os.fork``, ``signal.SIGKILL``: `remove_posix_apis` deletes them;
- a file open in Excel (an owner file ``~$NAME`` beside it) or held by another program (`held`) cannot
  be replaced, renamed or deleted: a PermissionError with winerror 32, as Windows raises;
- names Windows refuses (``: * ? " < > |``, a trailing dot or space, CON, PRN, AUX, NUL, COM1..9,
  LPT1..9) cannot be created, and a name differing only in case from an existing file is the same file.

Deliberately self-contained (no project imports): the simulation must not trust the code it tests.
"""

from __future__ import annotations

import builtins
import importlib
import io
import os
import pkgutil
import re
import signal
import subprocess
import sys
import types
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

PROJECT_PACKAGES = ("sync", "workbook_templates", "xl_addin", "tomsync")
# Third-party packages that use fcntl (and os.fchmod, os.geteuid) on POSIX and have their own Windows
# branch (msvcrt, the win32 API), which cannot run here: they are imported before fcntl is blocked and
# keep the POSIX calls (`_NativeOs`), so they work as they would on Windows; the rule applies to our
# code. filelock: the folder library's lock; portalocker: fcntl at import. The standard library's
# subprocess imports fcntl optionally (try/except) and has done so before any conftest runs.
EXEMPT_FCNTL_USERS = ("filelock", "portalocker")
POSIX_ONLY_OS = ("fchmod", "fchown", "lchown", "getuid", "geteuid", "getgid", "getegid", "fork", "killpg")
POSIX_ONLY_SIGNALS = ("SIGKILL", "SIGHUP", "SIGQUIT", "SIGALRM", "SIGUSR1", "SIGUSR2")
SHARING_VIOLATION = 32
BAD_NAME = 123  # ERROR_INVALID_NAME
_RESERVED = re.compile(r"^(CON|PRN|AUX|NUL|COM[1-9]|LPT[1-9])(\..*)?$", re.IGNORECASE)
_BAD_CHARS = re.compile(r'[<>:"|?*\x00-\x1f]')


def refused_name(name: str) -> bool:
    """Whether Windows refuses to create a file or folder called ``name``."""
    return bool(_BAD_CHARS.search(name) or name[-1:] in (".", " ") and name not in (".", "..")
                or _RESERVED.match(name.rstrip(" ")))


def _import_exempt() -> list[types.ModuleType]:
    """The exempt third-party packages and all their submodules, imported while fcntl still exists."""
    found = []
    for name in EXEMPT_FCNTL_USERS:
        try:
            package = importlib.import_module(name)
        except ImportError:
            continue
        found.append(package)
        for info in pkgutil.walk_packages(getattr(package, "__path__", []), name + "."):
            try:
                found.append(importlib.import_module(info.name))
            except ImportError:  # their Windows-only parts (msvcrt, pywin32)
                pass
    return found


def block_fcntl() -> None:
    """``import fcntl`` fails from now on, as on Windows; project modules imported so far are dropped
    so that they are imported again under the rule."""
    _import_exempt()
    sys.modules["fcntl"] = None  # type: ignore[assignment]
    for name in list(sys.modules):
        if name.split(".")[0] in PROJECT_PACKAGES:
            del sys.modules[name]


class _NativeOs(types.ModuleType):
    """``os`` as the exempt third-party modules see it: with the calls their POSIX branch uses (on
    Windows they take their Windows branch instead, which cannot run here)."""

    def __init__(self, saved: dict[str, Any]) -> None:
        super().__init__("os")
        self._saved = saved

    def __getattr__(self, name: str) -> Any:
        return self._saved[name] if name in self._saved else getattr(os, name)


def remove_posix_apis(mp: pytest.MonkeyPatch) -> None:
    """Delete what Windows lacks. ``Popen.kill`` is ``terminate`` on Windows (no SIGKILL there)."""
    saved = {name: getattr(os, name) for name in POSIX_ONLY_OS if hasattr(os, name)}
    native = _NativeOs(saved)
    for module in _import_exempt():
        if getattr(module, "os", None) is os:
            mp.setattr(module, "os", native)
    for name in saved:
        mp.delattr(os, name)
    for name in POSIX_ONLY_SIGNALS:
        if hasattr(signal, name):
            mp.delattr(signal, name)
    if hasattr(signal, "alarm"):
        mp.delattr(signal, "alarm")
    mp.setattr(subprocess.Popen, "kill", subprocess.Popen.terminate)


def _sharing_violation(path: Any) -> PermissionError:
    exc = PermissionError(13, "The process cannot access the file because it is being used by another "
                              "process", str(path))
    exc.winerror = SHARING_VIOLATION  # type: ignore[attr-defined]
    return exc


class SimulatedWindowsFiles:
    """Windows file semantics over os.replace / rename / unlink / open / mkdir, for one test or a session."""

    def __init__(self) -> None:
        self.held: set[str] = set()  # files another program holds open (Excel without an owner file, AV)
        self.refusals = 0  # sharing violations raised: tests can count the retries

    @contextmanager
    def hold(self, path: str | os.PathLike[str]) -> Iterator[None]:
        """``path`` is open in another program for the duration."""
        key = self._key(path)
        self.held.add(key)
        try:
            yield
        finally:
            self.held.discard(key)

    @staticmethod
    def _key(path: Any) -> str:
        return os.path.normcase(os.path.abspath(os.fspath(path))).casefold()

    def is_open(self, path: Any) -> bool:
        p = Path(os.fsdecode(os.fspath(path)))
        if self._key(p) in self.held:
            return True
        if p.name.startswith("~$"):
            return False  # Excel's owner file itself: removed when Excel closes the workbook
        owners = [p.with_name("~$" + p.name)] + ([p.with_name("~$" + p.name[2:])] if len(p.stem) > 2 else [])
        return any(os.path.lexists(o) for o in owners)

    def check_create(self, path: Any) -> None:
        """Refuse a name Windows refuses; refuse creating a second file that differs only in case."""
        if isinstance(path, int):
            return
        p = Path(os.fsdecode(os.fspath(path)))
        if refused_name(p.name):
            exc = OSError(22, "The filename, directory name, or volume label syntax is incorrect", str(p))
            exc.winerror = BAD_NAME  # type: ignore[attr-defined]
            raise exc
        if not os.path.lexists(p) and os.path.isdir(p.parent):
            twins = [n for n in os.listdir(p.parent) if n != p.name and n.casefold() == p.name.casefold()]
            if twins:
                raise AssertionError(f"simulated Windows: {p.name} and {twins[0]} are the same file there "
                                     "(names differ only in case); the code under test must not create both")

    def install(self, mp: pytest.MonkeyPatch) -> None:
        real_replace, real_rename, real_unlink = os.replace, os.rename, os.unlink
        real_open, real_os_open, real_mkdir = builtins.open, os.open, os.mkdir

        def guarded(real: Callable[..., Any]) -> Callable[..., Any]:
            def move(src: Any, dst: Any, *args: Any, **kwargs: Any) -> Any:
                for p in (src, dst):
                    if not isinstance(p, int) and self.is_open(p):
                        self.refusals += 1
                        raise _sharing_violation(p)
                self.check_create(dst)
                return real(src, dst, *args, **kwargs)
            return move

        def unlink(path: Any, *args: Any, **kwargs: Any) -> Any:
            if not isinstance(path, int) and self.is_open(path):
                self.refusals += 1
                raise _sharing_violation(path)
            return real_unlink(path, *args, **kwargs)

        def open_(file: Any, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
            if isinstance(file, str | bytes | os.PathLike) and any(c in mode for c in "wax+"):
                if self.is_open(file):
                    self.refusals += 1
                    raise _sharing_violation(file)
                self.check_create(file)
            return real_open(file, mode, *args, **kwargs)

        def os_open(path: Any, flags: int, *args: Any, **kwargs: Any) -> Any:
            if flags & os.O_CREAT:
                self.check_create(path)
            return real_os_open(path, flags, *args, **kwargs)

        def mkdir(path: Any, *args: Any, **kwargs: Any) -> Any:
            self.check_create(path)
            return real_mkdir(path, *args, **kwargs)

        mp.setattr(os, "replace", guarded(real_replace))
        mp.setattr(os, "rename", guarded(real_rename))
        mp.setattr(os, "unlink", unlink)
        mp.setattr(os, "remove", unlink)
        mp.setattr(builtins, "open", open_)
        mp.setattr(io, "open", open_)
        mp.setattr(os, "open", os_open)
        mp.setattr(os, "mkdir", mkdir)
