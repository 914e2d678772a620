"""Bounded resources (issue 9): a zip bomb or a tab of a million rows is refused before it is parsed."""

from __future__ import annotations

import io
import subprocess
import sys
import time
import zipfile
from datetime import date
from pathlib import Path

import pytest

from tests.workbook_templates.helpers import findings, set_cells
from workbook_templates import reader
from workbook_templates.reader import Limits, WorkbookReadError, check_package, package_problem, read_workbook
from workbook_templates.validate import Finding
from workbook_templates.validate.school import check_school


def _school_part(book: Path) -> str:
    with zipfile.ZipFile(book) as zf:
        return reader._sheet_paths(zf)["Hawick High"]


def replace_part(book: Path, out: Path, part: str, xml_chunks: list[bytes]) -> Path:
    """``book`` with ``part`` replaced by the concatenated chunks (written streaming, compressed)."""
    with zipfile.ZipFile(book) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            if info.filename == part:
                target = zipfile.ZipInfo(part)
                target.compress_type = zipfile.ZIP_DEFLATED
                with dst.open(target, "w", force_zip64=True) as stream:
                    for chunk in xml_chunks:
                        stream.write(chunk)
            else:
                dst.writestr(info, src.read(info.filename), compress_type=zipfile.ZIP_DEFLATED)
    return out


def sheet(rows: list[bytes] | bytes, repeat: int = 1) -> list[bytes]:
    head = b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
    body = rows if isinstance(rows, list) else [rows] * repeat
    return [head, *body, b"</sheetData></worksheet>"]


def bomb(book: Path, out: Path, megabytes: int = 60) -> Path:
    row = b'<row r="2"><c r="A2" t="inlineStr"><is><t>x</t></is></c></row>' * 16_000  # ~1 MB
    return replace_part(book, out, _school_part(book), sheet(row, megabytes))


def many_rows(book: Path, out: Path, n: int) -> Path:
    rows = [b"".join(b'<row r="%d"><c r="A%d"><v>%d</v></c></row>' % (r, r, r)
                     for r in range(start, min(start + 10_000, n + 1)))
            for start in range(1, n + 1, 10_000)]
    return replace_part(book, out, _school_part(book), sheet(rows))


def test_real_workbooks_pass_with_room_to_spare(scottish_master: Path) -> None:
    with zipfile.ZipFile(scottish_master) as zf:
        check_package(zf, scottish_master, Limits(max_rows=100, max_ratio=20, ratio_from_bytes=10_000))
    assert package_problem(scottish_master.read_bytes()) is None


def test_a_zip_bomb_is_refused_quickly_in_one_line(scottish_master: Path, tmp_path: Path) -> None:
    path = bomb(scottish_master, tmp_path / "bomb.xlsx")
    assert path.stat().st_size < 2_000_000  # 60 MB of XML in well under 2 MB
    started = time.perf_counter()
    with pytest.raises(WorkbookReadError) as caught:
        read_workbook(path)
    assert time.perf_counter() - started < 2
    message = str(caught.value)
    part = _school_part(scottish_master)
    assert "\n" not in message and message.startswith(f"{path}: part {part} inflates")
    assert "over the limit of 100; not read" in message


