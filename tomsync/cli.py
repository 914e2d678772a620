"""The `tomsync` command: a thin shell over the library (each command is a few lines).

Exit statuses: 0 done (warnings allowed); 1 validation errors found; 2 could not run (a file that
cannot be read, a bad spec, bad options): one line on stderr saying why, never a traceback;
3 a sync conflict that needs a person.
"""

from __future__ import annotations

import csv
import json
import logging
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import Progress as RProgress
from rich.table import Table

from workbook_templates.reader import WorkbookReadError, first_line, read_workbook
from workbook_templates.rollup import RULES, RollupResult, left_out, rollup_workbook
from workbook_templates.spec import SpecError, load_spec
from workbook_templates.template import resolve_password, write_template
from workbook_templates.validate import Finding, parse_month, summary_counts, validate
from workbook_templates.winfiles import cannot_write
from xl_addin.commands import addin_app
from xl_addin.conf import ADDIN_SHEETS

if TYPE_CHECKING:
    from sync.connect import Connection
    from sync.cycle import CycleResult, Selection
    from sync.workflow import SyncReport
    from workbook_templates.reader import Limits

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="TOM workbooks for school careers services: build, validate, roll up, sync.")
template_app = typer.Typer(no_args_is_help=True, help="Build workbooks from a spec.")
app.add_typer(template_app, name="template")
app.add_typer(addin_app, name="addin")
out = Console()
err = Console(stderr=True)
RAG_STYLE = {"R": "bold white on red", "A": "bold black on yellow", "G": "bold white on green"}


_verbose = False  # set by the global -v; the sync commands pass it to sync.logs.setup_logging


@app.callback()
def main_options(
    ctx: typer.Context,
    verbose: Annotated[bool, typer.Option(
        "-v", "--verbose",
        help="show what sync does, step by step, on stderr, and the details of an unexpected error")] = False,
    debug: Annotated[bool, typer.Option(
        "--debug", help="print the traceback of an unexpected error (also TOMSYNC_DEBUG=1)")] = False,
) -> None:
    global _verbose
    _verbose = verbose
    from sync.logs import stop_logging

    ctx.call_on_close(stop_logging)


def _log_to(workdir: Path, only_if_synced: bool = False) -> None:
    """Log this command to WORKDIR/.tomsync/tomsync.log (and to stderr with -v)."""
    from sync.logs import setup_logging
    from sync.state import STATE_DIR

    if only_if_synced and not (workdir / STATE_DIR).is_dir():
        return
    try:
        setup_logging(workdir, _verbose)
    except OSError as exc:
        print(f"tomsync: note: no log file in {workdir} ({exc.strerror or exc})", file=sys.stderr)


def fail(message: str, code: int = 2) -> typer.Exit:
    """Print one line on stderr (never wrapped, whatever the terminal) and return the Exit to raise."""
    line = " ".join(message.split())
    print(f"tomsync: {line}", file=sys.stderr, flush=True)
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
    force: Annotated[bool, typer.Option("--force", help="replace an existing file")] = False,
) -> None:
    """Write a new workbook from SPEC: Guide, Summary, Master, one tab per school, Lists."""
    if output.exists() and not force:
        raise fail(f"{output} exists: a new template would replace everything in it; use --force to do so")
    try:
        s = load_spec(spec)
        write_template(s, output, password, extras=ADDIN_SHEETS)
    except SpecError as exc:
        raise fail(str(exc)) from None
    except OSError as exc:
        raise fail(cannot_write(output, exc)) from None
    out.print(f"wrote {output} ({len(s.schools)} school tabs, {len(s.master)} master rows)")
    if resolve_password(password) is None:
        print("tomsync: note: sheets are protected without a password (anyone can unprotect them); "
              "give --password or set TOMSYNC_SHEET_PASSWORD", file=sys.stderr)


# -- validate ----------------------------------------------------------------------------------

