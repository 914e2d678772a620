"""FolderLibrary: the embedded default enforces the same version rule as SharePoint."""

import threading

import pytest

from sync.folder import FolderLibrary
from sync.library import LibraryError, RemoteChanged, RemoteNotFound, content_etag


def test_upload_new_then_list_and_download(tmp_path):
    lib = FolderLibrary(tmp_path)
    info = lib.upload("area/a.xlsx", b"one", None)
    assert info.etag == content_etag(b"one")
    assert [(f.name, f.size) for f in lib.list()] == [("area/a.xlsx", 3)]
    data, remote = lib.download("area/a.xlsx")
    assert data == b"one" and remote.etag == info.etag
    assert lib.downloads == 1 and lib.uploads == 1


def test_stale_if_match_is_refused_and_file_unchanged(tmp_path):
    lib = FolderLibrary(tmp_path)
    first = lib.upload("a.xlsx", b"one", None)
    lib.upload("a.xlsx", b"two", first.etag)  # a colleague's push
    with pytest.raises(RemoteChanged):
        lib.upload("a.xlsx", b"mine", first.etag)
    assert (tmp_path / "a.xlsx").read_bytes() == b"two"


def test_create_never_replaces_an_existing_file(tmp_path):
    lib = FolderLibrary(tmp_path)
    lib.upload("a.xlsx", b"theirs", None)
    with pytest.raises(RemoteChanged):
        lib.upload("a.xlsx", b"ours", None)
    assert (tmp_path / "a.xlsx").read_bytes() == b"theirs"


def test_if_match_on_removed_file_is_refused(tmp_path):
    lib = FolderLibrary(tmp_path)
    info = lib.upload("a.xlsx", b"x", None)
    (tmp_path / "a.xlsx").unlink()
    with pytest.raises(RemoteChanged):
        lib.upload("a.xlsx", b"y", info.etag)


def test_hidden_files_lock_files_and_temp_files_are_not_listed(tmp_path):
    lib = FolderLibrary(tmp_path)
    lib.upload("a.xlsx", b"x", None)
    (tmp_path / "~$a.xlsx").write_bytes(b"lock")
    (tmp_path / ".hidden").mkdir()
    (tmp_path / ".hidden" / "b.xlsx").write_bytes(b"b")
    assert [f.name for f in lib.list()] == ["a.xlsx"]


def test_missing_file_and_bad_paths(tmp_path):
    lib = FolderLibrary(tmp_path)
    with pytest.raises(RemoteNotFound):
        lib.download("nope.xlsx")
    with pytest.raises(LibraryError):
        lib.upload("../escape.xlsx", b"x", None)
    with pytest.raises(LibraryError, match="does not exist"):
        FolderLibrary(tmp_path / "missing").list()


def test_concurrent_pushes_from_the_same_version_only_one_wins(tmp_path):
    lib = FolderLibrary(tmp_path)
    base = lib.upload("a.xlsx", b"base", None)
    results: list[str] = []

    def push(data: bytes) -> None:
        try:
            FolderLibrary(tmp_path).upload("a.xlsx", data, base.etag)
            results.append("ok")
        except RemoteChanged:
            results.append("refused")

    threads = [threading.Thread(target=push, args=(bytes([65 + i]) * 1000,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["ok"] + ["refused"] * 7
    assert len(set((tmp_path / "a.xlsx").read_bytes())) == 1  # one writer's bytes, whole
