#!/usr/bin/env python3
"""Quiver's load and soak test: one server on loopback, many concurrent DoGet streams (some of them
slow readers) and concurrent uploads for a fixed time, checking every result and sampling the
server's memory; bounded in time, loopback only.

    ./dev soak                               # 64 streams + 4 upload workers for 5 minutes -> docs/reliability/
    ./dev soak --duration 60 --out /tmp/soak # a shorter run elsewhere
    ./dev soak --quick --out /tmp/soak       # the test suite's settings (~25 s, 12 streams, 2 uploaders)

What runs (bench/soak_workers.py has the details):

- `--readers` threads, each with its own connection, DoGet after DoGet of a random request (whole
  datasets, batch ranges, projections, endpoints from GetFlightInfo, small datasets, a stream-format
  file with a dictionary), checking row counts and batch positions. `--slow-readers` of them sleep
  `--slow-delay` seconds between batches; fast readers abandon a stream part-way with probability
  `--cancel-probability`.
- `--uploaders` threads cycling through names: create, append, overwrite, append, every
  acknowledgement checked; a verifier reads each finished name back, compares it with what was sent,
  checks `describe`, and deletes it.
- A sampler, every `--sample-interval` seconds: RssAnon, open fds and threads of the server process
  (/proc), and its `stats` action (Arrow allocator, heap, mapped files, open streams).

The server runs from a copy of the jar with `--max-streams` above the readers plus the verifier
(and `--max-uploads` above the uploaders), so a RESOURCE_EXHAUSTED is a real failure and counts as
an error. Its heap is fixed and pre-touched (-Xms = -Xmx, AlwaysPreTouch): growth of RssAnon after
warm-up is then memory outside the heap. At the end of the warm-up and at the end (after the load
stopped and the server is idle) a full GC (`jcmd <pid> GC.run`) makes the `stats` heap figure the
live heap, and a trim of the native heap (`jcmd <pid> System.trim_native_heap`) makes RssAnon what
the server holds rather than what glibc's malloc kept of memory already freed.

Verdicts (soak_report.evaluate): no errors, every upload verified, slow readers completed streams,
RssAnon bounded (peak under load and at the end <= after warm-up + --rss-growth-mb), live heap at
the end <= after warm-up + --heap-growth-mb, fds back to the start + --fd-margin, the allocator at
0, no more files mapped than datasets served (every upload was deleted), streams drained, no ERROR
in the server log, exit 0 on SIGTERM. Exit status 0 only if all pass. With --native-memory the
report also says, per JVM category, what grew after warm-up.

Results: <out>/load.json (every sample), <out>/load.md, <out>/load.png.
"""

from __future__ import annotations

import argparse
import collections
import os
import queue
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import datagen  # noqa: E402
import report  # noqa: E402
import soak_data  # noqa: E402
import soak_report  # noqa: E402
from harness import default_java  # noqa: E402
from processes import BenchError, ServerProcess  # noqa: E402
from soak_workers import Reader, Sampler, Tally, Uploader, Verifier  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parents[1]
MiB = 1 << 20
JOIN_TIMEOUT_SECONDS = 120
DRAIN_TIMEOUT_SECONDS = 30
REPORT_NAME = "load"


