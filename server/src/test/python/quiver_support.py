"""Helpers shared by the Quiver interop tests: starting a server, talking to it, comparing tables.

The fixtures that use these live in conftest.py; test modules import the plain functions from here
(pytest puts this directory on sys.path because it has no __init__.py).
"""

from __future__ import annotations

import glob
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Iterable, Sequence

import pyarrow as pa
import pyarrow.feather as feather
import pyarrow.flight as flight
import pyarrow.ipc as ipc

REPO_ROOT = Path(__file__).resolve().parents[4]

# Every RPC gets a deadline, so a server that stops answering fails the test instead of hanging
# the whole suite (there is no pytest-timeout here).
CALL_TIMEOUT_SECONDS = 60
CALL_OPTIONS = flight.FlightCallOptions(timeout=CALL_TIMEOUT_SECONDS)

SERVER_START_TIMEOUT_SECONDS = 30
SERVER_STOP_TIMEOUT_SECONDS = 10


# --------------------------------------------------------------------------------------------
# Starting and stopping a server process
# --------------------------------------------------------------------------------------------

def java_executable() -> str:
    """$QUIVER_JAVA if set, else the first JDK 25 under /usr/lib/jvm (what ./dev would pick)."""
    configured = os.environ.get("QUIVER_JAVA")
    if configured:
        return configured
    candidates = sorted(glob.glob("/usr/lib/jvm/*25*/bin/java"))
    if not candidates:
        raise RuntimeError("no JDK 25 found: set QUIVER_JAVA to a java 25+ executable")
    return candidates[0]


def server_jar() -> Path:
    """$QUIVER_SERVER_JAR if set, else the jar `./dev build` produces."""
    configured = os.environ.get("QUIVER_SERVER_JAR")
    jar = Path(configured).resolve() if configured else REPO_ROOT / "server" / "target" / "quiver-server.jar"
    if not jar.is_file():
        raise RuntimeError(f"server jar {jar} not found: run `./dev build` or set QUIVER_SERVER_JAR")
    return jar


def _die_with_parent() -> None:
    """Runs in the server's child process before exec: asks Linux to SIGTERM it when the test process
    dies, so a pytest killed outright (SIGKILL, SIGPIPE, an abort in native code) leaves no server
    behind. Elsewhere it does nothing; teardown still stops servers normally."""
    try:
        import ctypes
        import signal
        libc = ctypes.CDLL(None, use_errno=True)
        PR_SET_PDEATHSIG = 1
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except Exception:  # noqa: BLE001 - best effort, not available on every OS
        pass


class QuiverServer:
    """One `java -jar quiver-server.jar` process on a free loopback port, with its log in a file."""

    def __init__(self, data_dir: Path | None, work_dir: Path, extra_args: Sequence[str] = (),
                 env: dict[str, str | None] | None = None):
        # None: no --data, so the server uses ./data in its working directory (work_dir), creating it
        # with the sample dataset, as `./dev serve` does.
        self.data_dir = Path(data_dir) if data_dir is not None else work_dir / "data"
        self.explicit_data_dir = data_dir is not None
        self.work_dir = Path(work_dir)
        self.extra_args = list(extra_args)
        # Variables added to (or, with value None, removed from) this process's environment.
        self.env = dict(env or {})
        self.port_file = self.work_dir / "port"
        self.log_file = self.work_dir / "server.log"
        self.process: subprocess.Popen | None = None
        self.port: int | None = None

    @property
    def location(self) -> str:
        return f"grpc://127.0.0.1:{self.port}"

    def start(self) -> "QuiverServer":
        self.work_dir.mkdir(parents=True, exist_ok=True)
        command = [
            java_executable(), "-jar", str(server_jar()),
            *(["--data", str(self.data_dir)] if self.explicit_data_dir else []),
            "--host", "127.0.0.1", "--port", "0",
            "--port-file", str(self.port_file), *self.extra_args,
        ]
        environment = {**os.environ, **self.env}
        environment = {k: v for k, v in environment.items() if v is not None}
        with open(self.log_file, "wb") as log:
            self.process = subprocess.Popen(
                command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=environment,
                cwd=self.work_dir,
                preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None)
        deadline = time.monotonic() + SERVER_START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"quiver server exited with code {self.process.returncode} before listening;"
                    f" command: {command}\n--- server log ---\n{self.log()}")
            text = self.port_file.read_text().strip() if self.port_file.exists() else ""
            if text:
                self.port = int(text)
                return self
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(
            f"quiver server did not write {self.port_file} within {SERVER_START_TIMEOUT_SECONDS} s;"
            f" command: {command}\n--- server log ---\n{self.log()}")

    def connect(self) -> flight.FlightClient:
        return flight.connect(self.location)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=SERVER_STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=SERVER_STOP_TIMEOUT_SECONDS)

    def is_running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def log(self) -> str:
        try:
            return self.log_file.read_text(errors="replace")
        except FileNotFoundError:
            return "(no log file)"


