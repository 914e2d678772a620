"""The `tomsync` command: a thin shell over the library (each command is a few lines).

Exit statuses: 0 done (warnings allowed); 1 validation errors found; 2 could not run (a file that
cannot be read, a bad spec, bad options): one line on stderr saying why, never a traceback;
3 a sync conflict that needs a person.
"""

from __future__ import annotations

import csv
import json
import sys
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from workbook_templates.reader import WorkbookReadError, read_workbook
from workbook_templates.rollup import RULES, RollupResult, rollup_workbook
from workbook_templates.spec import SpecError, load_spec
from workbook_templates.summary import refresh_summary_file
from workbook_templates.template import write_template
from workbook_templates.validate import Finding, parse_month, summary_counts, validate

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="TOM workbooks for school careers services: build, validate, roll up, sync.")
template_app = typer.Typer(no_args_is_help=True, help="Build workbooks from a spec.")
app.add_typer(template_app, name="template")
out = Console()
err = Console(stderr=True)
RAG_STYLE = {"R": "bold white on red", "A": "bold black on yellow", "G": "bold white on green"}


def fail(message: str, code: int = 2) -> typer.Exit:
    """Print one line on stderr and return the Exit to raise."""
    err.print(f"tomsync: {message}", markup=False, highlight=False)
    return typer.Exit(code)


def _month(month: str | None) -> str | None:
    if month is None:
        return None
    try:
        parse_month(month)
    except ValueError as exc:
        raise fail(str(exc)) from None
    return month


# -- template ----------------------------------------------------------------------------------

@template_app.command("build")
def template_build(
    spec: Annotated[str, typer.Argument(help="a spec file, or a shipped spec: scottish-tom, gatsby-plan")],
    output: Annotated[Path, typer.Option("-o", "--output", help="the .xlsx file to write")],
    password: Annotated[str | None, typer.Option(
        help="sheet protection password (default: $TOMSYNC_SHEET_PASSWORD)")] = None,
) -> None:
    """Write a new workbook from SPEC: Guide, Summary, Master, one tab per school, Lists."""
    try:
        s = load_spec(spec)
        write_template(s, output, password)
    except SpecError as exc:
        raise fail(str(exc)) from None
    out.print(f"wrote {output} ({len(s.schools)} school tabs, {len(s.master)} master rows)")


# -- validate ----------------------------------------------------------------------------------

def findings_table(findings: list[Finding]) -> Table:
    table = Table("Sheet", "Cell", "ID", "Rule", "Severity", "Message", show_lines=False)
    for f in findings:
        style = "red" if f.severity == "error" else "yellow"
        table.add_row(f.sheet, f.cell, f.row_id or "", f.rule, f"[{style}]{f.severity}[/]", f.message)
    return table


@app.command("validate")
def validate_cmd(
    file: Annotated[Path, typer.Argument(help="the workbook (.xlsx)")],
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
    month: Annotated[str | None, typer.Option(help="cycle month YYYY-MM (enables the stale check)")] = None,
) -> None:
    """Check a workbook; exit 0 if no errors (warnings allowed), 1 if errors, 2 if unreadable."""
    month = _month(month)
    try:
        data = read_workbook(file)
    except WorkbookReadError as exc:
        raise fail(str(exc)) from None
    findings = validate(data, month)
    errors, warnings = summary_counts(findings)
    if as_json:
        print(json.dumps({"file": str(file), "errors": errors, "warnings": warnings,
                          "findings": [f.as_dict() for f in findings]}, indent=2, default=str))
    else:
        if findings:
            out.print(findings_table(findings))
        out.print(f"{file}: {errors} error(s), {warnings} warning(s)")
    raise typer.Exit(1 if errors else 0)


# -- rollup ------------------------------------------------------------------------------------

def rollup_table(result: RollupResult) -> Table:
    table = Table(*[b.capitalize() for b in result.by], "R", "A", "G", "Unrated", "RAG",
                  title=f"Roll-up by {', '.join(result.by)} (rule: {result.rule})")
    for g in [*result.groups, result.overall]:
        keys = list(g.key.values()) if g.key else ["[b]All[/b]"] + [""] * (len(result.by) - 1)
        rag = f"[{RAG_STYLE[g.rag]}] {g.rag} [/]" if g.rag in RAG_STYLE else "-"
        table.add_row(*keys, str(g.R), str(g.A), str(g.G), str(g.unrated), rag)
    return table


def _by(by: str) -> list[str]:
    parts = [b.strip() for b in by.split(",") if b.strip()]
    bad = [b for b in parts if b not in ("school", "theme", "lead")]
    if not parts or bad:
        raise fail(f"--by takes school, theme, lead or a comma list of them, not {by!r}")
    return parts


@app.command("rollup")
def rollup_cmd(
    file: Annotated[Path, typer.Argument(help="the workbook (.xlsx)")],
    by: Annotated[str, typer.Option(help="school | theme | lead | school,theme ...")] = "school",
    rule: Annotated[str | None, typer.Option(help="score | worst | majority (default: the spec's)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
    as_csv: Annotated[bool, typer.Option("--csv", help="print CSV")] = False,
    write: Annotated[bool, typer.Option("--write", help="refresh the workbook's Summary tab")] = False,
) -> None:
    """Counts of R / A / G / unrated and the rolled-up RAG per group."""
    if rule is not None and rule not in RULES:
        raise fail(f"--rule must be one of {', '.join(RULES)}, not {rule!r}")
    groups = _by(by)
    try:
        data = read_workbook(file)
    except WorkbookReadError as exc:
        raise fail(str(exc)) from None
    result = rollup_workbook(data, groups, rule)
    if as_json:
        d = result.as_dict()
        print(json.dumps({"rule": d["rule"], "by": d["by"], "groups": d["groups"], "overall": d["overall"]},
                         indent=2))
    elif as_csv:
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow([*result.by, "R", "A", "G", "unrated", "rag"])
        for g in result.groups:
            writer.writerow([*g.key.values(), g.R, g.A, g.G, g.unrated, g.rag])
    else:
        out.print(rollup_table(result))
    if write:
        refresh_summary_file(file, [result])
        if not (as_json or as_csv):
            out.print(f"refreshed the Summary tab of {file}")


# -- demo --------------------------------------------------------------------------------------

@app.command("demo")
def demo_cmd(
    directory: Annotated[Path, typer.Argument(help="where to leave the files")] = Path("tom-demo"),
    spec: Annotated[str, typer.Option(help="spec file or shipped spec name")] = "scottish-tom",
    seed: Annotated[int, typer.Option(help="random seed for the demo data")] = 2026,
) -> None:
    """Build a demo workbook with realistic progress and mistakes, validate it and roll it up."""
    from workbook_templates.demo import build_demo_workbook, demo_month
    try:
        s = load_spec(spec)
    except SpecError as exc:
        raise fail(str(exc)) from None
    today = date.today()
    month = demo_month(s, today)
    path = build_demo_workbook(s, directory / f"{s.name}.xlsx", month, today, seed)
    data = read_workbook(path)
    findings = validate(data, month, today)
    out.print(findings_table(findings))
    errors, warnings = summary_counts(findings)
    out.print(f"{path}: {errors} error(s), {warnings} warning(s) for {month}")
    for by in (["school"], ["theme"]):
        out.print(rollup_table(rollup_workbook(data, by)))
    out.print(f"The workbook is at {path}: open it in Excel.")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
