"""Sync on Windows terms: owner files never synced, open workbooks not rewritten, unsafe names refused.

Every refusal happens before anything is written: the working copy is left exactly as it was.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import load_workbook

from sync.folder import FolderLibrary
from sync.library import RemoteFile, RemoteNotFound, content_etag
from sync.workflow import local_files, pull, push, tracked
from workbook_templates.spec import load_spec
from workbook_templates.template import write_template
from workbook_templates.winfiles import FileInUse, UnsafeName

NAME = "Borders TOM.xlsx"


class DictLibrary:
    """A library holding names no Windows folder could (a Linux share, a bad rename): list and download."""

    def __init__(self, files: dict[str, bytes]) -> None:
        self.files = files

    def list(self, folder: str = "") -> list[RemoteFile]:
        return [RemoteFile(n, content_etag(d), len(d)) for n, d in sorted(self.files.items())]

    def download(self, name: str) -> tuple[bytes, RemoteFile]:
        if name not in self.files:
            raise RemoteNotFound(name)
        data = self.files[name]
        return data, RemoteFile(name, content_etag(data), len(data))

    def upload(self, name: str, data: bytes, if_match: str | None) -> RemoteFile:
        self.files[name] = data
        return RemoteFile(name, content_etag(data), len(data))


@pytest.fixture(scope="module")
def template_bytes(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    path = tmp_path_factory.mktemp("tpl") / NAME
    write_template(load_spec("scottish-tom"), path, "pw")
    return path.read_bytes()


def snapshot(folder: Path) -> dict[str, bytes]:
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in files}


def test_owner_files_are_never_listed_tracked_or_pulled(tmp_path: Path, template_bytes: bytes) -> None:
    lib_dir, work = tmp_path / "library", tmp_path / "work"
    (lib_dir / "2026").mkdir(parents=True)
    work.mkdir()
    (lib_dir / NAME).write_bytes(template_bytes)
    (lib_dir / f"~${NAME}").write_bytes(b"owner: Morag")
    (lib_dir / "2026" / "~$Fife.xlsx").write_bytes(b"owner")
    library = FolderLibrary(lib_dir)
    assert [f.name for f in library.list()] == [NAME]
    assert not tracked(f"~${NAME}") and not tracked("2026/~$Fife.xlsx")
    pull(work, library)
    assert sorted(p.name for p in work.iterdir() if not p.name.startswith(".")) == [NAME]
    (work / f"~${NAME}").write_bytes(b"owner: me")
    assert local_files(work) == [NAME]
    assert push(work, library).uploads == 0  # nothing to send: the owner file is not a workbook


@pytest.mark.parametrize("bad, words", [
    ("CON.xlsx", "reserved device name CON"), ("Q1: Borders.xlsx", "contains :"),
    ("2026./Borders.xlsx", "ends with a dot"), ("Term 1 /Borders.xlsx", "ends with a space"),
    ("AUX/Borders.xlsx", "AUX"),
])
def test_pull_refuses_names_windows_refuses_before_writing(tmp_path: Path, template_bytes: bytes,
                                                           bad: str, words: str) -> None:
    work = tmp_path / "work"
    work.mkdir()
    library = DictLibrary({NAME: template_bytes, bad: template_bytes})
    with pytest.raises(UnsafeName) as caught:
        pull(work, library)
    message = str(caught.value)
    assert bad.strip() in message and words in message and "nothing was pulled" in message
    assert snapshot(work) == {}  # nothing half-synced, not even the good workbook or the archive


def test_pull_refuses_names_that_differ_only_in_case(tmp_path: Path, template_bytes: bytes) -> None:
    work = tmp_path / "work"
    work.mkdir()
    library = DictLibrary({name: template_bytes for name in (NAME, "BORDERS TOM.xlsx", "Fife.xlsx")})
    with pytest.raises(UnsafeName, match="BORDERS TOM.xlsx and Borders TOM.xlsx differ only in case"):
        pull(work, library)
    assert snapshot(work) == {}


def test_a_library_name_colliding_with_a_local_file_is_refused(tmp_path: Path, template_bytes: bytes) -> None:
    lib_dir, work = tmp_path / "library", tmp_path / "work"
    lib_dir.mkdir()
    work.mkdir()
    (lib_dir / NAME).write_bytes(template_bytes)
    (work / NAME.lower()).write_bytes(b"my own file")
    before = snapshot(work)
    with pytest.raises(UnsafeName, match="differ only in case"):
        pull(work, FolderLibrary(lib_dir))
    assert snapshot(work) == before


def test_pull_does_not_rewrite_a_workbook_open_in_excel(tmp_path: Path, template_bytes: bytes) -> None:
    lib_dir, alice, bob = tmp_path / "library", tmp_path / "alice", tmp_path / "bob"
    for d in (lib_dir, alice, bob):
        d.mkdir()
    (lib_dir / NAME).write_bytes(template_bytes)
    library = FolderLibrary(lib_dir)
    pull(alice, library)
    pull(bob, library)
    wb = load_workbook(alice / NAME)
    wb["Hawick High"]["J3"] = "Alice's note"
    wb.save(alice / NAME)
    (lib_dir / "Fife.xlsx").write_bytes(template_bytes)
    push(alice, library)
    (bob / f"~${NAME}").write_bytes(b"owner: Bob")  # Bob has it open in Excel
    before = snapshot(bob)
    with pytest.raises(FileInUse, match=f"{NAME} is open in Excel.*close it in Excel and run again"):
        pull(bob, library)
    assert snapshot(bob) == before  # not even Fife.xlsx: nothing half-synced
    (bob / f"~${NAME}").unlink()  # Bob closes Excel
    assert pull(bob, library).downloads == 2
    assert load_workbook(bob / NAME)["Hawick High"]["J3"].value == "Alice's note"


def test_paths_with_spaces_and_gaelic_names_sync(tmp_path: Path, template_bytes: bytes) -> None:
    lib_dir, work = tmp_path / "Leabharlann TOM 2025", tmp_path / "Obair Mhòrag"
    (lib_dir / "Sgoiltean Àrd").mkdir(parents=True)
    work.mkdir()
    (lib_dir / "Sgoiltean Àrd" / "Àrd-sgoil Phort Rìgh.xlsx").write_bytes(template_bytes)
    report = pull(work, FolderLibrary(lib_dir))
    assert report.downloads == 1
    assert (work / "Sgoiltean Àrd" / "Àrd-sgoil Phort Rìgh.xlsx").read_bytes() == template_bytes


def test_resolve_waits_for_the_conflict_copy_to_be_closed(tmp_path: Path) -> None:
    """The person just edited NAME.conflicts.xlsx in Excel: Windows could not remove it while open."""
    from sync.conflicts import resolve
    from tests.sync.test_conflicts import make_conflict

    write_template(load_spec("scottish-tom"), tmp_path / "library" / "borders.xlsx", "pw")
    lib, a, b = FolderLibrary(tmp_path / "library"), tmp_path / "alice", tmp_path / "bob"
    pull(a, lib)
    pull(b, lib)
    make_conflict(lib, a, b)
    copy = b / "borders.conflicts.xlsx"
    (b / "~$borders.conflicts.xlsx").write_bytes(b"owner")
    before = snapshot(b)
    with pytest.raises(FileInUse, match="borders.conflicts.xlsx is open in Excel"):
        resolve(b, "borders.xlsx")
    assert snapshot(b) == before
    (b / "~$borders.conflicts.xlsx").unlink()
    assert "resolved from borders.conflicts.xlsx" in resolve(b, "borders.xlsx")
    assert not copy.exists()
