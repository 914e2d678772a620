"""Fixtures: the demo workbooks of tests/conftest.py; here `gatsby` is the gatsby-plan demo workbook."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import MONTH, PASSWORD, TODAY

__all__ = ["MONTH", "PASSWORD", "TODAY"]


@pytest.fixture
def gatsby(demo_gatsby: Path) -> Path:
    return demo_gatsby
