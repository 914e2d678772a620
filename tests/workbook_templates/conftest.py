"""Fixtures: each shipped spec's workbook is built once per session; tests get their own copy."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.workbook_templates.helpers import build, copy_to


@pytest.fixture(scope="session")
def built_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("built")


@pytest.fixture(scope="session")
def scottish_master(built_dir: Path) -> Path:
    """The pristine scottish-tom workbook (protected with helpers.PASSWORD). Never edit it: copy it."""
    return build("scottish-tom", built_dir / "scottish-tom.xlsx")


@pytest.fixture(scope="session")
def gatsby_master(built_dir: Path) -> Path:
    return build("gatsby-plan", built_dir / "gatsby-plan.xlsx")


@pytest.fixture
def scottish(scottish_master: Path, tmp_path: Path) -> Path:
    """A fresh copy of the scottish-tom workbook for one test to edit."""
    return copy_to(scottish_master, tmp_path)


@pytest.fixture
def gatsby(gatsby_master: Path, tmp_path: Path) -> Path:
    return copy_to(gatsby_master, tmp_path)