def findings_table(findings: list[Finding]) -> Table:
    """The findings, the cell and rule never cut short (a narrow terminal wraps the message instead)."""
    table = Table(show_lines=False)
    for name in ("Sheet", "Cell", "ID", "Rule", "Severity", "Message"):
        whole = name in ("Cell", "Rule", "Severity")
        table.add_column(name, no_wrap=whole, min_width=max([len(name), *(
            len(getattr(f, name.lower())) for f in findings)]) if whole else None)
    for f in findings:
        style = "red" if f.severity == "error" else "yellow"
        table.add_row(escape(f.sheet), f.cell, escape(f.row_id or ""), f.rule, f"[{style}]{f.severity}[/]",
                      escape(f.message))
    return table


@app.command("validate")
def validate_cmd(
    file: Annotated[Path, typer.Argument(help="the workbook (.xlsx)")],
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
    month: Annotated[str | None, typer.Option(help="cycle month YYYY-MM (enables the stale check)")] = None,
    annotate: Annotated[bool, typer.Option(
        "--annotate", help="also write the Issues tab and mark the cells (the ribbon's Validate)")] = False,
) -> None:
    """Check a workbook; exit 0 if no errors (warnings allowed), 1 if errors, 2 if unreadable."""
    from workbook_templates.annotate import annotate_file

    month = _month(month)
    try:
        findings = annotate_file(file, month) if annotate else validate(read_workbook(file), month)
    except WorkbookReadError as exc:
        raise fail(str(exc)) from None
    except OSError as exc:
        raise fail(cannot_write(file, exc)) from None
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
        keys = [escape(k) for k in g.key.values()] if g.key else ["[b]All[/b]"] + [""] * (len(result.by) - 1)
        rag = f"[{RAG_STYLE[g.rag]}] {g.rag} [/]" if g.rag in RAG_STYLE else "-"
        table.add_row(*keys, str(g.R), str(g.A), str(g.G), str(g.unrated), rag)
    return table


def _by(by: str) -> list[str]:
    parts = [b.strip() for b in by.split(",") if b.strip()]
    bad = [b for b in parts if b not in ("school", "theme", "lead", "tier")]
    if not parts or bad:
        raise fail(f"--by takes school, theme, lead, tier or a comma list of them, not {by!r}")
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
    """Counts of R / A / G / unrated and the rolled-up RAG per group.

    Exit 1 when ratings had to be left out (a school tab or RAG column renamed, an Excel error): each
    is named on stderr."""
    if as_json and as_csv:
        raise fail("choose one of --json and --csv")
    if rule is not None and rule not in RULES:
        raise fail(f"--rule must be one of {', '.join(RULES)}, not {rule!r}")
    groups = _by(by)
    if write:  # a read-only file or one open in Excel: refused before any work (issue 9)
        from workbook_templates.package import refuse_unwritable

        try:
            refuse_unwritable(file)
        except OSError as exc:
            raise fail(cannot_write(file, exc)) from None
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
        from workbook_templates.frame import as_text

        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow([*result.by, "R", "A", "G", "unrated", "rag"])
        for g in result.groups:  # a typed group name ("=HYPERLINK(...)") is never run by a spreadsheet
            writer.writerow([*(as_text(k) for k in g.key.values()), g.R, g.A, g.G, g.unrated, g.rag])
    else:
        out.print(rollup_table(result))
    if write:
        from workbook_templates.summary import write_summary_file

        try:
            write_summary_file(file, [result])
        except (WorkbookReadError, ValueError) as exc:
            raise fail(str(exc)) from None
        except OSError as exc:
            raise fail(cannot_write(file, exc)) from None
        if not (as_json or as_csv):
            out.print(f"refreshed the Summary tab of {file}")
    missed = left_out(data)
    for line in missed:
        print(f"tomsync: rating left out: {line}", file=sys.stderr)
    if missed:
        raise typer.Exit(1)


# -- sync --------------------------------------------------------------------------------------