def log(message: str) -> None:
    print(f"[soak {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def parse_args(argv):
    parser = argparse.ArgumentParser(description="Quiver load and soak test on loopback.",
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=float, default=300, help="seconds of load (default 300)")
    parser.add_argument("--warmup", type=float, default=30,
                        help="the first seconds of the load, after which memory is the reference (default 30)")
    parser.add_argument("--readers", type=int, default=64, help="concurrent DoGet readers (default 64)")
    parser.add_argument("--slow-readers", type=int, default=16, help="how many of the readers are slow (default 16)")
    parser.add_argument("--slow-delay", type=float, default=0.1,
                        help="seconds a slow reader sleeps between batches (default 0.1)")
    parser.add_argument("--cancel-probability", type=float, default=0.03,
                        help="chance a fast reader abandons a stream part-way (default 0.03)")
    parser.add_argument("--uploaders", type=int, default=4, help="concurrent upload workers (default 4)")
    parser.add_argument("--upload-batch-rows", type=int, default=32_768, help="rows per uploaded batch")
    parser.add_argument("--size-gb", type=float, default=0.5, help="size of the `big` dataset (default 0.5)")
    parser.add_argument("--heap", default="512m", help="the server's -Xms/-Xmx (default 512m)")
    parser.add_argument("--max-streams", type=int, help="server --max-streams (default readers + 16)")
    parser.add_argument("--max-uploads", type=int, help="server --max-uploads (default uploaders + 4)")
    parser.add_argument("--sample-interval", type=float, default=1.0, help="seconds between samples (default 1)")
    parser.add_argument("--rss-growth-mb", type=float, default=128,
                        help="allowed RssAnon growth over the warm-up sample, MiB (default 128)")
    parser.add_argument("--heap-growth-mb", type=float, default=64,
                        help="allowed live-heap growth over the warm-up sample, MiB (default 64)")
    parser.add_argument("--fd-margin", type=int, default=16, help="allowed extra open fds at the end (default 16)")
    parser.add_argument("--native-memory", action="store_true",
                        help="run the server with Native Memory Tracking and report what grew after warm-up, by"
                             " JVM category (explains RssAnon growth; costs the server a little speed)")
    parser.add_argument("--quick", action="store_true",
                        help="the test suite's run: 25 s (5 warm-up), 12 readers (4 slow), 2 uploaders, 20 MB")
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "docs" / "reliability",
                        help="where load.json, load.md, load.png go (default docs/reliability)")
    parser.add_argument("--work", type=Path, default=REPO_ROOT / "bench" / "target" / "soak",
                        help="generated datasets (cached) and the server's data directory")
    parser.add_argument("--java", default=default_java(), help="a JDK 25 java (default $QUIVER_JAVA, $JAVA_HOME)")
    parser.add_argument("--server-jar", type=Path,
                        default=Path(os.environ.get("QUIVER_SERVER_JAR")
                                     or REPO_ROOT / "server" / "target" / "quiver-server.jar"))
    parser.add_argument("--no-plot", action="store_true", help="skip load.png")
    args = parser.parse_args(argv)
    if args.quick:
        args.duration, args.warmup, args.readers, args.slow_readers = 25.0, 5.0, 12, 4
        args.uploaders, args.size_gb, args.upload_batch_rows = 2, 0.02, 8_192
    if args.readers < 1 or not 0 <= args.slow_readers <= args.readers or args.uploaders < 0:
        parser.error("need --readers >= 1, 0 <= --slow-readers <= --readers, --uploaders >= 0")
    if not 0 < args.warmup < args.duration:
        parser.error("--warmup must be between 0 and --duration")
    args.max_streams = args.max_streams or args.readers + 16
    args.max_uploads = args.max_uploads or args.uploaders + 4
    if not args.java or not Path(args.java).exists():
        parser.error("no JDK 25 java found: pass --java or set QUIVER_JAVA / JAVA_HOME")
    if not args.server_jar.is_file():
        parser.error(f"server jar {args.server_jar} not found: run ./dev build (or ./dev soak)")
    return args


def loadavg() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "unknown"


# ------------------------------------------------------------------------------------------------
# The server
# ------------------------------------------------------------------------------------------------

def jvm_options(args) -> list[str]:
    options = [f"-Xms{args.heap}", f"-Xmx{args.heap}", "-XX:+AlwaysPreTouch", "--sun-misc-unsafe-memory-access=allow"]
    if args.native_memory:
        options.append("-XX:NativeMemoryTracking=summary")
    return options


def start_server(args, run_dir: Path, data_dir: Path, endpoint_size: int) -> ServerProcess:
    # A copy of the jar: a rebuild during the run (./dev build in another shell) would otherwise
    # pull classes from under the running JVM.
    jar = Path(shutil.copy2(args.server_jar, run_dir / "quiver-server.jar"))
    command = [args.java, *jvm_options(args), "-jar", str(jar), "--data", str(data_dir),
               "--host", "127.0.0.1", "--port", "0", "--port-file", str(run_dir / "port"),
               "--max-streams", str(args.max_streams), "--max-uploads", str(args.max_uploads),
               "--endpoint-size", str(endpoint_size)]
    return ServerProcess("quiver", "Quiver", command, run_dir, data_dir).start().wait_ready()


