"""The log a person can send: what sync decided and did, never a token or a workbook's cell text."""

import io
import logging
from logging.handlers import RotatingFileHandler

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from sync.library import LibraryError
from sync.logs import ROOT, redact, setup_logging, stop_logging
from sync.memory import MemoryLibrary
from sync.workflow import pull
from tomsync.cli import app

NAME = "borders.xlsx"
THEIR_TEXT = "Colleague wrote about pupil Jamie"
OUR_TEXT = "My private note on the visit"


def edited(data: bytes, sheet: str, ref: str, value) -> bytes:
    wb = load_workbook(io.BytesIO(data))
    wb[sheet][ref] = value
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_a_verbose_pull_logs_decisions_and_actions_but_no_cell_text(tmp_path, template_bytes):
    lib_dir, work = tmp_path / "library", tmp_path / "work"
    lib_dir.mkdir()
    (lib_dir / NAME).write_bytes(template_bytes)
    (lib_dir / "other.xlsx").write_bytes(template_bytes)
    runner = CliRunner()
    first = runner.invoke(app, ["pull", "-C", str(work), "--library", str(lib_dir)])
    assert first.exit_code == 0, first.output
    (work / NAME).write_bytes(edited((work / NAME).read_bytes(), "Kelso High", "J3", OUR_TEXT))
    (lib_dir / NAME).write_bytes(edited(template_bytes, "Hawick High", "J3", THEIR_TEXT))

    result = runner.invoke(app, ["-v", "pull", "-C", str(work), "--library", str(lib_dir)])
    assert result.exit_code == 0, result.output
    log = (work / ".tomsync" / "tomsync.log").read_text(encoding="utf-8")
    assert f"{NAME}: download: downloaded (new in the library)" in log  # the first, quiet run is logged too
    assert f"{NAME}: merge: merged the library's changes into local edits" in log
    assert f"{NAME}: the replaced local version is stashed as" in log
    assert "pull done in" in log and "1 changed" in log
    assert "DEBUG" not in log  # the file keeps INFO and up
    assert "DEBUG tomsync.sync: other.xlsx: here none, library none -> nothing (up to date)" in result.stderr
    assert "merge: 1 change(s) of ours, 0 clashing cell(s)" in result.stderr
    for text in (THEIR_TEXT, OUR_TEXT, "Jamie"):
        assert text not in log and text not in result.stderr
    assert load_workbook(work / NAME)["Hawick High"]["J3"].value == THEIR_TEXT  # it did merge

    quiet = runner.invoke(app, ["pull", "-C", str(work), "--library", str(lib_dir)])
    assert "DEBUG" not in quiet.stderr  # without -v nothing extra on stderr


def test_errors_are_logged_in_one_line(tmp_path):
    work = tmp_path / "work"
    result = CliRunner().invoke(app, ["pull", "-C", str(work), "--library", str(tmp_path / "nowhere")])
    assert result.exit_code == 2
    log = (work / ".tomsync" / "tomsync.log").read_text(encoding="utf-8")
    assert "ERROR tomsync.cli: could not run: ConfigError: --library" in log and "no such folder" in log

    lib = MemoryLibrary.with_files({"a.json": b"1", "b.json": b"2"})
    lib.fail("download", name="b.json")
    path = setup_logging(work)
    try:
        with pytest.raises(LibraryError):
            pull(work, lib)
    finally:
        stop_logging()
    log = path.read_text(encoding="utf-8")
    assert "a.json: download: downloaded (new in the library)" in log
    assert "ERROR tomsync.sync: pull stopped at b.json: LibraryError: the library could not be reached" in log


def test_anything_like_a_token_is_redacted_before_it_is_written(tmp_path):
    path = setup_logging(tmp_path)
    try:
        log = logging.getLogger(f"{ROOT}.sharepoint")
        log.info("sent Authorization: Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln to %s",
                 "https://graph.example/x")
        log.info("token answer %s", {"access_token": "abc123secret", "expires_in": 3600})
        try:
            raise RuntimeError("upload failed for https://up.example/s?tempauth=zzzsecretzzz&x=1")
        except RuntimeError:
            log.exception("upload failed")
    finally:
        stop_logging()
    text = path.read_text(encoding="utf-8")
    for secret in ("eyJhbGciOiJSUzI1NiJ9", "abc123secret", "zzzsecretzzz"):
        assert secret not in text
    assert text.count("[redacted]") >= 3 and "expires_in" in text and "upload failed for" in text
    assert redact("nothing secret: borders.xlsx uploaded, HTTP 201") == (
        "nothing secret: borders.xlsx uploaded, HTTP 201")


def test_the_log_file_rotates_and_setup_can_be_repeated(tmp_path):
    setup_logging(tmp_path, verbose=True)
    setup_logging(tmp_path)
    try:
        handlers = [h for h in logging.getLogger(ROOT).handlers if not isinstance(h, logging.NullHandler)]
        (rotating,) = [h for h in handlers if isinstance(h, RotatingFileHandler)]
        assert (rotating.maxBytes, rotating.backupCount) == (1_000_000, 3)
        assert len(handlers) == 1  # repeated set-up replaced, not doubled; not verbose: no stderr
    finally:
        stop_logging()
    assert all(isinstance(h, logging.NullHandler) for h in logging.getLogger(ROOT).handlers)
