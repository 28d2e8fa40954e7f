#!/usr/bin/env python3
"""Quiver's benchmark harness: Quiver against a pyarrow.flight reference server (and, for DoGet,
arrow-java's stock ArrowFileReader + putNext path), on loopback, with one pyarrow client.

    ./dev bench                       # the full benchmark (2.0 GB dataset), results in docs/benchmarks/
    ./dev bench --size-gb 0.3         # a shorter run
    ./dev bench --smoke --out DIR     # a few MB, one repetition: checks the harness itself

One run generates (or reuses) the datasets, starts every server, times each one's first (cold)
DoGet of `big`, lets each serve DoGets for --prewarm-seconds (JIT compilers settle), and measures,
for each scenario, a warm-up (--warmup runs, continued until --warmup-gb moved: the JVMs' JIT compilers need a few GB
before Quiver's CPU use settles) and then --reps repetitions, interleaving the servers (their order
rotates each repetition) so that drift on a shared machine hits all of them alike:

    doget               DoGet of the whole `big` dataset (GB/s)
    doget_projection    DoGet of 2 of its 4 columns (id, name)
    doget_narrow        DoGet of `narrow`: 1,000 batches of 40 kB (many small messages)
    parallel_endpoints  GetFlightInfo, then every endpoint fetched over 4 streams (own connections)
    doput               DoPut of the whole `big` table; both servers fsync the stored file (Quiver always,
                        the pyarrow server with --fsync); "unsupported" if Quiver answers UNIMPLEMENTED
    concurrent_16       16 clients at once (own connections), each reading a quarter of `big`;
                        aggregate GB/s
    getflightinfo       GetFlightInfo latency on `big` (ms per call)
    memory_4x_heap      a separate Quiver with -Xmx = a quarter of `big`: its peak RssAnon while
                        serving `big`, and the Arrow allocator's peak from the `stats` action
    loopback            iperf3, one TCP stream over 127.0.0.1: the ceiling for any of this

Each server's CPU time (utime + stime from /proc/PID/stat) is read before and after every measured
repetition; CPU seconds per GB served is their sum over the sum of bytes. The client's own CPU time
(getrusage of the harness process) is recorded the same way, as client_cpu_s_per_gb. Bytes are the Arrow
buffer bytes of the record batches delivered (pyarrow's `nbytes`), GB = 10^9 bytes.

Results: <out>/results.json, <out>/README.md (tables, targets, machine), <out>/throughput.png.
The harness never fails on a target; it fails when a server misbehaves (wrong row count, an error
other than UNIMPLEMENTED for Quiver's DoPut).
"""

from __future__ import annotations

import argparse
import concurrent.futures
import glob
import json
import os
import resource
import shlex
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.flight as flight
import pyarrow.ipc as ipc

sys.path.insert(0, str(Path(__file__).resolve().parent))

import datagen  # noqa: E402
import report  # noqa: E402
from processes import BenchError, RssSampler, ServerProcess, rss_anon_bytes  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parents[1]
MiB = 1 << 20
GB = 1e9

QUIVER, PYARROW, STOCK = "quiver", "pyarrow", "stock_java"
LABELS = {QUIVER: "Quiver", PYARROW: "pyarrow.flight", STOCK: "arrow-java stock"}

PROJECTION = ["id", "name"]
PUT_NAME = "bench_put"
MAX_WARMUP_RUNS = 20
# Every call has a deadline (set in main: 60 s + 60 s per GB of the big dataset), so a server that
# stops answering fails the run instead of hanging it.
OPTIONS = flight.FlightCallOptions(timeout=60)

SCENARIOS = ["doget", "doget_projection", "doget_narrow", "parallel_endpoints", "doput", "concurrent_16",
             "getflightinfo", "memory_4x_heap", "loopback"]
UNSUPPORTED = "unsupported"
UNAVAILABLE = "unavailable"


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# ------------------------------------------------------------------------------------------------
# Configuration
# ------------------------------------------------------------------------------------------------

def default_java() -> str | None:
    if os.environ.get("QUIVER_JAVA"):
        return os.environ["QUIVER_JAVA"]
    home = os.environ.get("JAVA_HOME")
    if home and Path(home, "bin", "java").exists():
        return str(Path(home, "bin", "java"))
    candidates = sorted(glob.glob("/usr/lib/jvm/*25*/bin/java"))
    return candidates[0] if candidates else None