WorkdirOpt = Annotated[Path, typer.Option("--workdir", "-C", help="the local working copy")]
LibraryOpt = Annotated[Path | None, typer.Option("--library", help="a folder used as the library")]
ConfigOpt = Annotated[Path | None, typer.Option("--config", help="tomsync.toml naming the library")]


@contextmanager
def sync_errors(conn: Connection | None = None) -> Iterator[None]:
    """Turn the sync layer's errors into one line and exit status 2."""
    from sync.config import ConfigError
    from sync.library import AuthError, LibraryError

    try:
        yield
    except AuthError as exc:
        if conn is not None:
            conn.forget_sign_in()
        raise fail(f"{exc} (the cached sign-in was dropped: run the command again to sign in)") from None
    except (LibraryError, ConfigError, WorkbookReadError, OSError, ValueError) as exc:
        line = first_line(exc)
        logging.getLogger("tomsync.cli").error("could not run: %s: %s", type(exc).__name__, line)
        raise fail(line) from None


def _connect(workdir: Path, library: Path | None, config: Path | None) -> Connection:
    from sync.connect import connect

    _log_to(workdir)
    with sync_errors():
        conn = connect(workdir, library, config)
    err.print(f"library: {conn.description}", markup=False, highlight=False)
    return conn


def _shown(value: object) -> str:
    """A cell value as a person would read it in a conflict table."""
    if value is None or value == "":
        return "(blank)"
    if isinstance(value, datetime):
        return value.strftime("%d/%m/%Y") if value.time() == datetime.min.time() else str(value)
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    return str(value)


def print_sync(report: SyncReport) -> None:
    refused_names = {name for name, _ in report.refused}
    changed = [(a, outcome) for a, outcome in report.changed() if a.name not in refused_names]
    for action, outcome in changed:
        out.print(f"  {action.name}: {outcome}", markup=False, highlight=False)
    for conflict in report.conflicts:
        table = Table("Sheet", "Cell", "ID", "Base", "Ours", "Theirs",
                      title=f"Conflicts in {conflict.name}: {conflict.reason}")
        for c in conflict.conflicts:
            values = (c.sheet, c.cell, c.row_id or "", *(_shown(v) for v in (c.base, c.ours, c.theirs)))
            table.add_row(*(escape(v) for v in values))
        if conflict.conflicts:
            out.print(table)
            out.print("  both versions kept: " + ", ".join(str(p) for p in conflict.copies), markup=False)
        copy = conflict.copies[-1].name if conflict.copies else "the .conflicts.xlsx copy"
        out.print(f"  to resolve: open {copy} (the Conflicts tab lists the cells, which hold the library's "
                  f"values), set them as agreed, save, then run: tomsync resolve {conflict.name}; "
                  "then push", markup=False, highlight=False)
    for name, why in report.refused:
        print(f"tomsync: {name}: {why}", file=sys.stderr)
    for kept in report.stashed:
        out.print(f"  {kept.name}: the previous local version is kept in the stash ({kept.stamp}); "
                  f"'tomsync restore {kept.name}' brings it back", markup=False, highlight=False)
    refused = f", {len(report.refused)} refused (broken: " + ", ".join(n for n, _ in report.refused) + ")" \
        if report.refused else ""
    out.print(f"{report.direction}: {len(changed)} file(s) changed, {report.downloads} download(s), "
              f"{report.uploads} upload(s), {len(report.conflicts)} conflict(s){refused}", markup=False,
              highlight=False)


def _sync(direction: str, workdir: Path, library: Path | None, config: Path | None) -> None:
    from sync.workflow import pull, push

    conn = _connect(workdir, library, config)
    with sync_errors(conn):
        report = (pull if direction == "pull" else push)(workdir, conn.library, workers=conn.settings.workers)
    print_sync(report)
    raise typer.Exit(3 if report.conflicts else 2 if report.refused else 0)


@app.command("pull")
def pull_cmd(workdir: WorkdirOpt = Path("."), library: LibraryOpt = None, config: ConfigOpt = None) -> None:
    """Bring the library's changes into the working copy; unpushed local edits are merged, not lost."""
    _sync("pull", workdir, library, config)


