"""Fixtures shared by the agent's test modules: one calendar server per module, a scratch folder per test."""
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from agent_support import CalendarServer  # noqa: E402


@pytest.fixture(scope="module")
def calendar():
    with CalendarServer() as server:
        yield server


@pytest.fixture()
def workdir(tmp_path):
    return str(tmp_path)