def parse_args(argv):
    parser = argparse.ArgumentParser(
        description="Quiver vs pyarrow.flight (vs arrow-java stock) on loopback.",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size-gb", type=float, default=2.0,
                        help="size of the big dataset in GB (default 2.0: 50M rows, 763 batches)")
    parser.add_argument("--reps", type=int, default=5, help="measured repetitions per scenario (default 5)")
    parser.add_argument("--warmup", type=int, default=1, help="warm-up runs per scenario and server (default 1)")
    parser.add_argument("--warmup-gb", type=float, default=2.0,
                        help="keep warming up (up to 20 runs) until this many GB moved; JITs need it"
                             " (default 2.0; 0 with --smoke)")
    parser.add_argument("--prewarm-seconds", type=float, default=15.0,
                        help="after start, each server serves DoGets (narrow, and slices of big) for this long"
                             " before any scenario, so its JIT has settled (default 15; 0 with --smoke)")
    parser.add_argument("--smoke", action="store_true",
                        help="tiny datasets (a few MB), 1 repetition, no warm-up, 1 s of iperf3")
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "docs" / "benchmarks",
                        help="where results.json, README.md and throughput.png go (default docs/benchmarks)")
    parser.add_argument("--work", type=Path, default=REPO_ROOT / "bench" / "target",
                        help="datasets (cached) and server work directories (default bench/target)")
    parser.add_argument("--java", default=default_java(), help="a JDK 25 java (default $QUIVER_JAVA, $JAVA_HOME)")
    parser.add_argument("--server-jar", type=Path,
                        default=Path(os.environ.get("QUIVER_SERVER_JAR")
                                     or REPO_ROOT / "server" / "target" / "quiver-server.jar"))
    parser.add_argument("--stock-jar", type=Path, default=REPO_ROOT / "bench" / "target" / "quiver-bench.jar")
    parser.add_argument("--concurrency", type=int, default=16, help="clients in concurrent_16 (default 16)")
    parser.add_argument("--streams", type=int, default=4, help="streams in parallel_endpoints (default 4)")
    parser.add_argument("--iperf-seconds", type=float, default=5.0)
    parser.add_argument("--no-plot", action="store_true", help="skip throughput.png")
    parser.add_argument("--no-put-fsync", dest="put_fsync", action="store_false",
                        help="let the pyarrow server's DoPut skip fsync (Quiver's DoPut always fsyncs)")
    args = parser.parse_args(argv)
    if args.smoke:
        args.reps, args.warmup, args.warmup_gb, args.prewarm_seconds, args.iperf_seconds = 1, 0, 0.0, 0.0, 1.0
    if args.reps < 1 or args.warmup < 0:
        parser.error("--reps must be >= 1 and --warmup >= 0")
    if not args.java or not Path(args.java).exists():
        parser.error("no JDK 25 java found: pass --java or set QUIVER_JAVA / JAVA_HOME")
    if not args.server_jar.is_file():
        parser.error(f"Quiver server jar {args.server_jar} not found: run ./dev build (or ./dev bench)")
    if not args.stock_jar.is_file():
        parser.error(f"stock arrow-java server jar {args.stock_jar} not found: build the bench module"
                     " (./dev build, or mvn -pl bench package)")
    return args


def data_params(args) -> datagen.DataParams:
    if args.smoke:
        # ~4 MB in 25 batches; 50 small batches for `narrow`.
        return datagen.DataParams(big_rows=100_000, big_batch_rows=4_096, narrow_batches=50, narrow_batch_rows=1_000)
    return datagen.DataParams.for_size(args.size_gb)


# ------------------------------------------------------------------------------------------------
# What the client knows about the datasets (to check row counts and count bytes)
# ------------------------------------------------------------------------------------------------

class LocalDataset:
    """A dataset file opened by the harness itself (memory-mapped): batch sizes, row counts, the table."""

    def __init__(self, path: Path):
        self.path = path
        self.file_bytes = path.stat().st_size
        self.table = ipc.open_file(pa.memory_map(str(path), "r")).read_all()
        self.batches = self.table.to_batches()
        self.batch_bytes = [b.nbytes for b in self.batches]
        self.batch_rows = [b.num_rows for b in self.batches]
        self.nbytes = sum(self.batch_bytes)
        self.rows = self.table.num_rows

    def range_bytes(self, start: int, end: int) -> int:
        return sum(self.batch_bytes[start:end])

    def range_rows(self, start: int, end: int) -> int:
        return sum(self.batch_rows[start:end])

    def projected_bytes(self, columns) -> int:
        return self.table.select(columns).nbytes