@app.command("resolve")
def resolve_cmd(
    name: Annotated[str, typer.Argument(help="the workbook with a conflict, as named in the library")],
    workdir: WorkdirOpt = Path("."),
    take: Annotated[str, typer.Option(
        help="copy: the edited NAME.conflicts.xlsx; theirs: the library's version")] = "copy",
) -> None:
    """Finish a conflict: the resolved copy becomes the working copy; push afterwards."""
    from sync.workflow import UnresolvedConflict, resolve

    _log_to(workdir, only_if_synced=True)
    try:
        message = resolve(workdir, name, take)
    except (UnresolvedConflict, ValueError, OSError) as exc:
        raise fail(str(exc)) from None
    out.print(message, markup=False, highlight=False)


@app.command("restore")
def restore_cmd(
    name: Annotated[str, typer.Argument(help="the workbook, as named in the library")],
    workdir: WorkdirOpt = Path("."),
    list_: Annotated[bool, typer.Option("--list", help="list the kept versions, newest first")] = False,
    at: Annotated[str | None, typer.Option(
        "--at", help="the version to bring back, as --list shows it (default: the newest)")] = None,
) -> None:
    """Bring back a version of NAME that a pull replaced (kept in .tomsync/stash/ for 60 days)."""
    from sync.stash import NothingStashed, restore, stashed

    _log_to(workdir, only_if_synced=True)
    if list_:
        kept = stashed(workdir, name)
        if not kept:
            raise fail(f"{name}: no stashed copies")
        for s in kept:
            out.print(f"{s.stamp}-{s.sha8}  {s.when:%d/%m/%Y %H:%M} UTC  {s.path.stat().st_size} bytes",
                      markup=False, highlight=False)
        return
    try:
        chosen = restore(workdir, name, at)
    except (NothingStashed, OSError) as exc:
        raise fail(str(exc)) from None
    out.print(f"{name}: restored the version stashed at {chosen.stamp} (the replaced one is stashed too); "
              "push to send it", markup=False, highlight=False)


@app.command("push")
def push_cmd(workdir: WorkdirOpt = Path("."), library: LibraryOpt = None, config: ConfigOpt = None) -> None:
    """Send local edits to the library; a version changed meanwhile is merged first (exit 3: conflict)."""
    _sync("push", workdir, library, config)


class RichProgress:
    """Adapter from the cycle's progress protocol to a rich progress bar."""

    def __init__(self, progress: RProgress) -> None:
        self.progress = progress

    def task(self, description: str, total: int) -> Callable[[], None]:
        task_id = self.progress.add_task(description, total=total)
        return lambda: self.progress.advance(task_id)


def print_cycle(result: CycleResult) -> None:
    print_sync(result.pulled)
    if result.pulled.conflicts:
        out.print(f"{result.month}: stopped after the pull: resolve the conflict(s) above, push, then run "
                  "the cycle again (no report was written or pushed)", markup=False, highlight=False)
        return
    for name, why in result.unreadable:
        print(f"tomsync: {name} could not be read, its schools are missing from the report: {why}",
              file=sys.stderr)
    for name, why in result.skipped:
        print(f"tomsync: skipped {name}: {why}", file=sys.stderr)
    c = result.consolidated
    if result.unchanged or c is None:
        out.print(f"{result.month}: nothing changed since the last run; the report stands")
        return
    from sync.report import period_label, term_labels, this_period

    terms = term_labels(c)  # a hub of termly plans: its trend by term, as the report labels it
    when = f"{period_label(c)} ({result.month})" if terms else result.month
    table = Table("School", *(terms or c.months), "R", "A", "G", "Unrated",
                  title=f"Schools, {when} (rule: {c.rule}), with the trend")
    for g in c.by_school.groups:
        school = g.key["school"]
        trend = [_rag_cell(c.trend.get(school, {}).get(m, "")) for m in c.months]
        table.add_row(escape(school), *trend, str(g.R), str(g.A), str(g.G), str(g.unrated))
    out.print(table)
    if c.not_updated:
        out.print(f"Not updated {this_period(c)}: " + ", ".join(
            f"{s} (last {d:%d/%m/%Y})" if d else f"{s} (never)" for s, d in c.not_updated), markup=False)
    out.print(f"validation: {c.errors} error(s), {c.warnings} warning(s) (listed in the report)")
    for name in result.outputs[-2:]:
        out.print(f"report: {name}", markup=False)
    if result.pushed is not None:
        out.print(f"pushed {result.pushed.uploads} file(s) to the library")