def jcmd(args, pid: int, *command: str) -> str | None:
    """`jcmd <pid> <command...>`'s output, or None if jcmd is missing or failed."""
    executable = Path(args.java).with_name("jcmd")
    if not executable.exists():
        return None
    completed = subprocess.run([str(executable), str(pid), *command], capture_output=True, text=True, timeout=60)
    return completed.stdout if completed.returncode == 0 else None


def full_gc(args, pid: int) -> bool:
    """`jcmd <pid> GC.run`, so the heap figure that follows is the live heap."""
    return jcmd(args, pid, "GC.run") is not None


def trim_native_heap(args, pid: int) -> bool:
    """`jcmd <pid> System.trim_native_heap`: memory the JVM has freed (JIT compiler arenas, say) stays
    in glibc's malloc arenas, and in RssAnon, until trimmed. Both memory marks (after warm-up, at the
    end) are taken after a trim, so they compare what the server holds, not what malloc kept."""
    return jcmd(args, pid, "System.trim_native_heap") is not None


ACCESS = re.compile(r"quiver\.access.* method=(\S+).* status=(\w+)")
LEVEL = re.compile(r"^\S+ (ERROR|WARN) ")


def read_server_log(path: Path) -> dict:
    """Calls by method and status (from the access log), and the ERROR and WARN lines (also counted
    by logger and message, so a repeated warning shows once with its count)."""
    calls: dict = collections.defaultdict(collections.Counter)
    errors, warnings = [], []
    kinds: collections.Counter = collections.Counter()
    with open(path, errors="replace") as f:
        for line in f:
            if m := ACCESS.search(line):
                calls[m.group(1)][m.group(2)] += 1
            elif m := LEVEL.match(line):
                (errors if m.group(1) == "ERROR" else warnings).append(line.rstrip()[:300])
                logger_and_message = line.rstrip().split("] ", 1)[-1]
                kinds[f"{m.group(1)} {logger_and_message[:160]}"] += 1
    return {"calls": {method: dict(counts) for method, counts in calls.items()}, "error_lines": len(errors),
            "warn_lines": len(warnings), "first_errors": errors[:20], "first_warnings": warnings[:20],
            "by_message": dict(kinds.most_common(20))}


# ------------------------------------------------------------------------------------------------
# The run
# ------------------------------------------------------------------------------------------------