def ticket(dataset: str, columns=None, batches=None) -> bytes:
    body = {"dataset": dataset}
    if columns is not None:
        body["columns"] = list(columns)
    if batches is not None:
        body["batches"] = list(batches)
    return json.dumps(body).encode()


def read_stream(client: flight.FlightClient, ticket_bytes: bytes) -> int:
    """DoGet, reading chunk by chunk to the end; returns the rows received."""
    reader = client.do_get(flight.Ticket(ticket_bytes), options=OPTIONS)
    rows = 0
    while True:
        try:
            chunk = reader.read_chunk()
        except StopIteration:
            return rows
        rows += chunk.data.num_rows


def expect_rows(server: ServerProcess, what: str, got: int, expected: int) -> None:
    if got != expected:
        raise BenchError(f"{server.label}: {what} returned {got} rows, expected {expected}")


# ------------------------------------------------------------------------------------------------
# Servers
# ------------------------------------------------------------------------------------------------

def link_data(files: dict[str, Path], directory: Path) -> None:
    """The server's own data directory: hard links to the generated files (no symlinks: Quiver
    refuses names that resolve outside its root), so DoPut uploads land apart from other servers'."""
    if directory.exists():
        shutil.rmtree(directory)
    directory.mkdir(parents=True)
    for path in files.values():
        try:
            os.link(path, directory / path.name)
        except OSError:
            shutil.copyfile(path, directory / path.name)


def remove_uploads(server: ServerProcess, keep: set[str]) -> None:
    for path in list(server.data_dir.rglob("*")):
        if path.is_file() and path.name not in keep:
            path.unlink()


class Clients:
    """Connected FlightClients per server, made once and reused (connection set-up is not measured)."""

    def __init__(self):
        self._clients: dict[tuple[str, int], flight.FlightClient] = {}

    def get(self, server: ServerProcess, index: int = 0) -> flight.FlightClient:
        key = (server.key, index)
        if key not in self._clients:
            client = flight.connect(server.location)
            try:  # any RPC opens the connection
                list(client.list_actions(options=OPTIONS))
            except Exception:  # noqa: BLE001 - the stock server implements no actions
                pass
            self._clients[key] = client
        return self._clients[key]

    def many(self, server: ServerProcess, count: int) -> list[flight.FlightClient]:
        return [self.get(server, i) for i in range(count)]

    def drop(self, server: ServerProcess) -> None:
        """Forgets a server's first connection (after a refused stream), so the next call reconnects."""
        client = self._clients.pop((server.key, 0), None)
        if client is not None:
            client.close()

    def close(self) -> None:
        for client in self._clients.values():
            try:
                client.close()
            except Exception:  # noqa: BLE001
                pass
        self._clients.clear()


def quiver_stats(client: flight.FlightClient) -> dict:
    results = list(client.do_action(flight.Action("stats", b""), options=OPTIONS))
    return json.loads(results[0].body.to_pybytes())


# ------------------------------------------------------------------------------------------------
# Measuring
# ------------------------------------------------------------------------------------------------