def _cycle_settings(workdir: Path, config: Path | None) -> tuple[Selection, Limits]:
    """tomsync.toml's [cycle] (which workbooks) and [limits] (what one workbook may cost to read),
    over the TOMSYNC_MAX_* environment; ConfigError naming the file for a wrong value."""
    from sync.config import ConfigError, find_config, load_config
    from sync.cycle import Selection
    from workbook_templates.reader import Limits

    path = config if config is not None else find_config(workdir)
    sections = load_config(path).sections if path is not None else {}
    try:
        selection = Selection.from_settings(sections.get("cycle", {}))
        limits = Limits.from_env(settings=sections.get("limits", {}))
    except ValueError as exc:
        raise ConfigError(f"{path or 'TOMSYNC_MAX_*'}: {exc}") from None
    return selection, limits


def _rag_cell(rag: str) -> str:
    return f"[{RAG_STYLE[rag]}] {rag} [/]" if rag in RAG_STYLE else "-"


@app.command("cycle")
def cycle_cmd(
    month: Annotated[str, typer.Option(help="the cycle month YYYY-MM")],
    workdir: WorkdirOpt = Path("."), library: LibraryOpt = None, config: ConfigOpt = None,
    force: Annotated[bool, typer.Option("--force", help="redo a month later months build on")] = False,
) -> None:
    """Month end: pull, validate, roll up, snapshot, write and push the consolidated report.

    Exit 0 done; 1 an area workbook could not be read or a broken library copy was refused (named on
    screen; the rest is reported);
    3 a conflict (nothing written or pushed); 2 could not run."""
    from sync.cycle import run_cycle

    _month(month)
    if month > date.today().strftime("%Y-%m"):
        print(f"tomsync: note: {month} has not started yet; tabs will read as not updated", file=sys.stderr)
    conn = _connect(workdir, library, config)
    with sync_errors(conn):
        selection, limits = _cycle_settings(workdir, config)
    with sync_errors(conn), RProgress(console=err, transient=True) as bar:
        result = run_cycle(workdir, conn.library, month, progress=RichProgress(bar), force=force,
                           selection=selection, limits=limits)
    print_cycle(result)
    raise typer.Exit(3 if result.conflicts else 1 if result.unreadable or result.refused else 0)


# -- import and spec infer (issue 13) -------------------------------------------------------------

spec_app = typer.Typer(no_args_is_help=True, help="Work with specs.")
app.add_typer(spec_app, name="spec")