# --------------------------------------------------------------------------------------------
# Writing datasets into the data directory
# --------------------------------------------------------------------------------------------

def _batches_of(data: pa.Table | pa.RecordBatch | Sequence[pa.RecordBatch],
                max_chunksize: int | None) -> list[pa.RecordBatch]:
    if isinstance(data, pa.Table):
        return data.to_batches(max_chunksize=max_chunksize)
    if isinstance(data, pa.RecordBatch):
        return [data]
    return list(data)


class Namespace:
    """A directory of the data root reserved for one test, so tests never see each other's files.

    Dataset names handed out are '<namespace>/<relative name>'. Files are first written to a hidden
    temporary file (the server never serves names starting with '.') and then renamed into place,
    so the server never sees a half-written file.
    """

    def __init__(self, data_root: Path, prefix: str):
        self.data_root = Path(data_root)
        self.prefix = prefix
        self.directory = self.data_root / prefix
        self.directory.mkdir(parents=True, exist_ok=True)

    def name(self, relative: str) -> str:
        return f"{self.prefix}/{relative}"

    def path(self, relative_file: str) -> Path:
        return self.directory / relative_file

    def _publish(self, relative_file: str, write) -> Path:
        target = self.path(relative_file)
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.parent / f".tmp-{os.getpid()}-{time.monotonic_ns()}-{target.name}"
        write(temporary)
        os.replace(temporary, target)
        return target

    def write_file(self, relative: str, data, *, ext: str = ".arrow", max_chunksize: int | None = None,
                   schema: pa.Schema | None = None, options: ipc.IpcWriteOptions | None = None) -> str:
        """Arrow IPC file format (pa.ipc.new_file); returns the dataset name."""
        return self._write_ipc(ipc.new_file, relative, ext, data, max_chunksize, schema, options)

    def write_stream(self, relative: str, data, *, ext: str = ".arrows", max_chunksize: int | None = None,
                     schema: pa.Schema | None = None, options: ipc.IpcWriteOptions | None = None) -> str:
        """Arrow IPC stream format (pa.ipc.new_stream); returns the dataset name."""
        return self._write_ipc(ipc.new_stream, relative, ext, data, max_chunksize, schema, options)

    def _write_ipc(self, open_writer, relative: str, ext: str, data, max_chunksize, schema, options) -> str:
        batches = _batches_of(data, max_chunksize)
        schema = schema or (data.schema if not isinstance(data, (list, tuple)) else batches[0].schema)

        def write(path):
            with open_writer(path, schema, options=options) as writer:
                for batch in batches:
                    writer.write_batch(batch)

        self._publish(relative + ext, write)
        return self.name(relative)

    def write_feather(self, relative: str, table: pa.Table, *, compression: str = "uncompressed",
                      chunksize: int | None = None, ext: str = ".feather") -> str:
        """Feather v2 (pyarrow.feather.write_feather); returns the dataset name."""
        self._publish(relative + ext, lambda path: feather.write_feather(
            table, path, compression=compression, chunksize=chunksize))
        return self.name(relative)

    def write_bytes(self, relative_file: str, content: bytes) -> Path:
        return self._publish(relative_file, lambda path: Path(path).write_bytes(content))


def read_local_file(path: Path) -> pa.Table:
    """What pyarrow itself reads from an IPC file or stream on disk: the reference for comparisons."""
    with open(path, "rb") as f:
        head = f.read(6)
    if head == b"ARROW1":
        with ipc.open_file(path) as reader:
            return reader.read_all()
    with ipc.open_stream(path) as reader:
        return reader.read_all()


# --------------------------------------------------------------------------------------------
# Talking to the server
# --------------------------------------------------------------------------------------------

def ticket(dataset: str, columns: Sequence[str] | None = None,
           batches: Sequence[int] | None = None) -> flight.Ticket:
    """A JSON ticket, as the protocol defines it."""
    body: dict[str, Any] = {"dataset": dataset}
    if columns is not None:
        body["columns"] = list(columns)
    if batches is not None:
        body["batches"] = list(batches)
    return flight.Ticket(json.dumps(body).encode())


def as_ticket(what) -> flight.Ticket:
    if isinstance(what, flight.Ticket):
        return what
    if isinstance(what, bytes):
        return flight.Ticket(what)
    if isinstance(what, str):
        return flight.Ticket(what.encode())
    if isinstance(what, dict):
        return flight.Ticket(json.dumps(what).encode())
    raise TypeError(f"cannot make a ticket of {what!r}")


def fetch(client: flight.FlightClient, what, columns=None, batches=None) -> pa.Table:
    """DoGet and read to the end. `what` is a dataset name (bare-name ticket), a dict, bytes or a Ticket;
    with columns/batches a JSON ticket is built instead."""
    if columns is not None or batches is not None:
        t = ticket(what, columns, batches)
    else:
        t = as_ticket(what)
    return client.do_get(t, options=CALL_OPTIONS).read_all()