def client_cpu_seconds() -> float:
    """CPU time of this process (the pyarrow client, all threads)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def summarize(values: list[float]) -> dict:
    return {"median": statistics.median(values), "min": min(values), "max": max(values), "samples": values}


def measure(name: str, servers: list[ServerProcess], run, args, track_rss: bool = False) -> dict:
    """Warm-up, then args.reps rounds over the servers (rotating order). `run(server)` returns
    (seconds, bytes). Per server: GB/s median/min/max and CPU seconds per GB."""
    for server in servers:
        warmed, runs = 0, 0
        while runs < args.warmup or (runs < MAX_WARMUP_RUNS and warmed < args.warmup_gb * GB):
            warmed += run(server)[1]
            runs += 1
    per_server = {s.key: {"gbps": [], "seconds": [], "cpu": 0.0, "client_cpu": 0.0, "bytes": 0, "rss": 0}
                  for s in servers}
    for rep in range(args.reps):
        shift = rep % len(servers)
        for server in servers[shift:] + servers[:shift]:
            entry = per_server[server.key]
            cpu_before, client_before = server.cpu_seconds(), client_cpu_seconds()
            if track_rss:
                with RssSampler(server.pid) as sampler:
                    seconds, nbytes = run(server)
                entry["rss"] = max(entry["rss"], sampler.peak)
            else:
                seconds, nbytes = run(server)
            entry["cpu"] += server.cpu_seconds() - cpu_before
            entry["client_cpu"] += client_cpu_seconds() - client_before
            entry["bytes"] += nbytes
            entry["seconds"].append(seconds)
            entry["gbps"].append(nbytes / seconds / GB)
    out = {}
    for server in servers:
        entry = per_server[server.key]
        result = summarize(entry["gbps"])
        result["seconds_median"] = statistics.median(entry["seconds"])
        result["gb_per_rep"] = entry["bytes"] / args.reps / GB
        result["server_cpu_seconds"] = entry["cpu"]
        result["cpu_s_per_gb"] = entry["cpu"] / (entry["bytes"] / GB) if entry["bytes"] else None
        result["client_cpu_s_per_gb"] = entry["client_cpu"] / (entry["bytes"] / GB) if entry["bytes"] else None
        if track_rss:
            result["rss_anon_peak_mb"] = entry["rss"] / MiB
        out[server.key] = result
        log(f"  {name:<19} {server.label:<17} {result['median']:7.3f} GB/s"
            f" (min {result['min']:.3f}, max {result['max']:.3f}), server {result['cpu_s_per_gb']:.3f} CPU-s/GB,"
            f" client {result['client_cpu_s_per_gb']:.3f}")
    return out


def scenario(unit: str, servers: dict, description: str, **extra) -> dict:
    """A scenario's entry in results.json, with the ratios Quiver / other server (of the medians)."""
    entry = {"unit": unit, "description": description, "servers": servers, "ratios": {}}
    quiver = servers.get(QUIVER)
    for other in (PYARROW, STOCK):
        if other not in servers:
            continue
        theirs = servers[other]
        if isinstance(quiver, dict) and isinstance(theirs, dict) and theirs["median"]:
            entry["ratios"][f"{QUIVER}/{other}"] = quiver["median"] / theirs["median"]
        else:
            entry["ratios"][f"{QUIVER}/{other}"] = quiver if isinstance(quiver, str) else theirs
    entry.update(extra)
    return entry


# ------------------------------------------------------------------------------------------------
# Scenarios
# ------------------------------------------------------------------------------------------------

def prewarm(servers, clients, big: LocalDataset, narrow: LocalDataset, args) -> dict:
    """Each server's first DoGet of big, cold (recorded), then args.prewarm_seconds of DoGets of
    narrow (many small messages) and of projected slices of big: a JVM's C2 compiler is busy for
    the first ~75,000 messages Quiver sends (measured: 7 s of compiler CPU on narrow), and the
    scenarios are meant to measure servers in their steady state."""
    cold = {}
    for server in servers:
        client = clients.get(server)
        cpu_before = server.cpu_seconds()
        started = time.perf_counter()
        rows = read_stream(client, b"big")
        seconds = time.perf_counter() - started
        expect_rows(server, "DoGet big", rows, big.rows)
        cpu = server.cpu_seconds() - cpu_before
        cold[server.key] = {"gbps": big.nbytes / seconds / GB, "cpu_s_per_gb": cpu / (big.nbytes / GB)}
        deadline = time.monotonic() + args.prewarm_seconds
        count, position = 0, 0
        while time.monotonic() < deadline:
            read_stream(client, b"narrow")
            end = min(len(big.batches), position + 8)
            read_stream(client, ticket("big", columns=PROJECTION, batches=[position, end]))
            position = 0 if end == len(big.batches) else end
            count += 1
        log(f"  {server.label:<17} cold first DoGet {cold[server.key]['gbps']:.3f} GB/s,"
            f" {cold[server.key]['cpu_s_per_gb']:.3f} CPU-s/GB; then {count} rounds of pre-warm-up")
    return cold


def run_doget(servers, clients, big: LocalDataset, args):
    def run(server):
        client = clients.get(server)
        started = time.perf_counter()
        rows = read_stream(client, b"big")
        seconds = time.perf_counter() - started
        expect_rows(server, "DoGet big", rows, big.rows)
        return seconds, big.nbytes
    return measure("doget", servers, run, args, track_rss=True)


def run_projection(servers, clients, big: LocalDataset, args):
    nbytes = big.projected_bytes(PROJECTION)
    request = ticket("big", columns=PROJECTION)

    def run(server):
        client = clients.get(server)
        started = time.perf_counter()
        rows = read_stream(client, request)
        seconds = time.perf_counter() - started
        expect_rows(server, "DoGet big (2 columns)", rows, big.rows)
        return seconds, nbytes
    return measure("doget_projection", servers, run, args)