@app.command("import")
def import_cmd(
    old: Annotated[Path, typer.Argument(help="the hand-made workbook (.xlsx)")],
    spec: Annotated[str, typer.Option(help="a spec file, or a shipped spec: scottish-tom, gatsby-plan")],
    output: Annotated[Path, typer.Option("-o", "--output", help="the new .xlsx to write")],
    password: Annotated[str | None, typer.Option(
        help="sheet protection password (default: $TOMSYNC_SHEET_PASSWORD)")] = None,
    force: Annotated[bool, typer.Option("--force", help="replace an existing file")] = False,
) -> None:
    """Bring a hand-made TOM into a new workbook built from SPEC, with an import report.

    Tabs map to schools, columns to the spec's, rows to master rows, each with a confidence; what
    does not map is kept on the "Imported, unmatched" tab. Exit 0 done; 2 could not run."""
    from workbook_templates.handmade import HandmadeError, read_handmade
    from workbook_templates.importer import known_headers, plan_import, write_import

    if output.exists() and not force:
        raise fail(f"{output} exists: use --force to replace it")
    try:
        s = load_spec(spec)
        plan = plan_import(read_handmade(old, known_headers(s)), s, str(old))
        path, md = write_import(plan, output, password, extras=ADDIN_SHEETS)
    except (SpecError, HandmadeError) as exc:
        raise fail(str(exc)) from None
    except OSError as exc:
        raise fail(cannot_write(output, exc)) from None
    c = plan.counts()
    typer.echo(f"wrote {path}: {c['master_rows']} row(s) on master rows, {c['own_rows']} as schools' own "
              f"rows, {c['unmatched_rows']} row(s) and {c['unmatched_cells']} cell(s) kept on 'Imported, "
              f"unmatched'; mean confidence {c['mean_confidence']}, {c['low_confidence_rows']} row(s) "
              "under 90 to check")
    typer.echo(f"import report: {md} (and the 'Import report' tab)")
    if not c["tabs_mapped"]:
        print(f"tomsync: note: no tab of {old} looked like a school of the spec {s.name}: is it the right "
              "spec? Everything is on the 'Imported, unmatched' tab", file=sys.stderr)


@spec_app.command("infer")
def spec_infer_cmd(
    old: Annotated[Path, typer.Argument(help="an existing (hand-made) workbook")],
    output: Annotated[Path, typer.Option("-o", "--output", help="the .toml spec to write")],
    force: Annotated[bool, typer.Option("--force", help="replace an existing file")] = False,
) -> None:
    """Draft a spec from an existing workbook: columns, lists, schools and shared master rows.
    What was guessed is written as comments in the file. Exit 0 done; 2 could not run."""
    from workbook_templates.atomic import atomic_write_bytes
    from workbook_templates.handmade import HandmadeError, read_handmade
    from workbook_templates.importer import known_headers
    from workbook_templates.infer import infer_spec

    if output.exists() and not force:
        raise fail(f"{output} exists: use --force to replace it")
    try:
        draft = infer_spec(read_handmade(old, known_headers()), old.stem)
        atomic_write_bytes(output, draft.toml().encode("utf-8"))
    except (HandmadeError, ValueError) as exc:
        raise fail(str(exc)) from None
    except OSError as exc:
        raise fail(cannot_write(output, exc)) from None
    d = draft.data
    typer.echo(f"wrote {output}: {len(d['schools'])} school(s), {len(d['columns'])} column(s), "
              f"{len(d['master'])} master row(s); check the lines marked 'guessed'")


# -- remind (issue 13) ---------------------------------------------------------------------------

def _remind_mailer(workdir: Path, config: Path | None) -> object:
    """A Graph mailer signed in as the programme manager (device code, Mail.Send asked for here only),
    from tomsync.toml's SharePoint [library]; ConfigError when there is none."""
    from sync.auth import TokenProvider
    from sync.config import ConfigError, SharePointConfig, find_config, load_config
    from sync.remind import GraphMailer

    path = config if config is not None else find_config(workdir)
    lib = load_config(path).library if path is not None else None
    if not isinstance(lib, SharePointConfig) or lib.auth != "device_code":
        raise ConfigError("--send needs a tomsync.toml whose [library] is SharePoint with auth = "
                          "\"device_code\" (mail goes as the signed-in programme manager); or send the "
                          "drafts from Outlook")
    token = TokenProvider.from_config(lib, extra_permissions=("Mail.Send",))
    typer.echo(f"sending as the signed-in user (token cache: {token.cache_kind})", err=True)
    return GraphMailer(token, lib.graph_url)


