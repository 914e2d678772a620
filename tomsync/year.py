"""The programme manager's year on the command line: `template upgrade`, `template spec`,
`master add|edit|retire|history` and `session new`. A few lines each over `workbook_templates.upgrade`,
`master_edit`, `session` and `sync.sessions`; registered on the main app by `tomsync.cli`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from workbook_templates.package import PackageError
from workbook_templates.reader import WorkbookReadError
from workbook_templates.spec import TIERS, Spec, SpecError, load_spec
from workbook_templates.upgrade import UpgradeError, UpgradeResult, default_who, embedded, upgrade_file
from workbook_templates.winfiles import cannot_write

Fail = Callable[..., typer.Exit]
master_app = typer.Typer(no_args_is_help=True, help="Change the master expectations of a workbook.")
session_app = typer.Typer(no_args_is_help=True, help="Start a new session (school year).")
out = Console()

By = Annotated[str | None, typer.Option("--by", help="who the Master history names (default: $TOMSYNC_USER, "
                                                    "else the login name)")]
Note = Annotated[str, typer.Option("--note", help="why, for the Master history")]
Sets = Annotated[list[str] | None, typer.Option("--set", help="HEADER=VALUE, once per column (repeat)")]
Tier = Annotated[str | None, typer.Option("--tier", help=f"the row's tier: {' or '.join(TIERS)}")]


def _apply(fail: Fail, file: Path, make: Callable[[Spec], Spec], by: str | None, note: str,
           dry_run: bool = False) -> UpgradeResult | None:
    """Read the workbook's spec, make the new one, upgrade the file: every failure is one line, exit 2."""
    try:
        new = make(embedded(file))
        if dry_run:
            from workbook_templates.upgrade import plan

            for line in plan(embedded(file), new).lines() or ["nothing to change"]:
                out.print(escape(line))
            return None
        return upgrade_file(file, new, by or default_who(), note)
    except (SpecError, UpgradeError, WorkbookReadError, PackageError) as exc:
        raise fail(f"{file}: {exc}" if not str(exc).startswith(str(file)) else str(exc)) from None
    except OSError as exc:
        raise fail(cannot_write(file, exc)) from None


def _report(file: Path, result: UpgradeResult | None) -> None:
    if result is None:
        return
    if not result.written:
        out.print(f"{file}: nothing to change (the master is at version {result.version})")
        return
    for line in result.plan.lines():
        out.print(f"  {escape(line)}")
    out.print(f"{file}: master version {result.version}; every school's typed data kept")