def run_narrow(servers, clients, narrow: LocalDataset, args):
    def run(server):
        client = clients.get(server)
        started = time.perf_counter()
        rows = read_stream(client, b"narrow")
        seconds = time.perf_counter() - started
        expect_rows(server, "DoGet narrow", rows, narrow.rows)
        return seconds, narrow.nbytes
    results = measure("doget_narrow", servers, run, args)
    for result in results.values():
        result["batches_per_s_median"] = len(narrow.batches) * result["median"] * GB / narrow.nbytes
    return results


def run_parallel(servers, clients, big: LocalDataset, args):
    endpoints_seen = {}

    def run(server):
        pool = clients.many(server, args.streams)
        started = time.perf_counter()
        info = pool[0].get_flight_info(flight.FlightDescriptor.for_path("big"), options=OPTIONS)
        queue = list(enumerate(info.endpoints))
        lock = threading.Lock()
        counts = []

        def worker(client):
            rows = 0
            while True:
                with lock:
                    if not queue:
                        return rows
                    _, endpoint = queue.pop(0)
                rows += read_stream(client, endpoint.ticket.ticket)

        with concurrent.futures.ThreadPoolExecutor(len(pool)) as executor:
            counts = list(executor.map(worker, pool))
        seconds = time.perf_counter() - started
        endpoints_seen[server.key] = len(info.endpoints)
        expect_rows(server, f"{len(info.endpoints)} endpoints of big", sum(counts), big.rows)
        return seconds, big.nbytes

    results = measure("parallel_endpoints", servers, run, args)
    for key, result in results.items():
        result["endpoints"] = endpoints_seen[key]
    return results


