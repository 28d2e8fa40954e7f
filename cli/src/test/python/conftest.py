"""Fixtures for the command line's interop suite: a real server (the packaged jar) and the real
`quiver` command (cli/target/quiver.jar), with pyarrow and polars on the other side.

Maven runs it in the cli module's integration-test phase (`./dev test`), with QUIVER_CLI_JAR,
QUIVER_SERVER_JAR and QUIVER_JAVA set. The fixtures are the server suite's (quiver_fixtures.py).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[4] / "server" / "src" / "test" / "python"))

from quiver_fixtures import *  # noqa: E402,F401,F403
from quiver_fixtures import pytest_runtest_makereport, pytest_sessionfinish  # noqa: E402,F401


@pytest.fixture(scope="session")
def server(start_server, data_root):
    """Small endpoints, so every download of more than a few batches is a parallel one."""
    return start_server(data_root, "--endpoint-size", "64KiB")
