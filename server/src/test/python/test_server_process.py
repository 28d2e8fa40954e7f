"""The server as a process: refuses bad options with a clear message, serves an empty directory,
and shuts down cleanly on SIGTERM."""

from __future__ import annotations

import subprocess

import pyarrow as pa
import pytest

from quiver_support import (
    Namespace, QuiverServer, assert_tables_equal, fetch, java_executable, list_names, server_jar,
)


def _run(*args, timeout=60):
    return subprocess.run([java_executable(), "-jar", str(server_jar()), *args],
                          capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)


def test_missing_data_directory_is_refused(tmp_path):
    missing = tmp_path / "does-not-exist"
    result = _run("--data", str(missing), "--host", "127.0.0.1", "--port", "0")
    assert result.returncode != 0
    assert "does not exist" in result.stderr + result.stdout
    assert not missing.exists()


@pytest.mark.parametrize("size", ["lots", "-5MiB", "0"])
def test_invalid_endpoint_size_is_refused(tmp_path, size):
    result = _run("--data", str(tmp_path), "--host", "127.0.0.1", "--port", "0", "--endpoint-size", size)
    assert result.returncode != 0
    assert "endpoint" in (result.stderr + result.stdout).lower()


def test_empty_directory_then_first_dataset_then_clean_shutdown(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    server = QuiverServer(data, tmp_path / "work").start()
    try:
        client = server.connect()
        assert list_names(client) == []
        table = pa.table({"x": [1, 2, 3]})
        name = Namespace(data, "first").write_file("one", table)
        assert list_names(client) == [name]
        assert_tables_equal(fetch(client, name), table)
        client.close()
    finally:
        server.stop()
    # SIGTERM: the shutdown hook closes the server and the JVM exits by itself (not killed).
    assert server.process.returncode in (0, 143), server.log()
    assert not server.is_running()
