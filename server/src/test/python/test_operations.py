"""Operating the server, from pyarrow: call limits (RESOURCE_EXHAUSTED beyond --max-streams, the idle
upload timeout), configuration through QUIVER_* environment variables and a config file (flag >
environment > file > default; bad values stop start-up), and SIGTERM draining a running stream
before the process exits 0.

The gRPC health service is covered by the Java tests (HealthTest, SigtermShutdownIT): grpcio is not
a dependency of this suite.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.flight as flight
import pyarrow.ipc as ipc
import pytest

from quiver_support import (
    CALL_OPTIONS, QuiverServer, flight_info, java_executable, list_names, server_jar,
)

ROWS = 8 * 1024 * 1024  # one int64 column: 64 MiB, far more than gRPC and the sockets buffer
BATCH_ROWS = 65_536


@pytest.fixture(scope="module")
def big_data(tmp_path_factory) -> Path:
    data = tmp_path_factory.mktemp("operations-data")
    schema = pa.schema([("n", pa.int64())])
    with ipc.new_file(data / "big.arrow", schema) as writer:
        for start in range(0, ROWS, BATCH_ROWS):
            writer.write_batch(pa.record_batch([pa.array(np.arange(start, start + BATCH_ROWS, dtype=np.int64))],
                                               schema=schema))
    return data


def _server(tmp_path: Path, data: Path, *args: str, env: dict | None = None) -> QuiverServer:
    return QuiverServer(data, tmp_path / f"work-{time.monotonic_ns()}", args, env=env).start()


def _run(*args: str, env: dict | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([java_executable(), "-jar", str(server_jar()), *args], capture_output=True, text=True,
                          timeout=60, stdin=subprocess.DEVNULL, env={**os.environ, **(env or {})}, cwd=cwd)


def _rows(reader: flight.FlightStreamReader) -> int:
    rows = 0
    for chunk in reader:
        rows += chunk.data.num_rows
    return rows


# --------------------------------------------------------------------------------------------
# Limits
# --------------------------------------------------------------------------------------------

def test_a_stream_beyond_max_streams_gets_resource_exhausted_with_a_retry_hint(tmp_path, big_data):
    server = _server(tmp_path, big_data, "--max-streams", "1")
    try:
        client = server.connect()
        first = client.do_get(flight.Ticket(b"big"), CALL_OPTIONS)
        rows = first.read_chunk().data.num_rows
        # pyarrow has no exception of its own for RESOURCE_EXHAUSTED: it raises ArrowInvalid.
        with pytest.raises(pa.ArrowInvalid, match="resource exhausted") as refused:
            client.do_get(flight.Ticket(b"big"), CALL_OPTIONS).read_chunk()
        assert "maximum of 1 concurrent" in str(refused.value) and "retry" in str(refused.value)
        # Other calls are not limited.
        assert flight_info(client, "big").total_records == ROWS
        rows += _rows(first)
        assert rows == ROWS
        # The slot is free again once the first stream has ended (retrying, as the hint says).
        deadline = time.monotonic() + 10
        while True:
            try:
                assert _rows(client.do_get(flight.Ticket(b"big"), CALL_OPTIONS)) == ROWS
                break
            except pa.ArrowInvalid:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        client.close()
    finally:
        server.stop()


def test_a_silent_upload_times_out_and_stores_nothing(tmp_path, big_data):
    server = _server(tmp_path, big_data, "--upload-idle-timeout", "300ms")
    try:
        client = server.connect()
        schema = pa.schema([("x", pa.int64())])
        writer, _ = client.do_put(flight.FlightDescriptor.for_path("silent"), schema, CALL_OPTIONS)
        time.sleep(1)  # silent for longer than the 300 ms idle timeout: the server cancels the upload
        with pytest.raises(flight.FlightTimedOutError, match="nothing was stored"):
            writer.write_batch(pa.record_batch([pa.array([1], pa.int64())], schema=schema))
            writer.close()
        assert list_names(client) == ["big"]
        staging = big_data / ".quiver-uploads"
        assert not staging.exists() or not any(p.is_file() for p in staging.rglob("*"))
        client.close()
    finally:
        server.stop()


# --------------------------------------------------------------------------------------------
# Configuration: flag > environment > config file > default
# --------------------------------------------------------------------------------------------

def _endpoints(server: QuiverServer) -> int:
    client = server.connect()
    try:
        return len(flight_info(client, "big").endpoints)
    finally:
        client.close()


def test_environment_and_config_file_configure_the_server_with_flags_first(tmp_path, big_data):
    # 64 MiB of data: 256MiB (the default) is one endpoint, 16MiB about 4, 4MiB about 16.
    config = tmp_path / "quiver.properties"
    config.write_text("# endpoint size from the config file\nendpoint-size = 16MiB\n")
    cases = [
        ({"QUIVER_CONFIG": str(config)}, (), 4),
        ({"QUIVER_CONFIG": str(config), "QUIVER_ENDPOINT_SIZE": "4MiB"}, (), 16),
        ({"QUIVER_ENDPOINT_SIZE": "4MiB"}, ("--config", str(config)), 16),
        ({"QUIVER_CONFIG": str(config), "QUIVER_ENDPOINT_SIZE": "4MiB"}, ("--endpoint-size", "256MiB"), 1),
    ]
    for env, args, expected in cases:
        server = _server(tmp_path, big_data, *args, env={"QUIVER_ENDPOINT_SIZE": None, "QUIVER_CONFIG": None, **env})
        try:
            endpoints = _endpoints(server)
        finally:
            server.stop()
        assert abs(endpoints - expected) <= 1, f"{env} {args}: {endpoints} endpoints, expected about {expected}"


def test_an_invalid_environment_value_stops_start_up(tmp_path):
    result = _run("--data", str(tmp_path), "--host", "127.0.0.1", "--port", "0",
                  env={"QUIVER_MAX_STREAMS": "lots"})
    assert result.returncode == 2, result.stderr
    assert "--max-streams" in result.stderr and "lots" in result.stderr


def test_an_unknown_config_key_stops_start_up(tmp_path):
    config = tmp_path / "quiver.properties"
    config.write_text("max-streams = 4\nmax-stream = 5\n")
    result = _run("--data", str(tmp_path), "--host", "127.0.0.1", "--port", "0", "--config", str(config))
    assert result.returncode == 2, result.stderr
    assert str(config) in result.stderr and "max-stream" in result.stderr


def test_help_lists_the_operations_options(tmp_path):
    result = _run("--help", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    for option in ["--tls-cert", "--tls-key", "--tls-client-ca", "--auth-file", "--token-ttl", "--metrics-port",
                   "--log-format", "--max-streams", "--max-uploads", "--upload-idle-timeout", "--max-message-size",
                   "--drain-period", "--config"]:
        assert option in result.stdout, option


# --------------------------------------------------------------------------------------------
# SIGTERM
# --------------------------------------------------------------------------------------------

def test_sigterm_drains_a_running_stream_then_exits_zero(tmp_path, big_data):
    server = _server(tmp_path, big_data, "--drain-period", "20s")
    try:
        client = server.connect()
        other = server.connect()
        reader = client.do_get(flight.Ticket(b"big"), CALL_OPTIONS)
        rows = reader.read_chunk().data.num_rows
        server.process.send_signal(signal.SIGTERM)
        signalled = time.monotonic()
        # New calls are refused while the stream drains (a moment after the signal).
        deadline = time.monotonic() + 10
        while True:
            try:
                other.get_flight_info(flight.FlightDescriptor.for_path("big"), CALL_OPTIONS)
            except flight.FlightUnavailableError:
                break
            assert time.monotonic() < deadline, "calls still accepted 10 s after SIGTERM"
            time.sleep(0.05)
        assert server.is_running()
        rows += _rows(reader)
        assert rows == ROWS
        assert server.process.wait(timeout=20) == 0, server.log()
        assert time.monotonic() - signalled < 20, "exited when drained, not at the end of the drain period"
        client.close()
        other.close()
    finally:
        server.stop()
    assert "SIGTERM" in server.log()