def register(app: typer.Typer, template_app: typer.Typer, fail: Fail) -> None:
    """Add this module's commands to the main app (a hook, so cli.py stays a list of commands)."""
    app.add_typer(master_app, name="master")
    app.add_typer(session_app, name="session")

    @template_app.command("upgrade")
    def template_upgrade(
        file: Annotated[Path, typer.Argument(help="the workbook to upgrade in place")],
        spec: Annotated[str, typer.Option("--spec", help="the changed spec (TOML)")],
        by: By = None, note: Note = "",
        dry_run: Annotated[bool, typer.Option("--dry-run", help="list the changes, write nothing")] = False,
    ) -> None:
        """Roll a changed spec into FILE: master rows added, edited or retired, schools added, renamed or
        closed, new dropdown values; what schools typed is kept."""
        try:
            new = load_spec(spec)
        except SpecError as exc:
            raise fail(str(exc)) from None
        _report(file, _apply(fail, file, lambda _old: new, by, note, dry_run))

    @template_app.command("spec")
    def template_spec(
        file: Annotated[Path, typer.Argument(help="the workbook")],
        output: Annotated[Path, typer.Option("-o", "--output", help="the .toml file to write")],
    ) -> None:
        """Write the spec FILE holds (with every upgrade so far) as TOML, to edit and upgrade with."""
        try:
            output.write_text(embedded(file).to_toml(), encoding="utf-8")
        except WorkbookReadError as exc:
            raise fail(str(exc)) from None
        except OSError as exc:
            raise fail(cannot_write(output, exc)) from None
        out.print(f"wrote {output}")

    @master_app.command("add")
    def master_add(file: Annotated[Path, typer.Argument(help="the workbook")], sets: Sets = None,
                   tier: Tier = None, by: By = None, note: Note = "") -> None:
        """Add a master row (give its ID and wording with --set) to the Master and every school tab."""
        from workbook_templates.master_edit import add_row, parse_sets

        _report(file, _apply(fail, file, lambda s: add_row(s, parse_sets(sets or []), tier), by, note))

    @master_app.command("edit")
    def master_edit(file: Annotated[Path, typer.Argument(help="the workbook")],
                    row_id: Annotated[str, typer.Argument(help="the master row's ID, e.g. M03")],
                    sets: Sets = None, tier: Tier = None, by: By = None, note: Note = "") -> None:
        """Change a master row's wording (or tier) on the Master and every school tab."""
        from workbook_templates.master_edit import edit_row, parse_sets

        def change(s: Spec) -> Spec:
            return edit_row(s, row_id, parse_sets(sets or []), tier)

        _report(file, _apply(fail, file, change, by, note))

    @master_app.command("retire")
    def master_retire(file: Annotated[Path, typer.Argument(help="the workbook")],
                      row_id: Annotated[str, typer.Argument(help="the master row's ID, e.g. M05")],
                      by: By = None, note: Note = "") -> None:
        """Take a master row off every tab; each school's row is kept on the hidden Retired sheet."""
        from workbook_templates.master_edit import retire_row

        _report(file, _apply(fail, file, lambda s: retire_row(s, row_id), by, note))

    @master_app.command("history")
    def master_history(file: Annotated[Path, typer.Argument(help="the workbook")]) -> None:
        """List the master's versions: number, date, who, what changed."""
        from workbook_templates.reader import read_workbook
        from workbook_templates.validate.master import versions

        try:
            found = versions(read_workbook(file).master_history)
        except WorkbookReadError as exc:
            raise fail(str(exc)) from None
        table = Table("Version", "Date", "By", "Change")
        for v in found:
            table.add_row(str(v.number), v.date, escape(v.who), escape(v.change))
        out.print(table if found else f"{file}: version 1 (as built; never changed)")

    @session_app.command("new")
    def session_new(
        file: Annotated[Path, typer.Argument(help="this session's workbook")],
        label: Annotated[str, typer.Option("--label", help="the new session, e.g. 2027/28")],
        output: Annotated[Path, typer.Option("-o", "--output", help="the new workbook")],
        start: Annotated[str | None, typer.Option(help="first month YYYY-MM (default: a year on)")] = None,
        end: Annotated[str | None, typer.Option(help="last month YYYY-MM (default: a year on)")] = None,
        password: Annotated[str | None, typer.Option(
            help="sheet protection password (default: $TOMSYNC_SHEET_PASSWORD)")] = None,
    ) -> None:
        """Start session LABEL: work not Complete carried forward, the old workbook archived."""
        from sync.sessions import archive_session
        from workbook_templates.reader import read_workbook
        from workbook_templates.session import new_session
        from xl_addin.conf import ADDIN_SHEETS

        try:
            data = read_workbook(file)
            archived = archive_session(file, data.spec.session)
            if output.resolve() == file.resolve() and archived is None:
                raise fail(f"{output}: the new session would replace the old workbook outside a synced "
                           "working copy (nothing archived it): write it to another file")
            result = new_session(data, label, output, start, end, password, ADDIN_SHEETS)
        except (SpecError, WorkbookReadError) as exc:
            raise fail(str(exc)) from None
        except OSError as exc:
            raise fail(cannot_write(output, exc)) from None
        carried = sum(len(v) for v in result.carried.values())
        left = sum(result.left.values())
        out.print(f"wrote {output}: session {escape(label)}, {carried} row(s) carried forward, "
                  f"{left} Complete row(s) left in {file}")
        if archived is not None:
            out.print(f"archived {file} as {archived}: 'tomsync push' puts it in the library")
        else:
            out.print(f"{file} is not in a synced working copy: keep it as the "
                      f"{escape(data.spec.session)} record")
