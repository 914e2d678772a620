"""What a member of staff sees on a school tab: a prompt on each cell they fill, readable rows."""

from __future__ import annotations

from pathlib import Path

from openpyxl import load_workbook

from workbook_templates.layout import Layout
from workbook_templates.spec import load_spec


def _prompts(ws: object, cell: str) -> list[tuple[str | None, str | None]]:
    return [(dv.promptTitle, dv.prompt) for dv in ws.data_validations.dataValidation  # type: ignore[attr-defined]
            if cell in dv.sqref and dv.showInputMessage]


def test_status_rag_date_and_own_id_cells_prompt_what_to_type(scottish: Path) -> None:
    ws = load_workbook(scottish)["Hawick High"]
    spec = load_spec("scottish-tom")
    first_free = Layout(spec).master_end + 1
    (status,) = _prompts(ws, "H2")
    assert status[0] == "Status" and "Not started, In progress, Complete, Not applicable" in (status[1] or "")
    (rag,) = _prompts(ws, "I2")
    assert rag[1] is not None and rag[1].startswith("R: not started when it should have")
    (updated,) = _prompts(ws, f"L{first_free}")
    assert "15/09/2026" in (updated[1] or "")
    (own,) = _prompts(ws, f"A{first_free}")
    assert own[1] is not None and "HAW-01, HAW-02" in own[1]
    assert not _prompts(ws, "A2")  # a master row's ID is locked: nothing to type
    assert ws.row_dimensions[first_free].height == 30  # two lines for a note or a link
    assert ws[f"J{first_free}"].alignment.wrap_text and ws[f"K{first_free}"].alignment.wrap_text
