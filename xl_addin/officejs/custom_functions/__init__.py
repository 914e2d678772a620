"""Custom functions of the Office.js add-in: the worksheet functions of `xl_addin.udfs` as TOM.RAG etc.

Each wrapper only names the function for Excel (in the add-in's TOM namespace) and turns a plain
ValueError into an xlwings error, which Excel shows as #VALUE! with the message (a 400, so the add-in
does not retry it as it would a server fault). The argument descriptions Excel shows in its function
wizard are `udfs.ARG_DOCS`, shared with the desktop UDFs.
"""

from xlwings import XlwingsError
from xlwings.server import arg, func

from xl_addin import udfs


def _excel(call, *args):
    try:
        return call(*args)
    except ValueError as exc:
        raise XlwingsError(str(exc)) from None


@func(name="RAG")
@arg("ratings", doc=udfs.ARG_DOCS["ratings"])
@arg("rule", doc=udfs.ARG_DOCS["rule"])
def RAG(ratings, rule=None):
    """Rolled-up RAG of a range of ratings; blank when nothing is rated."""
    return _excel(udfs.TOM_RAG, ratings, rule)


@func(name="SCORE")
@arg("ratings", doc=udfs.ARG_DOCS["ratings"])
def SCORE(ratings):
    """Mean score of the ratings: G=1, A=0.5, R=0 (B counts as G); blank when nothing is rated."""
    return _excel(udfs.TOM_SCORE, ratings)


@func(name="ROLLUP")
@arg("table", doc=udfs.ARG_DOCS["table"])
@arg("by", doc=udfs.ARG_DOCS["by"])
@arg("rule", doc=udfs.ARG_DOCS["rule"])
def ROLLUP(table, by, rule=None):
    """Spilled roll-up: group, R, A, G, Unrated, RAG per value of the column, then All."""
    return _excel(udfs.TOM_ROLLUP, table, by, rule)


@func(name="CHECK")
@arg("row", doc=udfs.ARG_DOCS["row"])
@arg("headers", doc=udfs.ARG_DOCS["headers"])
@arg("spec", doc=udfs.ARG_DOCS["spec"])
def CHECK(row, headers, spec=None):
    """Blank when the row passes the row checks, else the first problem found."""
    return _excel(udfs.TOM_CHECK, row, headers, spec)


@func(name="STALE")
@arg("last_updated", doc=udfs.ARG_DOCS["last_updated"])
@arg("month", doc=udfs.ARG_DOCS["month"])
def STALE(last_updated, month=None):
    """TRUE when nothing was updated in the month (the newest date is before it)."""
    return _excel(udfs.TOM_STALE, last_updated, month)
