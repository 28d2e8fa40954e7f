"""Metrics and logs of a server process: the Prometheus endpoint on --metrics-port counts what a
pyarrow client really moved, and --log-format json writes one JSON object a line with an access-log
line per call."""

from __future__ import annotations

import json
import re
import socket
import time
import urllib.error
import urllib.request

import pyarrow as pa
import pyarrow.flight as flight
import pyarrow.ipc as ipc
import pytest

from quiver_support import CALL_OPTIONS, Namespace, assert_tables_equal, fetch

SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*(?:\{[^}]*\})?) (\S+)$")


def free_port() -> int:
    """A port free right now on the loopback interface, for --metrics-port (the server then binds it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def scrape(port: int) -> dict[str, float]:
    """The endpoint's samples by series, as printed (`name{label="value",...}`)."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/plain")
        text = response.read().decode()
    samples = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            m = SAMPLE.match(line)
            assert m, line
            samples[m.group(1)] = float(m.group(2))
    return samples


def wait_for(port: int, condition, what: str, timeout: float = 10.0) -> dict[str, float]:
    """Scrapes until `condition(samples)` holds: a call is counted as it ends, just after the client has its status."""
    deadline = time.monotonic() + timeout
    while True:
        samples = scrape(port)
        if condition(samples):
            return samples
        if time.monotonic() > deadline:
            raise AssertionError(f"metrics never showed {what}: {samples}")
        time.sleep(0.05)


def ipc_bytes_of(path) -> tuple[int, int]:
    """(IPC header + body bytes of every message, record batches) of an IPC stream file: what DoGet sends."""
    total = 0
    batches = 0
    with open(path, "rb") as f:
        reader = ipc.MessageReader.open_stream(pa.BufferReader(f.read()))
    for message in reader:
        total += message.metadata.size + message.body.size
        batches += message.type == "record batch"
    return total, batches


def calls(method: str, status: str) -> str:
    return f'quiver_calls_total{{method="{method}",status="{status}"}}'


@pytest.fixture
def metered_server(tmp_path, start_server):
    data = tmp_path / "data"
    data.mkdir()
    port = free_port()
    server = start_server(data, "--metrics-port", str(port), "--log-format", "json")
    return server, data, port


def test_a_pyarrow_do_get_moves_the_byte_counters(metered_server):
    server, data, port = metered_server
    table = pa.table({"n": pa.array(range(10_000), pa.int64()), "s": [f"row {i}" for i in range(10_000)]})
    name = Namespace(data, "metrics").write_stream("numbers", table, max_chunksize=2_500)
    expected_bytes, expected_batches = ipc_bytes_of(data / "metrics" / "numbers.arrows")
    assert expected_batches == 4

    before = scrape(port)
    assert before.get("quiver_datasets") == 1
    assert "jvm_memory_used_bytes" in " ".join(before)
    client = server.connect()
    try:
        assert_tables_equal(fetch(client, name), table)
        with pytest.raises(pa.ArrowKeyError):
            fetch(client, "metrics/missing")
    finally:
        client.close()

    def delta(samples, series):
        return samples.get(series, 0) - before.get(series, 0)

    after = wait_for(port, lambda s: delta(s, calls("DoGet", "OK")) == 1 and delta(s, calls("DoGet", "NOT_FOUND")) == 1,
                     "both DoGet calls")
    assert delta(after, "quiver_sent_bytes_total") == expected_bytes
    assert delta(after, "quiver_sent_batches_total") == 4
    assert delta(after, "quiver_sent_rows_total") == 10_000
    assert delta(after, 'quiver_call_duration_seconds_count{method="DoGet"}') == 2
    assert after["quiver_streams_active"] == 0


def test_json_logs_parse_and_carry_the_access_log(metered_server):
    server, data, port = metered_server
    name = Namespace(data, "logs").write_file("small", pa.table({"x": [1, 2, 3]}))
    client = server.connect()
    try:
        fetch(client, name)
        with pytest.raises(pa.ArrowKeyError):
            client.get_flight_info(flight.FlightDescriptor.for_path("logs", "missing"), options=CALL_OPTIONS)
    finally:
        client.close()
    wait_for(port, lambda s: s.get(calls("GetFlightInfo", "NOT_FOUND"), 0) == 1, "the failed call")

    server.stop()
    lines = []
    for text in server.log().splitlines():
        if text.startswith("WARNING: ") or text.startswith("NOTE: "):
            continue  # the JVM's own warnings (sun.misc.Unsafe on JDK 24+), not the server's logs
        lines.append(json.loads(text))
    assert all(isinstance(line, dict) and "level" in line and "loggerName" in line for line in lines)
    access = [{k: v for pair in line["kvpList"] for k, v in pair.items()}
              for line in lines if line["loggerName"] == "quiver.access"]
    assert len(access) == 2, access
    get = next(a for a in access if a["method"] == "DoGet")
    assert get["dataset"] == name and get["rows"] == "3" and get["status"] == "OK"
    assert re.fullmatch(r"127\.0\.0\.1:\d+", get["peer"]) and get["principal"] == "anonymous"
    assert int(get["bytes"]) > 0 and float(get["duration_ms"]) >= 0
    info = next(a for a in access if a["method"] == "GetFlightInfo")
    assert info["dataset"] == "logs/missing" and info["status"] == "NOT_FOUND" and "error" in info


def test_only_metrics_are_served(metered_server):
    _, _, port = metered_server
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10)
    assert e.value.code == 404
