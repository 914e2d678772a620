"""Realistic generated TOM workbooks for the benchmarks (shared by bench_core and bench_cycle)."""

from __future__ import annotations

import random
import re
import zipfile
from dataclasses import replace
from datetime import date
from pathlib import Path

from workbook_templates.atomic import save_workbook_atomic
from workbook_templates.cells import set_data
from workbook_templates.layout import Layout
from workbook_templates.spec import School, load_spec
from workbook_templates.template import build_workbook

WORDS = ("employer talk mock interview careers fair labour market guidance pathway apprenticeship college "
         "university placement senior phase parents evening S4 S5 S6 review agreed delivered planned "
         "feedback evaluation partners timetable options choices tracking destinations").split()


def sentence(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n)).capitalize() + "."


def build(path: Path, schools: int, rows: int, seed: int = 7, area: str | None = None,
          prefix: str = "S") -> None:
    """A workbook of ``schools`` tabs x ``rows`` rows (master + own activities), every row filled."""
    base = load_spec("scottish-tom")
    spec = replace(base, area=area or base.area,
                   schools=tuple(School(f"{prefix}{i:03d}", f"{prefix} School {i:03d}")
                                 for i in range(schools)),
                   free_rows=max(0, rows - len(base.master)))
    wb = build_workbook(spec, "bench")
    layout = Layout(spec)
    col = {h: i + 1 for i, h in enumerate(layout.headers)}
    rng = random.Random(seed)
    theme = spec.column("theme").choices
    for s in spec.schools:
        ws = wb[s.sheet]
        for r in range(2, layout.last_row + 1):
            own = r > layout.master_end
            if own:
                values = {"ID": f"{s.id}-{r:02d}", "Theme": rng.choice(theme), "Activity": sentence(rng, 8),
                          "Lead": rng.choice(["DYW", "SDS", "Joint", "School"]), "Audience": "S4-S6",
                          "When": "Ongoing", "Target": sentence(rng, 5)}
            else:
                values = {}
            rag = rng.choice(["R", "A", "G", "G", None])
            values.update({"Status": "In progress" if rag else "Not started", "RAG": rag,
                           "Progress notes": sentence(rng, 14),
                           "Last updated": date(2026, 11, rng.randint(1, 27)),
                           "Updated by": "DYW co-ordinator",
                           "Evidence link": f"https://example.sharepoint.com/e/{s.id}/{r}.pdf"})
            for h, v in values.items():
                set_data(ws.cell(row=r, column=col[h]), v)
    save_workbook_atomic(wb, path)


TOKEN_ID, TOKEN_NAME = "ZQX000", "ZQX School 000"  # what `write_school_variant` replaces in a template
_RAG = re.compile(rb'(<c r="I\d+"[^>]*><is><t>)([RAG])(</t></is></c>)')
_UPDATED = re.compile(rb'(<c r="L\d+"[^>]*t="n"><v>)(\d+)(</v>)')
_NOVEMBER_1 = 46327  # Excel's serial for 2026-11-01


def school_template(path: Path, seed: int, area: str) -> None:
    """A one-school workbook whose school ID and name are placeholders for `write_school_variant`."""
    build(path, 1, 80, seed=seed, area=area, prefix="ZQX")


def write_school_variant(template: dict[str, tuple[zipfile.ZipInfo, bytes]], path: Path, school_id: str,
                         name: str, seed: int) -> None:
    """Write a copy of a one-school template as a different school, with its own RAG ratings and update
    dates: thousands of distinct schools in seconds, where building each costs ~0.2 s."""
    rng = random.Random(seed)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for part, (info, data) in template.items():
            if part.endswith(".xml"):
                data = data.replace(TOKEN_NAME.encode(), name.encode()).replace(TOKEN_ID.encode(),
                                                                                school_id.encode())
                if b"example.sharepoint.com/e/" in data:  # the school's tab
                    data = _RAG.sub(lambda m: m[1] + bytes([rng.choice(b"RAGG")]) + m[3], data)
                    data = _UPDATED.sub(lambda m: b"%s%d%s" % (m[1], _NOVEMBER_1 + rng.randint(0, 26), m[3]),
                                        data)
            zf.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED)


def read_template(path: Path) -> dict[str, tuple[zipfile.ZipInfo, bytes]]:
    with zipfile.ZipFile(path) as zf:
        return {i.filename: (i, zf.read(i)) for i in zf.infolist()}
