"""Every Python and Java block of the reference runs, in page order, against a real server: a
change that breaks an example fails the build.

Python blocks run with this virtualenv's interpreter (pyarrow, polars); Java blocks run on a JDK 17
in source-file mode (`java -cp <arrow-java + quiver-client> Example.java`), as a reader would run
them. Both get the server's address in QUIVER_URL and a scratch working directory.
"""

from __future__ import annotations

import glob
import os
import subprocess
import sys
from pathlib import Path

import pytest

from markdown_blocks import Block, all_blocks

EXAMPLE_TIMEOUT_SECONDS = 180
# What arrow-java needs on JDK 17+ (see compatibility.md).
JAVA_FLAGS = ["--add-opens=java.base/java.nio=ALL-UNNAMED"]


def _java17() -> str:
    configured = os.environ.get("QUIVER_EXAMPLES_JAVA")
    if configured:
        return configured
    for release in sorted(glob.glob("/usr/lib/jvm/*/release")):
        if 'JAVA_VERSION="17.' in Path(release).read_text():
            return str(Path(release).parent / "bin" / "java")
    raise RuntimeError("no JDK 17 under /usr/lib/jvm: set QUIVER_EXAMPLES_JAVA")


def _classpath() -> str:
    configured = os.environ.get("QUIVER_EXAMPLES_CLASSPATH")
    if not configured:
        raise RuntimeError("QUIVER_EXAMPLES_CLASSPATH is not set: run through Maven (module proto-docs)")
    path = Path(configured)
    return path.read_text().strip() if path.is_file() else configured


@pytest.mark.parametrize("block", all_blocks("python", "java"), ids=lambda b: b.id)
def test_example_runs(block: Block, page_server, tmp_path):
    server = page_server(block.page)
    if block.lang == "python":
        source = tmp_path / "example.py"
        command = [sys.executable, str(source)]
    else:
        source = tmp_path / "Example.java"
        command = [_java17(), *JAVA_FLAGS, "-cp", _classpath(), str(source)]
    source.write_text(block.code)
    result = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True,
                            timeout=EXAMPLE_TIMEOUT_SECONDS, env={**os.environ, "QUIVER_URL": server.location})
    assert result.returncode == 0, (
        f"{block.id} failed with exit code {result.returncode}\n--- stdout ---\n{result.stdout}"
        f"\n--- stderr ---\n{result.stderr}\n--- server log (tail) ---\n"
        + "\n".join(server.log().splitlines()[-40:]))
