"""Fixtures for the reference's own tests: one Quiver server per page, started the way a reader
starts it (`./dev serve`: no --data, so ./data with the sample dataset), on a free loopback port.

Run from the repository root: `python -m pytest proto-docs/tests`, with QUIVER_SERVER_JAR,
QUIVER_JAVA (JDK 25, the server's), QUIVER_EXAMPLES_JAVA (a JDK 17, for the Java examples) and
QUIVER_EXAMPLES_CLASSPATH (arrow-java + the Quiver client; Maven writes it) set; the Maven
module proto-docs sets them all.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "server" / "src" / "test" / "python"))

from quiver_support import QuiverServer, java_executable, server_jar  # noqa: E402

from markdown_blocks import page_directives  # noqa: E402

# The credentials auth.md's examples use; its page-level directive asks for a server with them.
EXAMPLE_USER, EXAMPLE_PASSWORD = "alice", "wonderland"
EXAMPLE_TOKEN = "qv-example-token-for-the-docs"


def _auth_file(directory: Path) -> Path:
    """alice (read, write) by password and an admin token, hashed by the server's own commands."""
    hashed = subprocess.run(
        [java_executable(), "-jar", str(server_jar()), "hash-password", "--cost", "10"],
        input=f"{EXAMPLE_PASSWORD}\n", capture_output=True, text=True, check=True).stdout.strip()
    path = directory / "auth.json"
    path.write_text(json.dumps({
        "users": [{"name": EXAMPLE_USER, "password": hashed, "scopes": ["read", "write"]}],
        "tokens": [{"name": "docs", "sha256": hashlib.sha256(EXAMPLE_TOKEN.encode()).hexdigest(),
                    "scopes": ["admin"]}],
    }))
    return path


@pytest.fixture(scope="session")
def page_server(tmp_path_factory):
    """page -> its running server, started on first use and stopped at the end of the session."""
    servers: dict[Path, QuiverServer] = {}

    def server_for(page: Path) -> QuiverServer:
        if page not in servers:
            work = tmp_path_factory.mktemp(page.stem)
            args = []
            if page_directives(page).get("example-server") == "auth":
                args = ["--auth-file", str(_auth_file(work))]
            servers[page] = QuiverServer(None, work, args).start()
        return servers[page]

    yield server_for
    for server in servers.values():
        server.stop()