def wait_drained(sampler: Sampler, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        stats = sampler.stats()
        if stats["doget_streams_active"] == 0 and stats["body_bytes_in_flight"] == 0:
            return True
        time.sleep(0.1)
    return False


def wait_fds_settled(sampler: Sampler, bound: int, timeout: float) -> None:
    """Closed connections' sockets are released by the server asynchronously: give them a moment."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and len(os.listdir(f"/proc/{sampler.pid}/fd")) > bound:
        time.sleep(0.2)


def run_load(args, server: ServerProcess, facts: dict, tally: Tally, sampler: Sampler) -> dict:
    """Starts every worker, lets them run for --duration (marking the warm-up), stops them; returns
    when all have finished."""
    stop = threading.Event()
    sealed: queue.Queue = queue.Queue()
    mix = soak_data.RequestMix(facts)
    readers = [Reader(i, server.location, mix, tally, stop,
                      slow_delay=args.slow_delay if i < args.slow_readers else 0.0,
                      cancel_probability=args.cancel_probability, seed=1000 + i)
               for i in range(args.readers)]
    uploaders = [Uploader(i, server.location, tally, stop, sealed, args.upload_batch_rows)
                 for i in range(args.uploaders)]
    verifier = Verifier(0, server.location, tally, sealed)
    workers = [*readers, *uploaders, verifier]
    load_started = time.monotonic()
    for worker in workers:
        worker.start()
    sampler.start()
    gc_marks = False
    warm_at = load_started + args.warmup
    end_at = load_started + args.duration
    next_progress = load_started + 10
    warmed = False
    while (now := time.monotonic()) < end_at:
        if not warmed and now >= warm_at:
            gc_marks = full_gc(args, server.pid)
            trim_native_heap(args, server.pid)
            if args.native_memory:
                jcmd(args, server.pid, "VM.native_memory", "baseline")
            sample = sampler.take("warmed_up")
            warmed = True
            log(f"warmed up: RssAnon {sample['rss_anon_bytes'] / MiB:.1f} MiB, live heap"
                f" {(sample.get('heap_used_bytes') or 0) / MiB:.1f} MiB, {sample['fds']} fds")
        if now >= next_progress:
            counts = tally.snapshot()
            last = sampler.samples[-1] if sampler.samples else {}
            log(f"{now - load_started:5.0f} s: {counts.get('streams', 0):,} streams, "
                f"{counts.get('stream_bytes', 0) / 1e9:.2f} GB read, {counts.get('uploads', 0):,} uploads,"
                f" {counts.get('upload_names_verified', 0):,} verified, {counts['errors']} errors;"
                f" RssAnon {last.get('rss_anon_bytes', 0) / MiB:.1f} MiB, {last.get('fds', 0)} fds,"
                f" streams open {counts.get('streams_in_flight', 0)} (clients) / {last.get('doget_streams_active', 0)}"
                f" (server)")
            next_progress += 10
        time.sleep(min(0.2, max(0.0, end_at - now)))
    load_end_s = time.monotonic() - tally.started
    log("stopping the workers")
    stop.set()
    for worker in [*readers, *uploaders]:
        worker.join(JOIN_TIMEOUT_SECONDS)
    sealed.put(None)
    verifier.join(JOIN_TIMEOUT_SECONDS)
    stuck = [w.name for w in workers if w.is_alive()]
    if stuck:
        raise BenchError(f"workers still running {JOIN_TIMEOUT_SECONDS} s after the stop: {stuck}")
    return {"load_seconds": time.monotonic() - load_started, "load_end_s": load_end_s, "gc_marks": gc_marks}


def summarize(args, facts, tally: Tally, sampler: Sampler, load: dict, drained: bool, server_exit,
              server_log: dict, meta: dict, endpoint_size: int) -> dict:
    totals = tally.snapshot()
    warm = next(s for s in sampler.samples if s.get("mark") == "warmed_up")
    series = soak_report.throughput_series([s for s in sampler.samples if "mark" not in s])
    steady = [p["read_gbps"] for p in series if warm["t_s"] < p["t_s"] <= load["load_end_s"]]
    seconds = load["load_seconds"]
    results = {
        "meta": meta,
        "config": {
            "duration_s": args.duration, "warmup_s": args.warmup, "readers": args.readers,
            "slow_readers": args.slow_readers, "slow_delay_s": args.slow_delay,
            "cancel_probability": args.cancel_probability, "uploaders": args.uploaders,
            "upload_batch_rows": args.upload_batch_rows, "max_streams": args.max_streams,
            "max_uploads": args.max_uploads, "endpoint_size": endpoint_size,
            "sample_interval_s": args.sample_interval, "jvm_options": jvm_options(args), "quick": args.quick,
        },
        "datasets": {name: {"batches": f.batches, "rows": f.rows} for name, f in facts.items()},
        "request_kinds": list(soak_data.RequestMix(facts).weights),
        "totals": totals,
        "errors": tally.error_report(),
        "throughput": {
            "read_gbps_overall": totals.get("stream_bytes", 0) / seconds / 1e9,
            "read_gbps_median": statistics.median(steady) if steady else None,
            "read_gbps_min": min(steady) if steady else None,
            "read_gbps_max": max(steady) if steady else None,
            "streams_per_s": totals.get("streams", 0) / seconds,
            "upload_mbps_overall": totals.get("upload_bytes", 0) / seconds / 1e6,
            "series": series,
        },
        "memory": soak_report.memory_summary(sampler.samples, load["load_end_s"]),
        "gc_marks": load["gc_marks"],
        "drained": drained,
        "server_exit_code": server_exit,
        "server_log": server_log,
        "samples": sampler.samples,
        "plot_name": f"{REPORT_NAME}.png",
    }
    limits = {"rss_growth_bytes": int(args.rss_growth_mb * MiB), "heap_growth_bytes": int(args.heap_growth_mb * MiB),
              "fd_margin": args.fd_margin}
    results["limits"] = limits
    results["verdicts"] = soak_report.evaluate(results, limits)
    return results


def main(argv=None) -> int:
    args = parse_args(argv)
    started_wall = time.time()
    meta = report.machine_info(args.java)
    meta.update({"loadavg_start": loadavg(),
                 "command": os.environ.get("QUIVER_SOAK_COMMAND")
                 or " ".join(shlex.quote(a) for a in [sys.executable, *sys.argv]),
                 "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started_wall))})
    # The server is configured by its flags alone: a QUIVER_* variable in this environment (say
    # QUIVER_MAX_STREAMS in the caller's shell, or QUIVER_SOAK_COMMAND from ./dev) would change it or
    # make it warn.
    for key in [k for k in os.environ if k.startswith("QUIVER_")]:
        del os.environ[key]
    work = args.work.resolve()
    run_dir = work / "run"
    run_dir.mkdir(parents=True, exist_ok=True)
    params = datagen.DataParams.for_size(args.size_gb)
    facts = soak_data.prepare(work / "data-cache", run_dir / "data", params, log)
    big_bytes = (run_dir / "data" / "big.arrow").stat().st_size
    endpoint_size = max(64 * 1024, big_bytes // 8)  # about 8 endpoints of `big`
    log(f"datasets ready: big {facts['big'].batches} batches ({big_bytes / 1e9:.2f} GB),"
        f" narrow {facts['narrow'].batches}, cats {facts['cats'].batches}; load average {meta['loadavg_start']}")

    server = start_server(args, run_dir, run_dir / "data", endpoint_size)
    log(f"server on {server.location} (pid {server.pid}), max-streams {args.max_streams},"
        f" max-uploads {args.max_uploads}; {args.readers} readers ({args.slow_readers} slow),"
        f" {args.uploaders} uploaders for {args.duration:g} s")
    tally = Tally(time.monotonic())
    sampler = Sampler(server.pid, server.location, tally, args.sample_interval)
    server_exit = None
    try:
        sampler.take("idle_start")
        load = run_load(args, server, facts, tally, sampler)
        sampler.halt.set()
        sampler.join()
        drained = wait_drained(sampler, DRAIN_TIMEOUT_SECONDS)
        wait_fds_settled(sampler, sampler.samples[0]["fds"] + args.fd_margin, 10)
        if load["gc_marks"]:
            full_gc(args, server.pid)
        sampler.take("idle_end_untrimmed")
        trim_native_heap(args, server.pid)
        sampler.take("idle_end")
        native_memory = (jcmd(args, server.pid, "VM.native_memory", "summary.diff", "scale=KB")
                         if args.native_memory else None)
    finally:
        sampler.close()
        server.stop()
        if server.process is not None:
            server_exit = server.process.returncode
    meta["loadavg_end"] = loadavg()
    meta["duration_s"] = round(time.time() - started_wall, 1)
    meta["server_log"] = str(server.log_file)
    results = summarize(args, facts, tally, sampler, load, drained, server_exit, read_server_log(server.log_file),
                        meta, endpoint_size)
    if args.native_memory:
        results["native_memory"] = soak_report.native_memory(native_memory)

    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / f"{REPORT_NAME}.json").write_text(soak_report.to_json(results))
    plotted = False if args.no_plot else soak_report.plot(results, args.out / results["plot_name"], log)
    (args.out / f"{REPORT_NAME}.md").write_text(soak_report.markdown(results, plotted))
    for v in results["verdicts"]:
        log(f"  {'PASS' if v['pass'] else 'not judged' if v['pass'] is None else 'FAIL'}: {v['description']}:"
            f" {v['value']}")
    log(f"done in {meta['duration_s']:.0f} s; {results['throughput']['read_gbps_overall']:.3f} GB/s read,"
        f" {results['totals'].get('streams', 0):,} streams, {results['totals'].get('uploads', 0):,} uploads,"
        f" {results['errors']['count']} errors; report in {args.out}")
    return 0 if soak_report.passed(results["verdicts"]) else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchError as error:
        log(f"FAILED: {error}")
        sys.exit(2)