def run_concurrent(servers, clients, big: LocalDataset, args):
    """args.concurrency clients, client i reading quarter i % 4 of the batches."""
    count = len(big.batches)
    quarters = [(count * q // 4, count * (q + 1) // 4) for q in range(4)]
    assignments = [quarters[i % 4] for i in range(args.concurrency)]
    nbytes = sum(big.range_bytes(s, e) for s, e in assignments)

    def run(server):
        pool = clients.many(server, args.concurrency)
        barrier = threading.Barrier(len(pool) + 1)

        def worker(i):
            barrier.wait()
            start, end = assignments[i]
            rows = read_stream(pool[i], ticket("big", batches=[start, end]))
            expect_rows(server, f"DoGet big batches [{start}, {end})", rows, big.range_rows(start, end))
            return time.perf_counter()

        with concurrent.futures.ThreadPoolExecutor(len(pool)) as executor:
            futures = [executor.submit(worker, i) for i in range(len(pool))]
            barrier.wait()
            started = time.perf_counter()
            finished = max(f.result() for f in futures)
        return finished - started, nbytes

    return measure("concurrent_16", servers, run, args)


def is_unimplemented(error: Exception) -> bool:
    if isinstance(error, pa.ArrowNotImplementedError):
        return True
    text = str(error)
    return "UNIMPLEMENTED" in text or "Unimplemented" in text


def put_table(client: flight.FlightClient, table: pa.Table) -> None:
    writer, _ = client.do_put(flight.FlightDescriptor.for_path(PUT_NAME), table.schema, options=OPTIONS)
    writer.write_table(table)
    writer.close()


def run_doput(servers, clients, big: LocalDataset, args):
    keep = {p.name for p in big.path.parent.glob("*.arrow")}
    supported = []
    results = {}
    for server in servers:
        try:
            put_table(clients.get(server), big.table.slice(0, 10))
            supported.append(server)
        except Exception as error:  # noqa: BLE001 - classified below
            if server.key == QUIVER and is_unimplemented(error):
                log(f"  doput               {server.label:<17} unsupported ({str(error).splitlines()[0]})")
                results[server.key] = UNSUPPORTED
                # A fresh connection: the refused stream may have left this one mid-call.
                clients.drop(server)
            else:
                raise BenchError(f"{server.label}: DoPut failed: {error}") from error
        finally:
            remove_uploads(server, keep)

    def run(server):
        client = clients.get(server)
        started = time.perf_counter()
        put_table(client, big.table)
        seconds = time.perf_counter() - started
        info = client.get_flight_info(flight.FlightDescriptor.for_path(PUT_NAME), options=OPTIONS)
        if info.total_records not in (big.rows, -1):
            raise BenchError(f"{server.label}: after DoPut, {PUT_NAME} has {info.total_records} rows,"
                             f" expected {big.rows}")
        remove_uploads(server, keep)
        return seconds, big.nbytes

    if supported:
        results.update(measure("doput", supported, run, args))
    return {s.key: results[s.key] for s in servers}


def run_flightinfo(servers, clients, args):
    calls_per_rep = 5 if args.smoke else 50
    descriptor = flight.FlightDescriptor.for_path("big")
    latencies = {s.key: [] for s in servers}
    rep_medians = {s.key: [] for s in servers}
    endpoints = {}
    for server in servers:
        client = clients.get(server)
        for _ in range(args.warmup * 20):
            client.get_flight_info(descriptor, options=OPTIONS)
    for rep in range(args.reps):
        shift = rep % len(servers)
        for server in servers[shift:] + servers[:shift]:
            client = clients.get(server)
            this_rep = []
            for _ in range(calls_per_rep):
                started = time.perf_counter()
                info = client.get_flight_info(descriptor, options=OPTIONS)
                this_rep.append((time.perf_counter() - started) * 1e3)
            endpoints[server.key] = len(info.endpoints)
            latencies[server.key].extend(this_rep)
            rep_medians[server.key].append(statistics.median(this_rep))
    out = {}
    for server in servers:
        calls = sorted(latencies[server.key])
        out[server.key] = {
            "median": statistics.median(calls), "min": calls[0], "max": calls[-1],
            "p99": calls[min(len(calls) - 1, int(len(calls) * 0.99))],
            "samples": rep_medians[server.key], "calls": len(calls), "endpoints": endpoints[server.key],
        }
        log(f"  getflightinfo       {server.label:<17} {out[server.key]['median']:7.3f} ms median"
            f" (min {calls[0]:.3f}, max {calls[-1]:.3f}, {len(calls)} calls)")
    return out


def run_memory(args, files, big: LocalDataset, work: Path, endpoint_size: int) -> dict:
    """A separate Quiver whose heap is a quarter of `big` (at least 64 MiB): RssAnon while it
    serves the whole file, and the allocator peak from its stats action."""
    heap_mib = max(64, big.file_bytes // 4 // MiB)
    data_dir = work / "quiver-memory" / "data"
    link_data({"big": files["big"]}, data_dir)
    server = ServerProcess(
        "quiver_memory", f"Quiver -Xmx{heap_mib}m",
        [args.java, f"-Xmx{heap_mib}m", "-jar", str(args.server_jar), "--data", str(data_dir),
         "--host", "127.0.0.1", "--port", "0", "--port-file", str(work / "quiver-memory" / "port"),
         "--endpoint-size", str(endpoint_size)],
        work / "quiver-memory", data_dir)
    client = None
    try:
        server.start().wait_ready()
        client = flight.connect(server.location)
        client.get_flight_info(flight.FlightDescriptor.for_path("big"), options=OPTIONS)
        time.sleep(0.5)
        baseline = rss_anon_bytes(server.pid)
        started = time.perf_counter()
        with RssSampler(server.pid, interval=0.005) as sampler:
            rows = read_stream(client, b"big")
        seconds = time.perf_counter() - started
        expect_rows(server, "DoGet big", rows, big.rows)
        stats = quiver_stats(client)
        result = {
            "heap_max_mb": heap_mib,
            "file_mb": big.file_bytes / MiB,
            "file_to_heap": big.file_bytes / (heap_mib * MiB),
            "rss_anon_baseline_mb": baseline / MiB,
            "rss_anon_peak_mb": sampler.peak / MiB,
            "rss_samples": sampler.samples,
            "allocator_peak_bytes": stats["allocator_peak_bytes"],
            "allocator_peak_mb": stats["allocator_peak_bytes"] / MiB,
            "body_bytes_copied": stats["body_bytes_copied"],
            "doget_gbps": big.nbytes / seconds / GB,
        }
        log(f"  memory_4x_heap      -Xmx{heap_mib}m, {result['file_to_heap']:.1f}x: RssAnon peak"
            f" {result['rss_anon_peak_mb']:.1f} MB (baseline {result['rss_anon_baseline_mb']:.1f}),"
            f" allocator peak {result['allocator_peak_mb']:.2f} MB")
        return result
    finally:
        if client is not None:
            client.close()
        server.stop()


def run_loopback(args) -> dict:
    iperf = shutil.which("iperf3")
    if iperf is None:
        log("  loopback            iperf3 not installed: unavailable")
        return {"gbps": UNAVAILABLE, "reason": "iperf3 not installed"}
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen([iperf, "-s", "-B", "127.0.0.1", "-p", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        bits, failure = None, ""
        for _ in range(50):
            time.sleep(0.1)  # the server needs a moment to listen
            completed = subprocess.run(
                [iperf, "-c", "127.0.0.1", "-p", str(port), "-P", "1", "-t", str(args.iperf_seconds), "-J"],
                capture_output=True, text=True, timeout=args.iperf_seconds + 30)
            try:
                output = json.loads(completed.stdout)
                bits = output["end"]["sum_received"]["bits_per_second"]
                break
            except (ValueError, KeyError, TypeError):
                failure = (completed.stdout + completed.stderr)[-300:]
                if server.poll() is not None:
                    break
        if bits is None:
            log(f"  loopback            iperf3 failed: unavailable ({failure.strip()})")
            return {"gbps": UNAVAILABLE, "reason": f"iperf3 failed: {failure}"}
        result = {"gbps": bits / 8 / GB, "seconds": args.iperf_seconds, "streams": 1,
                  "iperf3": output.get("start", {}).get("version", "")}
        log(f"  loopback            iperf3 1 stream {result['gbps']:.3f} GB/s")
        return result
    finally:
        if server.poll() is None:
            server.terminate()
        server.wait(timeout=10)


# ------------------------------------------------------------------------------------------------
# Main
# ------------------------------------------------------------------------------------------------

def main(argv=None) -> int:
    args = parse_args(argv)
    started = time.time()
    work = args.work.resolve()
    params = data_params(args)
    files = datagen.ensure(work / "data", params, log=log)
    big, narrow = LocalDataset(files["big"]), LocalDataset(files["narrow"])
    # About 8 endpoints at any size: 256 MiB (Quiver's default) for the 2.0 GB file.
    endpoint_size = max(64 * 1024, round(big.file_bytes * (256 * MiB) / 2.0e9))
    log(f"big: {big.rows:,} rows, {len(big.batches)} batches, {big.file_bytes / GB:.3f} GB on disk;"
        f" narrow: {len(narrow.batches)} batches; endpoint size {endpoint_size:,} bytes")

    global OPTIONS
    OPTIONS = flight.FlightCallOptions(timeout=60 + 60 * big.file_bytes / GB)

    run_dir = work / "run"
    for key in (QUIVER, PYARROW, STOCK):
        link_data(files, run_dir / key / "data")
    # The servers run from copies of the jars: a rebuild during the run (./dev build in another
    # shell) would otherwise pull classes from under a running JVM.
    jar_dir = run_dir / "jars"
    jar_dir.mkdir(parents=True, exist_ok=True)
    source_jars = {"server_jar": args.server_jar, "stock_jar": args.stock_jar}
    args.server_jar = Path(shutil.copy2(args.server_jar, jar_dir / "quiver-server.jar"))
    args.stock_jar = Path(shutil.copy2(args.stock_jar, jar_dir / "quiver-bench.jar"))
    common = ["--port", "0", "--endpoint-size", str(endpoint_size)]
    servers = {
        QUIVER: ServerProcess(QUIVER, LABELS[QUIVER], [
            args.java, "-jar", str(args.server_jar), "--data", str(run_dir / QUIVER / "data"),
            "--host", "127.0.0.1", "--port-file", str(run_dir / QUIVER / "port"), *common],
            run_dir / QUIVER, run_dir / QUIVER / "data"),
        PYARROW: ServerProcess(PYARROW, LABELS[PYARROW], [
            sys.executable, str(Path(__file__).resolve().parent / "pyarrow_server.py"),
            "--data", str(run_dir / PYARROW / "data"), "--host", "127.0.0.1",
            "--port-file", str(run_dir / PYARROW / "port"), *common, *(["--fsync"] if args.put_fsync else [])],
            run_dir / PYARROW, run_dir / PYARROW / "data"),
        STOCK: ServerProcess(STOCK, LABELS[STOCK], [
            args.java, "--sun-misc-unsafe-memory-access=allow", "-jar", str(args.stock_jar),
            "--data", str(run_dir / STOCK / "data"), "--host", "127.0.0.1",
            "--port-file", str(run_dir / STOCK / "port"), *common],
            run_dir / STOCK, run_dir / STOCK / "data"),
    }
    clients = Clients()
    results: dict = {"scenarios": {}}
    try:
        log("loopback ceiling (iperf3)")
        results["scenarios"]["loopback"] = run_loopback(args)

        log("starting servers")
        for server in servers.values():
            server.start()
        for server in servers.values():
            server.wait_ready()
            log(f"  {server.label} on {server.location} (pid {server.pid})")
        both = [servers[QUIVER], servers[PYARROW]]
        three = [servers[QUIVER], servers[PYARROW], servers[STOCK]]
        S = results["scenarios"]

        log(f"cold start and pre-warm-up ({args.prewarm_seconds:g} s per server)")
        results["cold_doget"] = prewarm(three, clients, big, narrow, args)
        log(f"measuring: warm-up ({args.warmup} run(s), until {args.warmup_gb:g} GB or {MAX_WARMUP_RUNS} runs)"
            f" + {args.reps} repetitions per scenario and server")
        S["doget"] = scenario("GB/s", run_doget(three, clients, big, args),
                              f"DoGet of the whole big dataset ({big.nbytes / GB:.2f} GB, {len(big.batches)}"
                              " batches), one client, read_chunk() loop")
        S["doget_projection"] = scenario("GB/s", run_projection(three, clients, big, args),
                                         f"DoGet of columns {PROJECTION} of big"
                                         f" ({big.projected_bytes(PROJECTION) / GB:.2f} GB)")
        S["doget_narrow"] = scenario("GB/s", run_narrow(three, clients, narrow, args),
                                     f"DoGet of narrow ({len(narrow.batches)} batches of"
                                     f" {narrow.batch_rows[0]:,} int32, {narrow.nbytes / 1e6:.1f} MB)")
        S["parallel_endpoints"] = scenario("GB/s", run_parallel(both, clients, big, args),
                                           f"GetFlightInfo(big), then all endpoints over {args.streams}"
                                           " streams, each its own connection")
        S["doput"] = scenario("GB/s", run_doput(both, clients, big, args),
                              "DoPut of the whole big table (write_table, close); the server stores an IPC file")
        S["concurrent_16"] = scenario("GB/s", run_concurrent(both, clients, big, args),
                                      f"{args.concurrency} clients at once, each its own connection reading one"
                                      " quarter of big's batches; aggregate GB/s",
                                      clients=args.concurrency)
        S["getflightinfo"] = scenario("ms", run_flightinfo(both, clients, args),
                                      f"GetFlightInfo(for_path('big')) latency over {len(big.batches)} batches;"
                                      " median/min/max/p99 of all calls, samples = per-repetition medians")
        stats = quiver_stats(clients.get(servers[QUIVER]))
        results["quiver_stats"] = {k: stats[k] for k in
                                   ("body_bytes_zero_copy", "body_bytes_copied", "doget_bytes_sent",
                                    "allocator_peak_bytes") if k in stats}
    finally:
        clients.close()
        for server in servers.values():
            server.stop()

    log("memory while serving a file 4x the heap")
    results["scenarios"]["memory_4x_heap"] = run_memory(args, files, big, work, endpoint_size)

    results["cpu_s_per_gb"] = {key: value["cpu_s_per_gb"]
                               for key, value in results["scenarios"]["doget"]["servers"].items()}
    results["meta"] = report.machine_info(args.java)
    results["meta"].update({
        "command": os.environ.get("QUIVER_BENCH_COMMAND")
        or " ".join(shlex.quote(a) for a in [sys.executable, *sys.argv]),
        "smoke": args.smoke, "reps": args.reps, "warmup": args.warmup, "warmup_gb": args.warmup_gb,
        "prewarm_seconds": args.prewarm_seconds,
        "size_gb": big.file_bytes / GB, "big_rows": big.rows, "big_batches": len(big.batches),
        "narrow_batches": len(narrow.batches), "endpoint_size": endpoint_size,
        "projection": PROJECTION, "concurrency": args.concurrency, "streams": args.streams,
        "pyarrow_put_fsync": args.put_fsync,
        "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started)),
        "duration_s": round(time.time() - started, 1),
        "server_logs": {key: str(server.log_file) for key, server in servers.items()},
        "jars": {key: f"{path} ({time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(path.stat().st_mtime))})"
                 for key, path in source_jars.items()},
    })
    results["targets"] = report.evaluate_targets(results)

    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    plotted = False if args.no_plot else report.plot(results, args.out / "throughput.png", log)
    (args.out / "README.md").write_text(report.readme(results, plotted))
    print(report.summary(results))
    log(f"done in {time.time() - started:.0f} s; results in {args.out}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchError as error:
        log(f"FAILED: {error}")
        sys.exit(1)
