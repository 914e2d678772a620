"""The embedded default: a local folder library with three months of history, run through the cycle.

    DIR/library/   stands in for the SharePoint document library (a FolderLibrary)
    DIR/work/      the programme manager's working copy: pulled workbooks, archive/, reports/

Each month, "staff" update the workbook in the library (an upload naming the version they pulled,
exactly as a push does), then the programme manager runs the month's cycle.

Before the first month the programme manager extends the Scottish TOM with its WAGJLL rows ("what a
good job looks like", seed 000) through the upgrade engine, as `tomsync master add --tier wagjll`
does, so the demo shows both tiers (`rollup --by tier`, the report's By tier page). Its schools
also get made-up staff work contacts (`data.with_contacts`), so `tomsync remind` drafts have a To.
"""

from __future__ import annotations

import io
import re
import shutil
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from openpyxl import load_workbook

from sync.cycle import CycleResult, Progress, run_cycle
from sync.folder import FolderLibrary
from tomsync.demo.data import demo_month, fill_month, with_contacts
from workbook_templates.spec import Spec, load_spec
from workbook_templates.template import build_workbook
from xl_addin.conf import ADDIN_SHEETS

WORKBOOK = "scottish-borders-tom.xlsx"


def workbook_name(spec: Spec) -> str:
    """The demo workbook's name: the Scottish TOM's, or the hub's plan ("riverside-careers-hub-plan.xlsx")."""
    if spec.plan is None:
        return WORKBOOK
    return re.sub(r"[^a-z0-9]+", "-", spec.area.lower()).strip("-") + "-plan.xlsx"
MARKER = ".tomsync-demo"


@dataclass
class DemoResult:
    library: Path
    workdir: Path
    months: list[str]
    cycles: list[CycleResult]


def _month_end(month: str, today: date) -> date:
    y, m = int(month[:4]), int(month[5:7])
    return min(date(y, m, 28), today)  # a plan's snapshot month: its cycle runs after the 25th's update


def staff_update(library: FolderLibrary, spec: Spec, name: str, month: str, today: date, seed: int) -> None:
    """Staff fill in their tabs for ``month`` and push the workbook to the library."""
    remote = {f.name: f for f in library.list()}
    if name in remote:
        data, current = library.download(name)
        wb = load_workbook(io.BytesIO(data))
        etag: str | None = current.etag
    else:
        wb, etag = build_workbook(spec, extras=ADDIN_SHEETS), None
    fill_month(wb, spec, month, today, seed)
    buf = io.BytesIO()
    wb.save(buf)
    library.upload(name, buf.getvalue(), etag)


WAGJLL = (  # beyond the minimum: a Red here does not cap a school, and it may be Not applicable
    {"ID": "W01", "Theme": "Employer engagement", "Lead": "DYW", "Audience": "S3", "When": "Term 3",
     "Activity": "Employer-led project or challenge with every S3 class",
     "Target": "One employer challenge per S3 class"},
    {"ID": "W02", "Theme": "Career guidance", "Lead": "Joint", "Audience": "S1-S3", "When": "Term 2",
     "Activity": "Career education standard lessons co-delivered by SDS and teachers",
     "Target": "Two co-delivered lessons per year group"},
    {"ID": "W03", "Theme": "Parents and carers", "Lead": "Joint", "Audience": "Parents", "When": "Feb",
     "Activity": "Pathways evening with employers, college and SDS for S3-S5 parents",
     "Target": "Pathways evening held by end of February"},
)


def extend_with_wagjll(library: FolderLibrary, spec: Spec, name: str) -> Spec:
    """The programme manager's first change of the year: the WAGJLL rows, rolled into a new workbook
    in the library (`workbook_templates.upgrade`); returns the workbook's spec now."""
    from workbook_templates.master_edit import add_row
    from workbook_templates.package import Package
    from workbook_templates.upgrade import upgrade_package

    buf = io.BytesIO()
    build_workbook(spec, extras=ADDIN_SHEETS).save(buf)
    pkg = Package(buf.getvalue())
    new = spec
    for row in WAGJLL:
        new = add_row(new, dict(row), tier="wagjll")
    upgrade_package(pkg, new, "programme manager (demo)", "the WAGJLL TOM")
    library.upload(name, pkg.to_bytes(), None)
    return new


def check_directory(root: str | Path) -> bool:
    """True if ``root`` holds an earlier demo (to be redone); ValueError if it holds anything else."""
    root = Path(root)
    if root.exists() and not root.is_dir():
        raise ValueError(f"{root} is a file, not a folder")
    if root.exists() and any(root.iterdir()):
        if not (root / MARKER).exists():
            raise ValueError(f"{root} is not empty and holds no earlier demo: choose another folder")
        return True
    return False


def run_demo(directory: str | Path, spec_name: str = "scottish-tom", seed: int = 2026,
             today: date | None = None, progress: Progress | None = None) -> DemoResult:
    """Build the folder library, then three monthly cycles ending with the current month."""
    today = today or date.today()
    spec = load_spec(spec_name)
    root = Path(directory)
    lib_dir, work = root / "library", root / "work"
    marker = root / MARKER
    if check_directory(root):
        shutil.rmtree(lib_dir, ignore_errors=True)  # a demo starts afresh, so history is consistent
        shutil.rmtree(work, ignore_errors=True)
    lib_dir.mkdir(parents=True, exist_ok=True)
    marker.write_text("made by 'tomsync demo'; the demo empties library/ and work/ when run again\n")
    library = FolderLibrary(lib_dir)
    if spec.plan is not None:  # termly: the last three formal snapshots (three terms of history)
        from tomsync.demo.england import demo_months

        months = demo_months(spec, today)
    else:
        last = spec.months.index(demo_month(spec, today))
        months = list(spec.months[max(0, last - 2): last + 1])
    spec = with_contacts(spec)
    if spec_name == "scottish-tom":
        spec = extend_with_wagjll(library, spec, WORKBOOK)
    cycles = []
    for month in months:
        end = _month_end(month, today)
        staff_update(library, spec, workbook_name(spec), month, end, seed)
        cycles.append(run_cycle(work, library, month, end, progress))
    return DemoResult(lib_dir, work, months, cycles)
