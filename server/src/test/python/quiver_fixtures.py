"""Fixtures for the Quiver interop suites (this directory's conftest, and the command line's in
cli/src/test/python, import them all).

One server runs for the whole session over a temporary data directory; each test writes its files
into its own sub-directory of it (the `ns` fixture), which the server picks up without a restart
because its catalog re-stats files on every request. Tests that need different server options
(e.g. a small --endpoint-size) start their own with `start_server`.

Run from the repository root: `python -m pytest server/src/test/python -q`, with QUIVER_JAVA and
QUIVER_SERVER_JAR set (both have defaults; see quiver_support.py).
"""

from __future__ import annotations

import itertools

import pytest

from quiver_support import Namespace, QuiverServer, sanitize

_servers: list[QuiverServer] = []
_server_counter = itertools.count()


def _start(data_dir, work_root, extra_args=()):
    server = QuiverServer(data_dir, work_root / f"server-{next(_server_counter)}", extra_args)
    _servers.append(server)
    return server.start()


@pytest.fixture(scope="session")
def data_root(tmp_path_factory):
    return tmp_path_factory.mktemp("quiver-data")


@pytest.fixture(scope="session")
def server(tmp_path_factory, data_root):
    """The shared server over `data_root`, with default options."""
    srv = _start(data_root, tmp_path_factory.mktemp("quiver-server"))
    yield srv
    srv.stop()


@pytest.fixture(scope="session")
def client(server):
    c = server.connect()
    yield c
    c.close()


@pytest.fixture
def ns(data_root, request):
    """This test's own directory in the shared data root; dataset names are '<ns>/<name>'."""
    return Namespace(data_root, sanitize(request.node.name))


@pytest.fixture(scope="session")
def start_server(tmp_path_factory):
    """Starts extra servers (own data dir and options); each is stopped at session end at the latest."""
    started = []

    def start(data_dir, *extra_args):
        srv = _start(data_dir, tmp_path_factory.mktemp("quiver-extra-server"), extra_args)
        started.append(srv)
        return srv

    yield start
    for srv in started:
        srv.stop()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Attaches the tail of every running server's log to a failing test's report."""
    outcome = yield
    report = outcome.get_result()
    if report.failed:
        for srv in [s for s in _servers if s.is_running()]:
            lines = srv.log().splitlines()
            report.sections.append((f"quiver server {srv.location} log (last 60 lines)", "\n".join(lines[-60:])))


def pytest_sessionfinish(session, exitstatus):
    for srv in _servers:
        srv.stop()