def fetch_batches(client: flight.FlightClient, what, columns=None, batches=None):
    """DoGet, returning (schema, record batches as received, read stats)."""
    t = ticket(what, columns, batches) if (columns is not None or batches is not None) else as_ticket(what)
    reader = client.do_get(t, options=CALL_OPTIONS)
    received = []
    while True:
        try:
            chunk = reader.read_chunk()
        except StopIteration:
            break
        received.append(chunk.data)
    return reader.schema, received, reader.stats


def flight_info(client: flight.FlightClient, *path: str) -> flight.FlightInfo:
    return client.get_flight_info(flight.FlightDescriptor.for_path(*path), options=CALL_OPTIONS)


def command_info(client: flight.FlightClient, body: dict | bytes) -> flight.FlightInfo:
    command = body if isinstance(body, bytes) else json.dumps(body).encode()
    return client.get_flight_info(flight.FlightDescriptor.for_command(command), options=CALL_OPTIONS)


def list_names(client: flight.FlightClient, criteria: bytes = b"") -> list[str]:
    """Dataset names ListFlights returns (path segments joined with '/'), in the order sent."""
    return ["/".join(_text(segment) for segment in info.descriptor.path)
            for info in client.list_flights(criteria, options=CALL_OPTIONS)]


def _text(segment) -> str:
    return segment.decode() if isinstance(segment, bytes) else segment


def descriptor_path(info: flight.FlightInfo) -> list[str]:
    return [_text(segment) for segment in info.descriptor.path]


def endpoint_ticket(endpoint: flight.FlightEndpoint) -> dict:
    return json.loads(endpoint.ticket.ticket.decode())


def read_endpoints(client: flight.FlightClient, info: flight.FlightInfo) -> pa.Table:
    """Reads every endpoint's ticket in order and concatenates, as a Flight client would."""
    tables = [client.do_get(endpoint.ticket, options=CALL_OPTIONS).read_all() for endpoint in info.endpoints]
    return pa.concat_tables(tables)


def server_stats(client: flight.FlightClient) -> dict:
    results = list(client.do_action(flight.Action("stats", b""), options=CALL_OPTIONS))
    assert len(results) == 1, f"stats returned {len(results)} results"
    return json.loads(results[0].body.to_pybytes())


def wait_until(client: flight.FlightClient, condition, timeout: float = 15.0, what: str = "condition") -> dict:
    """Polls the stats action until `condition(stats)` holds; fails with the last stats otherwise.

    Stream counters drop asynchronously (when gRPC releases the buffers it queued, or notices a
    cancellation), so the tests poll instead of reading them once.
    """
    deadline = time.monotonic() + timeout
    stats = server_stats(client)
    while not condition(stats):
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen within {timeout} s; last stats: {stats}")
        time.sleep(0.05)
        stats = server_stats(client)
    return stats


def is_idle(stats: dict) -> bool:
    return stats["doget_streams_active"] == 0 and stats["body_bytes_in_flight"] == 0


def wait_until_idle(client: flight.FlightClient, timeout: float = 15.0) -> dict:
    return wait_until(client, is_idle, timeout, "streams draining (doget_streams_active == 0 and"
                                                " body_bytes_in_flight == 0)")


# --------------------------------------------------------------------------------------------
# Comparing tables
# --------------------------------------------------------------------------------------------

def assert_tables_equal(actual: pa.Table, expected: pa.Table, check_metadata: bool = True) -> None:
    """Table.equals with an explanation: schemas (with metadata) first, then row counts, then the
    first column that differs."""
    if not actual.schema.equals(expected.schema, check_metadata=check_metadata):
        raise AssertionError(
            f"schemas differ\n--- actual ---\n{actual.schema.to_string(show_schema_metadata=True)}"
            f"\n--- expected ---\n{expected.schema.to_string(show_schema_metadata=True)}")
    assert actual.num_rows == expected.num_rows, f"{actual.num_rows} rows, expected {expected.num_rows}"
    if actual.equals(expected, check_metadata=check_metadata):
        return
    for name, a, e in zip(expected.column_names, actual.columns, expected.columns):
        if not a.equals(e):
            for i in range(len(e)):
                if not a[i].equals(e[i]):
                    raise AssertionError(f"column {name!r} differs first at row {i}: {a[i]!r} != {e[i]!r}")
            raise AssertionError(f"column {name!r} differs (chunk layout or dictionary): {a} != {e}")
    raise AssertionError("tables differ")


def table_of(batches: Iterable[pa.RecordBatch], schema: pa.Schema) -> pa.Table:
    return pa.Table.from_batches(list(batches), schema=schema)


def sanitize(text: str) -> str:
    """A string usable as one dataset-name segment (and as a literal in a glob)."""
    return re.sub(r"[^A-Za-z0-9_-]+", "_", text).strip("_")[:80] or "t"