@app.command("remind")
def remind_cmd(
    month: Annotated[str, typer.Option(help="the cycle month YYYY-MM")],
    workdir: WorkdirOpt = Path("."), config: ConfigOpt = None,
    spec: Annotated[Path | None, typer.Option(
        help="a spec file whose schools' contacts replace the workbooks' (matched by school ID)")] = None,
    drafts: Annotated[Path | None, typer.Option(
        help="where to write the .eml drafts (default WORKDIR/reminders/YYYY-MM)")] = None,
    send: Annotated[bool, typer.Option(
        "--send", help="send through Microsoft Graph as the signed-in user")] = False,
    again: Annotated[bool, typer.Option(
        "--again", help="with --send: also schools already sent to this month")] = False,
    signature: Annotated[str, typer.Option(help="a line to sign the message with")] = "",
) -> None:
    """One message per school that has not updated this month or has errors: its findings and the
    deadline. Writes .eml drafts; with --send, sends them (never twice a month without --again).

    Exit 0 done; 1 a workbook could not be read (named); 2 could not run, or a school could not be
    sent to (named: no contacts, or Graph refused)."""
    from sync.remind import SentLog, find_reminders, send_reminders, write_drafts

    _month(month)
    _log_to(workdir)
    with sync_errors():
        selection, limits = _cycle_settings(workdir, config)
        contacts = load_spec(spec) if spec is not None else None
        skipped: list[tuple[str, str]] = []
        reminders, unreadable = find_reminders(workdir, month, selection=selection, limits=limits,
                                               contacts=contacts, skipped=skipped)
        folder = drafts if drafts is not None else workdir / "reminders" / month
        written = write_drafts(reminders, folder, signature=signature)
    for name, why in unreadable:
        print(f"tomsync: {name} could not be read, its schools get no reminder: {why}", file=sys.stderr)
    for name, why in skipped:
        typer.echo(f"  {name}: not reminded: {why}")
    typer.echo(f"{len(reminders)} school(s) to remind; {len(written)} draft(s) in {folder}")
    unsendable = 0
    if send:
        with sync_errors():
            mailer = _remind_mailer(workdir, config)
            result = send_reminders(reminders, mailer, SentLog(workdir), again, signature)  # type: ignore[arg-type]
        for r, at in result.already:
            typer.echo(f"  {r.school.name}: already sent for {month} at {at} (--again to send again)")
        for r in result.no_contacts:
            print(f"tomsync: {r.school.name} ({r.workbook}): no contacts in the spec, not sent",
                  file=sys.stderr)
        for r, why in result.failed:
            print(f"tomsync: {r.school.name} ({r.workbook}): not sent: {why}", file=sys.stderr)
        unsendable = len(result.no_contacts) + len(result.failed)
        typer.echo(f"sent {len(result.sent)}, {len(result.already)} already sent, {unsendable} not sent")
    raise typer.Exit(2 if unsendable else 1 if unreadable else 0)


# -- export ------------------------------------------------------------------------------------

@app.command("export")
def export_cmd(
    month: Annotated[str, typer.Option(help="the cycle month YYYY-MM")],
    output: Annotated[Path, typer.Option("-o", "--output", help="the .csv or .xlsx file to write")],
    workdir: WorkdirOpt = Path("."),
) -> None:
    """The month's tidy table for Power BI or pivots: one row per school row, from the cycle's archive.

    Exit 0 done; 1 an archived workbook could not be read (named; the rest is written); 2 could not run."""
    from sync.cycle import archived_month
    from workbook_templates.frame import write_frame

    _month(month)
    if output.suffix.lower() not in (".csv", ".xlsx"):
        raise fail(f"{output}: the output must end in .csv or .xlsx")
    with sync_errors():
        consolidated = archived_month(workdir, month)
        frame = consolidated.to_frame()
        write_frame(frame, output)
    unreadable = [(a.name, a.error) for a in consolidated.areas if a.error]
    for name, why in unreadable:
        print(f"tomsync: {name} could not be read, its schools are missing from the export: {why}",
              file=sys.stderr)
    out.print(f"wrote {output} ({len(frame)} row(s) from {len(consolidated.areas)} workbook(s) archived "
              f"for {month})", markup=False, highlight=False)
    raise typer.Exit(1 if unreadable else 0)


