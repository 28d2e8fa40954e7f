"""Fixtures for the command line's interop suite: a real server (the packaged jar) and the real
`quiver` command (cli/target/quiver.jar), with pyarrow and polars on the other side.

Maven runs it in the cli module's integration-test phase (`./dev test`), with QUIVER_CLI_JAR,
QUIVER_SERVER_JAR and QUIVER_JAVA set. The server-side helpers are shared with the server's suite.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[4] / "server" / "src" / "test" / "python"))

from quiver_support import Namespace, QuiverServer, sanitize  # noqa: E402


@pytest.fixture(scope="session")
def data_root(tmp_path_factory):
    return tmp_path_factory.mktemp("quiver-data")


@pytest.fixture(scope="session")
def server(tmp_path_factory, data_root):
    # Small endpoints, so every download of more than a few batches is a parallel one.
    srv = QuiverServer(data_root, tmp_path_factory.mktemp("quiver-server"), ["--endpoint-size", "64KiB"]).start()
    yield srv
    srv.stop()


@pytest.fixture(scope="session")
def client(server):
    c = server.connect()
    yield c
    c.close()


@pytest.fixture
def ns(data_root, request):
    return Namespace(data_root, sanitize(request.node.name))