def test_the_part_size_limit_is_configurable(scottish_master: Path, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    path = bomb(scottish_master, tmp_path / "bomb.xlsx", megabytes=3)
    with pytest.raises(WorkbookReadError, match="inflates to 3 MB, over the limit of 2 MB"):
        read_workbook(path, Limits(max_part_bytes=2 * reader.MB, max_ratio=10_000))
    monkeypatch.setenv("TOMSYNC_MAX_PART_MB", "1")
    monkeypatch.setenv("TOMSYNC_MAX_RATIO", "5000")
    assert Limits.from_env() == Limits(max_part_bytes=reader.MB, max_ratio=5000.0)
    with pytest.raises(WorkbookReadError, match="over the limit of 1 MB"):
        read_workbook(path)
    with pytest.raises(ValueError, match="limit max_rows must be more than 0"):
        Limits.from_settings({"max_rows": 0})


def test_a_tab_with_too_many_rows_is_refused_before_parsing(scottish_master: Path, tmp_path: Path) -> None:
    path = many_rows(scottish_master, tmp_path / "long.xlsx", 30_000)
    with pytest.raises(WorkbookReadError) as caught:
        read_workbook(path)
    assert str(caught.value) == (f"{path}: tab 'Hawick High' has more than 20,000 used rows, over the limit; "
                                 "delete the empty rows below the data (or raise TOMSYNC_MAX_ROWS); not read")
    assert read_workbook(path, Limits(max_rows=40_000)).schools["Hawick High"].name == "Hawick High"


def test_a_part_whose_sizes_lie_is_refused(scottish_master: Path, tmp_path: Path) -> None:
    data = bytearray(scottish_master.read_bytes())
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as zf:
        info = zf.getinfo(_school_part(scottish_master))
    name = info.filename.encode()
    central = next(i for i in range(len(data)) if data[i:i + 4] == b"PK\x01\x02"
                   and data[i + 46:i + 46 + len(name)] == name)
    data[central + 24:central + 28] = (10).to_bytes(4, "little")  # claim it inflates to 10 bytes
    path = tmp_path / "liar.xlsx"
    path.write_bytes(bytes(data))
    with pytest.raises(WorkbookReadError, match="impossible sizes"):
        read_workbook(path)


@pytest.mark.skipif(sys.platform == "win32", reason="ulimit is POSIX")
def test_under_a_3_gib_cap_no_input_crashes(scottish_master: Path, tmp_path: Path,
                                            as_windows: bool) -> None:
    """The issue's 4 GiB bomb and 1,048,576-row tab, in small: read in a process capped at 3 GiB."""
    if as_windows:
        pytest.skip("POSIX resource limits: not in the simulated Windows run")
    bomb_path = bomb(scottish_master, tmp_path / "bomb.xlsx", megabytes=300)
    rows_path = many_rows(scottish_master, tmp_path / "rows.xlsx", 1_048_576)
    script = (
        "import resource, sys\n"
        "cap = 3 * 1024 ** 3\n"
        "resource.setrlimit(resource.RLIMIT_AS, (cap, cap))\n"
        "from workbook_templates.reader import WorkbookReadError, read_workbook\n"
        "for path in sys.argv[1:]:\n"
        "    try:\n"
        "        read_workbook(path)\n"
        "        print('read', path)\n"
        "    except WorkbookReadError as exc:\n"
        "        print('refused', exc)\n"
        "linux = sys.platform == 'linux'\n"
        "hwm = [l for l in open('/proc/self/status') if l.startswith('VmHWM:')] if linux else []\n"
        "print('peak KB', hwm[0].split()[1] if hwm else 0)\n"
    )
    done = subprocess.run([sys.executable, "-c", script, str(bomb_path), str(rows_path)], capture_output=True,
                          text=True, timeout=120, cwd=Path(__file__).parents[2])
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith(f"refused {bomb_path}: part ") and "inflates" in lines[0]
    assert lines[1].startswith(f"refused {rows_path}: tab 'Hawick High' has more than 20,000 used rows")
    assert int(lines[2].split()[-1]) < 400_000  # KB (Linux): never near the cap


def test_findings_are_capped_per_tab(scottish: Path) -> None:
    set_cells(scottish, "Hawick High", {f"I{r}": "Purple" for r in range(2, 14)})  # 12 vocabulary errors
    data = read_workbook(scottish)
    every = [f for f in findings(scottish) if f.sheet == "Hawick High"]
    out: list[Finding] = []
    check_school(data, data.schools["Hawick High"], None, date(2026, 11, 28), out, max_findings=5)
    assert out[:5] == every[:5] and len(out) == 6
    last = out[-1]
    assert (last.sheet, last.rule, last.severity) == ("Hawick High", "too-many-findings", "error")
    assert last.message.startswith(f"{len(every) - 5} more finding(s) on this tab")


def test_validate_refuses_a_bomb_with_exit_2_and_one_line(scottish_master: Path, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from tomsync.cli import app

    path = bomb(scottish_master, tmp_path / "bomb.xlsx", megabytes=20)
    result = CliRunner().invoke(app, ["validate", str(path)])
    assert result.exit_code == 2
    assert len(result.stderr.strip().splitlines()) == 1 and "inflates" in result.stderr
