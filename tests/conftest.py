"""Fixtures shared across the packages' tests: demo workbooks (realistic data with the demo's deliberate
mistakes), built once per session, copied per test.

XLWINGS_LICENSE_KEY is set to the noncommercial key before anything imports xlwings, as a school or
council running the add-in would set it (PolyForm Noncommercial 1.0.0).
"""

from __future__ import annotations

import os
import shutil
from datetime import date
from pathlib import Path

import pytest

os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")

from tomsync.demo.data import build_demo_workbook  # noqa: E402
from workbook_templates.spec import load_spec  # noqa: E402

TODAY = date(2026, 11, 20)  # inside the scottish-tom session (2026-08 .. 2027-06)
MONTH = "2026-11"
PASSWORD = "Tom-Protect!93xq"


@pytest.fixture(scope="session")
def demo_master(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The pristine scottish-tom demo workbook (protected with PASSWORD). Never edit it: copy it."""
    path = tmp_path_factory.mktemp("demo") / "scottish-tom.xlsx"
    return build_demo_workbook(load_spec("scottish-tom"), path, MONTH, TODAY, password=PASSWORD)


@pytest.fixture(scope="session")
def demo_gatsby_master(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("gatsby") / "gatsby-plan.xlsx"
    return build_demo_workbook(load_spec("gatsby-plan"), path, MONTH, TODAY, password=PASSWORD)


@pytest.fixture
def demo(demo_master: Path, tmp_path: Path) -> Path:
    """A fresh copy of the demo workbook for one test to change."""
    dest = tmp_path / demo_master.name
    shutil.copyfile(demo_master, dest)
    return dest


@pytest.fixture
def demo_gatsby(demo_gatsby_master: Path, tmp_path: Path) -> Path:
    """A fresh copy of the gatsby-plan demo workbook (a termly plan)."""
    dest = tmp_path / demo_gatsby_master.name
    shutil.copyfile(demo_gatsby_master, dest)
    return dest
