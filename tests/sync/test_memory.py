"""MemoryLibrary keeps the same version rule as the folder and SharePoint backends."""

import pytest

from sync.folder import FolderLibrary
from sync.library import LibraryError, RemoteChanged, RemoteNotFound, content_etag
from sync.memory import MemoryLibrary


@pytest.fixture(params=["memory", "folder"])
def lib(request, tmp_path):
    return MemoryLibrary() if request.param == "memory" else FolderLibrary(tmp_path)


def test_upload_list_download_and_counts(lib):
    info = lib.upload("area/a.xlsx", b"one", None)
    assert info.etag == content_etag(b"one")
    assert [(f.name, f.size) for f in lib.list()] == [("area/a.xlsx", 3)]
    assert [f.name for f in lib.list("area")] == ["area/a.xlsx"]
    assert lib.list("other") == []
    data, remote = lib.download("area/a.xlsx")
    assert data == b"one" and remote.etag == info.etag
    assert (lib.downloads, lib.uploads) == (1, 1)


def test_if_match_is_honoured_exactly(lib):
    first = lib.upload("a.xlsx", b"one", None)
    with pytest.raises(RemoteChanged):
        lib.upload("a.xlsx", b"again", None)  # create never replaces
    second = lib.upload("a.xlsx", b"two", first.etag)
    with pytest.raises(RemoteChanged):
        lib.upload("a.xlsx", b"mine", first.etag)  # stale version
    assert lib.download("a.xlsx") == (b"two", lib.download("a.xlsx")[1])
    assert lib.download("a.xlsx")[1].etag == second.etag
    with pytest.raises(RemoteChanged):
        lib.upload("b.xlsx", b"x", second.etag)  # names a version of a file that is not there
    with pytest.raises(RemoteNotFound):
        lib.download("nope.xlsx")
    with pytest.raises(LibraryError):
        lib.upload("../escape.xlsx", b"x", None)


def test_memory_library_can_be_told_to_fail():
    lib = MemoryLibrary.with_files({"a.xlsx": b"one"})
    lib.fail("list")
    with pytest.raises(LibraryError, match="could not be reached"):
        lib.list()
    assert [f.name for f in lib.list()] == ["a.xlsx"]  # only once
    etag = lib.list()[0].etag
    lib.refuse_next_upload("a.xlsx")
    with pytest.raises(RemoteChanged):
        lib.upload("a.xlsx", b"two", etag)
    assert lib.files["a.xlsx"] == b"one" and lib.uploads == 0
    lib.upload("a.xlsx", b"two", etag)
    assert lib.files["a.xlsx"] == b"two"
    with pytest.raises(ValueError, match="operation"):
        lib.fail("delete")


def test_colleague_writes_are_not_counted():
    lib = MemoryLibrary()
    lib.put("a.xlsx", b"theirs")
    lib.put(".hidden/b.xlsx", b"x")
    lib.put("~$a.xlsx", b"lock")
    assert [f.name for f in lib.list()] == ["a.xlsx"]
    lib.delete("a.xlsx")
    assert lib.list() == [] and (lib.uploads, lib.downloads) == (0, 0)