# -- report ------------------------------------------------------------------------------------

report_app = typer.Typer(no_args_is_help=True, help="Reports from the cycle's archive.")
app.add_typer(report_app, name="report")


@report_app.command("school")
def report_school_cmd(
    name: Annotated[str, typer.Argument(help="the school (its tab name; a unique start of it will do)")],
    month: Annotated[str, typer.Option(help="the cycle month YYYY-MM")],
    workdir: WorkdirOpt = Path("."),
) -> None:
    """One page for one school's senior leadership team or parent council, as HTML and xlsx, written
    under reports/YYYY-MM/ from the month's archive.

    Exit 0 done; 2 could not run (no such month archived, or no such school)."""
    from sync.cycle import archived_month
    from sync.school_report import UnknownSchool, write_school_report

    _month(month)
    with sync_errors():
        consolidated = archived_month(workdir, month, trend=True)
        try:
            paths = write_school_report(consolidated, name, workdir)
        except UnknownSchool as exc:
            raise fail(str(exc)) from None
    for path in paths:
        out.print(f"wrote {path}", markup=False, highlight=False)
    raise typer.Exit(0)


@report_app.command("governors")
def report_governors_cmd(
    name: Annotated[str, typer.Argument(help="the school (its tab name; a unique start of it will do)")],
    month: Annotated[str, typer.Option(help="the cycle month YYYY-MM")],
    workdir: WorkdirOpt = Path("."),
) -> None:
    """One A4 page for a school's governors (a Strategic Careers Plan): plan status, benchmarks achieved
    and the change, the national picture, Red and overdue actions, evidence. Written as HTML under
    reports/YYYY-MM/ from the month's archive.

    Exit 0 done; 2 could not run (no such month archived, no such school, or no plan)."""
    from sync.cycle import archived_month
    from sync.governors import write_governors_page
    from sync.school_report import UnknownSchool

    _month(month)
    with sync_errors():
        consolidated = archived_month(workdir, month, trend=True)
        try:
            path = write_governors_page(consolidated, name, workdir)
        except UnknownSchool as exc:
            raise fail(str(exc)) from None
    out.print(f"wrote {path}", markup=False, highlight=False)
    raise typer.Exit(0)


# -- demo --------------------------------------------------------------------------------------

@app.command("demo")
def demo_cmd(
    directory: Annotated[Path, typer.Argument(help="where to leave the files")] = Path("tom-demo"),
    spec: Annotated[str, typer.Option(help="spec file or shipped spec name")] = "scottish-tom",
    seed: Annotated[int, typer.Option(help="random seed for the demo data")] = 2026,
) -> None:
    """A folder library with three months of school updates, each month run through the cycle."""
    from tomsync.demo.run import check_directory, run_demo

    with sync_errors():
        check_directory(directory)  # refuse a foreign folder before any progress display starts
    with sync_errors(), RProgress(console=err, transient=True) as bar:
        demo = run_demo(directory, spec, seed, progress=RichProgress(bar))
    last = demo.cycles[-1]
    c = last.consolidated
    if c is not None:
        findings = [f for _, f in c.findings]
        if findings:
            out.print(findings_table(findings))
    print_cycle(last)
    out.print(f"\nLibrary (stands in for SharePoint): {demo.library}")
    out.print(f"Working copy with archive/ and reports/: {demo.workdir}")
    out.print(f"Open {demo.workdir / last.outputs[-1]} in a browser, or the .xlsx beside it in Excel.")
    out.print(f"Chase the schools: tomsync remind --month {demo.months[-1]} -C {demo.workdir}")


# -- the programme manager's year (issue 13): template upgrade / spec, master, session --------------
from tomsync.year import register as _register_year  # noqa: E402  (after fail, which it is given)

_register_year(app, template_app, fail)


def main() -> None:
    from tomsync.entry import run, safe_console

    safe_console()
    sys.exit(run(app))


if __name__ == "__main__":
    main()
