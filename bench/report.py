"""What the harness writes besides results.json: machine facts, target verdicts, the README and
the plot. Everything here reads the results dictionary the harness built; nothing measures."""

from __future__ import annotations

import os
import platform
import subprocess
from pathlib import Path

import pyarrow as pa

REPO_ROOT = Path(__file__).resolve().parents[1]

SERVERS = [("quiver", "Quiver"), ("pyarrow", "pyarrow.flight"), ("stock_java", "arrow-java stock")]
THROUGHPUT_SCENARIOS = [
    ("doget", "DoGet, whole dataset"),
    ("doget_projection", "DoGet, 2 of 4 columns"),
    ("doget_narrow", "DoGet, narrow (1,000 small batches)"),
    ("parallel_endpoints", "All endpoints, 4 streams"),
    ("doput", "DoPut, whole dataset"),
    ("concurrent_16", "16 concurrent clients (aggregate)"),
]


# ------------------------------------------------------------------------------------------------
# Machine
# ------------------------------------------------------------------------------------------------

def _first_line_with(path: str, prefix: str) -> str:
    try:
        with open(path) as f:
            for line in f:
                if line.startswith(prefix):
                    return line.split(":", 1)[1].strip() if ":" in line else line.split("=", 1)[1].strip()
    except OSError:
        pass
    return "unknown"


def _run(command) -> str:
    try:
        completed = subprocess.run(command, capture_output=True, text=True, timeout=30)
        return (completed.stdout + completed.stderr).strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def machine_info(java: str) -> dict:
    java_version = [line for line in _run([java, "-version"]).splitlines()
                    if not line.startswith(("WARNING", "Picked up"))]
    commit = _run(["git", "-C", str(REPO_ROOT), "rev-parse", "--short", "HEAD"])
    dirty = _run(["git", "-C", str(REPO_ROOT), "status", "--porcelain", "--untracked-files=no"])
    mem_kb = _first_line_with("/proc/meminfo", "MemTotal").split()[0]
    iperf = _run(["iperf3", "--version"]).splitlines()
    return {
        "nproc": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "cpu_model": _first_line_with("/proc/cpuinfo", "model name"),
        "memory_gb": round(int(mem_kb) / 1e6, 1) if mem_kb.isdigit() else None,
        "os": _first_line_with("/etc/os-release", "PRETTY_NAME=").strip('"'),
        "kernel": platform.release(),
        "jdk": " / ".join(java_version[:2]),
        "java": java,
        "python": platform.python_version(),
        "pyarrow": pa.__version__,
        "iperf3": iperf[0] if iperf else None,
        "commit": commit + (" (with uncommitted changes)" if dirty else ""),
    }


# ------------------------------------------------------------------------------------------------
# Targets
# ------------------------------------------------------------------------------------------------

def _median(results, scenario, server):
    value = results["scenarios"][scenario]["servers"].get(server)
    return value["median"] if isinstance(value, dict) else value


def evaluate_targets(results: dict) -> list[dict]:
    """The issue's targets, each with its value and pass (True/False), or None when it cannot be
    judged (unsupported / unavailable). Reported only: the harness never fails on them."""
    S = results["scenarios"]
    targets = []

    def add(key, description, value, passed, note=""):
        targets.append({"id": key, "description": description, "value": value, "pass": passed, "note": note})

    ratio = S["doget"]["ratios"]["quiver/pyarrow"]
    add("doget_vs_pyarrow", "Quiver DoGet >= 1.0x pyarrow (aim 1.25x)", ratio, ratio >= 1.0,
        "aim 1.25x " + ("met" if ratio >= 1.25 else "not met"))

    loopback = S["loopback"]["gbps"]
    if isinstance(loopback, str):
        add("doget_vs_loopback", "Quiver DoGet >= 75% of loopback TCP (iperf3)", loopback, None)
    else:
        share = _median(results, "doget", "quiver") / loopback
        add("doget_vs_loopback", "Quiver DoGet >= 75% of loopback TCP (iperf3)", share, share >= 0.75)

    quiver_cpu = S["doget"]["servers"]["quiver"]["cpu_s_per_gb"]
    pyarrow_cpu = S["doget"]["servers"]["pyarrow"]["cpu_s_per_gb"]
    if quiver_cpu is not None and pyarrow_cpu:
        cpu_ratio = quiver_cpu / pyarrow_cpu
        add("cpu_vs_pyarrow", "Quiver server CPU-s/GB (DoGet) <= 0.8x pyarrow's", cpu_ratio, cpu_ratio <= 0.8)
    else:
        add("cpu_vs_pyarrow", "Quiver server CPU-s/GB (DoGet) <= 0.8x pyarrow's", "unavailable", None)

    stock = S["doget"]["ratios"]["quiver/stock_java"]
    add("doget_vs_stock", "Quiver DoGet >= 2.5x arrow-java stock", stock, stock >= 2.5)

    put = S["doput"]["ratios"]["quiver/pyarrow"]
    if isinstance(put, str):
        add("doput_vs_pyarrow", "Quiver DoPut >= 1.5x pyarrow", put, None)
    else:
        add("doput_vs_pyarrow", "Quiver DoPut >= 1.5x pyarrow", put, put >= 1.5)

    memory = S["memory_4x_heap"]
    note = f"file {memory['file_to_heap']:.1f}x -Xmx{memory['heap_max_mb']}m"
    if memory["file_to_heap"] < 4:
        note += " (not a 4x test: smoke-sized data)"
    add("rss_anon", "RssAnon < 150 MB while serving 4x -Xmx", memory["rss_anon_peak_mb"],
        memory["rss_anon_peak_mb"] < 150, note)
    add("allocator_peak", "Arrow allocator peak < 16 MB while serving 4x -Xmx", memory["allocator_peak_mb"],
        memory["allocator_peak_mb"] < 16, note)

    latency = _median(results, "getflightinfo", "quiver")
    add("getflightinfo", "Quiver GetFlightInfo < 5 ms (median)", latency, latency < 5)

    concurrent = _median(results, "concurrent_16", "quiver")
    single = _median(results, "doget", "quiver")
    add("concurrent_vs_single", "Quiver 16 concurrent clients aggregate >= single client",
        concurrent / single, concurrent >= single, f"{concurrent:.3f} vs {single:.3f} GB/s")
    return targets


# ------------------------------------------------------------------------------------------------
# Text
# ------------------------------------------------------------------------------------------------

def _cell(value, unit_format="{:.3f}") -> str:
    if isinstance(value, dict):
        text = unit_format.format(value["median"])
        if len(value.get("samples", [])) > 1:
            text += f" ({unit_format.format(value['min'])}–{unit_format.format(value['max'])})"
        return text
    if value is None:
        return "–"
    if isinstance(value, str):
        return value
    return unit_format.format(value)


def _ratio(value) -> str:
    if value is None:
        return "–"
    return value if isinstance(value, str) else f"{value:.2f}x"


def _verdict(passed) -> str:
    return {True: "pass", False: "FAIL", None: "n/a"}[passed]


def _value(value) -> str:
    if isinstance(value, str):
        return value
    return f"{value:.3f}" if abs(value) < 100 else f"{value:.0f}"


def results_tables(results: dict) -> str:
    S = results["scenarios"]
    meta = results["meta"]
    lines = [
        f"Median of {meta['reps']} repetition{'s' if meta['reps'] != 1 else ''}"
        + (f" after a warm-up of at least {meta['warmup']} run, continued until {meta.get('warmup_gb', 0):g} GB"
           " moved or 20 runs" if meta["warmup"] else "")
        + "; min–max in brackets. Ratios are Quiver / other, of the medians.",
        "",
        "| scenario (GB/s) | " + " | ".join(label for _, label in SERVERS)
        + " | Quiver / pyarrow | Quiver / stock |",
        "|---|" + "---:|" * (len(SERVERS) + 2),
    ]
    for key, title in THROUGHPUT_SCENARIOS:
        entry = S[key]
        cells = [_cell(entry["servers"].get(server)) for server, _ in SERVERS]
        ratios = [_ratio(entry["ratios"].get(f"quiver/{other}")) for other in ("pyarrow", "stock_java")]
        lines.append(f"| {title} | " + " | ".join(cells + ratios) + " |")
    loopback = S["loopback"]["gbps"]
    lines.append(f"| Loopback TCP, iperf3, 1 stream | {_cell(loopback)} | | | | |")
    lines += ["", "| GetFlightInfo on the big dataset (ms) | median | min | max | p99 | endpoints |",
              "|---|---:|---:|---:|---:|---:|"]
    for server, label in SERVERS:
        value = S["getflightinfo"]["servers"].get(server)
        if isinstance(value, dict):
            lines.append(f"| {label} | {value['median']:.3f} | {value['min']:.3f} | {value['max']:.3f}"
                         f" | {value['p99']:.3f} | {value['endpoints']} |")
    lines += ["", "Server CPU seconds per GB served (utime + stime of the server process over all measured"
              " repetitions; lower is better):", ""]
    lines += _cpu_table(S, "cpu_s_per_gb")
    lines += ["", "The pyarrow client's own CPU seconds per GB received, by server it read from (the harness"
              " process, getrusage; client and servers share the machine's CPUs):", ""]
    lines += _cpu_table(S, "client_cpu_s_per_gb")
    cold = results.get("cold_doget", {})
    if cold:
        lines += ["", "First DoGet of the big dataset after start (cold JIT, before any warm-up): "
                  + ", ".join(f"{dict(SERVERS)[k]} {v['gbps']:.3f} GB/s at {v['cpu_s_per_gb']:.3f} server CPU-s/GB"
                              for k, v in cold.items()) + "."]
    rss = {server: S["doget"]["servers"][server].get("rss_anon_peak_mb") for server, _ in SERVERS
           if isinstance(S["doget"]["servers"].get(server), dict)}
    lines += ["", "Peak RssAnon during the DoGet repetitions (default heap): "
              + ", ".join(f"{dict(SERVERS)[k]} {v:.0f} MB" for k, v in rss.items() if v is not None) + "."]
    memory = S["memory_4x_heap"]
    lines += ["", f"Memory while serving the big file ({memory['file_mb']:.0f} MiB) from a Quiver with"
              f" `-Xmx{memory['heap_max_mb']}m` ({memory['file_to_heap']:.1f}x the heap):", "",
              "| RssAnon before | RssAnon peak during DoGet | Arrow allocator peak | body bytes copied | DoGet GB/s |",
              "|---:|---:|---:|---:|---:|",
              f"| {memory['rss_anon_baseline_mb']:.1f} MB | {memory['rss_anon_peak_mb']:.1f} MB"
              f" | {memory['allocator_peak_bytes']:,} B | {memory['body_bytes_copied']:,} | {memory['doget_gbps']:.3f} |"]
    return "\n".join(lines)


def _cpu_table(S: dict, metric: str) -> list[str]:
    lines = ["| scenario | " + " | ".join(label for _, label in SERVERS) + " | Quiver / pyarrow |",
             "|---|" + "---:|" * (len(SERVERS) + 1)]
    for key, title in THROUGHPUT_SCENARIOS:
        cells, values = [], {}
        for server, _ in SERVERS:
            value = S[key]["servers"].get(server)
            if isinstance(value, dict) and value.get(metric) is not None:
                values[server] = value[metric]
                cells.append(f"{value[metric]:.3f}")
            else:
                cells.append(_cell(value))
        ratio = (values["quiver"] / values["pyarrow"]) if values.get("quiver") and values.get("pyarrow") else None
        lines.append(f"| {title} | " + " | ".join(cells) + f" | {_ratio(ratio)} |")
    return lines


def targets_table(results: dict) -> str:
    lines = ["| target | value | verdict | note |", "|---|---:|---|---|"]
    for target in results["targets"]:
        lines.append(f"| {target['description']} | {_value(target['value'])} | {_verdict(target['pass'])}"
                     f" | {target['note']} |")
    return "\n".join(lines)


def machine_table(meta: dict) -> str:
    rows = [("nproc", meta["nproc"]), ("CPU", meta["cpu_model"]), ("memory", f"{meta['memory_gb']} GB"),
            ("OS / kernel", f"{meta['os']} / {meta['kernel']}"), ("JDK", meta["jdk"]),
            ("Python / pyarrow", f"{meta['python']} / {meta['pyarrow']}"), ("iperf3", meta["iperf3"] or "none"),
            ("commit", meta["commit"])]
    return "\n".join(["| | |", "|---|---|"] + [f"| {k} | {v} |" for k, v in rows])


def readme(results: dict, plotted: bool) -> str:
    meta = results["meta"]
    smoke = "\n**Smoke run** (a few MB, one repetition): checks the harness, the figures mean nothing.\n" \
        if meta["smoke"] else ""
    plot = "![throughput per scenario and server](throughput.png)\n" if plotted else \
        "(No plot: matplotlib is not installed; `./dev bench` installs it.)\n"
    fsync = "yes" if meta.get("pyarrow_put_fsync", True) else "no (--no-put-fsync)"
    return f"""# Quiver benchmarks

Quiver against the [pyarrow.flight](https://arrow.apache.org/docs/python/flight.html) reference
server and, for DoGet, arrow-java's stock `ArrowFileReader` + `putNext()` path, all on loopback,
driven by one pyarrow client. This file, `results.json` and `throughput.png` are written by the
harness (`bench/harness.py`); rerun it rather than editing them.
{smoke}
Made with:

```bash
{meta['command']}
```

on {meta['started']} ({meta['duration_s']:.0f} s), dataset `big` of {meta['size_gb']:.2f} GB
({meta['big_rows']:,} rows of int64/float64/int32/utf8 in {meta['big_batches']} batches) and `narrow`
({meta['narrow_batches']} batches of int32), endpoints of {meta['endpoint_size']:,} bytes.

## Results

{results_tables(results)}

{plot}
## Targets

Reported, not enforced.

{targets_table(results)}

## Machine

{machine_table(meta)}

Client and servers share these CPUs: every figure includes the pyarrow client's own work.

## How it is measured

- **Servers.** Quiver (`server/target/quiver-server.jar`, default options but `--endpoint-size`),
  the pyarrow reference server `bench/pyarrow_server.py` (serves `ipc.open_file(pa.memory_map(...)).read_all()`
  as a `RecordBatchStream`: zero-copy from the mapping; DoPut writes an IPC file with `ipc.new_file`),
  and `bench/target/quiver-bench.jar` (arrow-java: `ArrowFileReader` over the file, `putNext()` with
  `setUseZeroCopy(true)`, waiting for `isReady()` before each batch). Each serves hard links to the
  same generated files from its own directory; all run at once on 127.0.0.1 (the JVMs from copies of
  the jars), and the page cache holds the files. JVMs run with their default heap.
- **Client.** pyarrow's `FlightClient`, reading with a `read_chunk()` loop (no table is assembled).
  Connections are opened before timing and reused. Every stream's row count is checked.
- **Cold start, pre-warm-up.** Right after start, each server's first DoGet of the big dataset is
  timed (the "cold" row below the results); then each serves DoGets of `narrow` and of slices of
  the big dataset for {meta.get('prewarm_seconds', 0):g} s, so that the figures above are those of
  a server that has been running for a while (Quiver's JIT compiler is busy for its first ~75,000
  messages).
- **Repetitions.** A warm-up per scenario and server (one run, continued until 2 GB moved or
  20 runs: Quiver's server CPU per GB keeps falling over the first few GB as the JIT compiles the
  data path), then the measured repetitions, servers interleaved in rotating order. Bytes are the
  Arrow buffer bytes delivered (GB = 10^9 bytes).
- **CPU.** `utime + stime` of the server process from `/proc/PID/stat`, read before and after each
  measured repetition; the sum over all repetitions divided by the GB they moved.
- **Parallel endpoints.** GetFlightInfo, then the endpoints (batch ranges) fetched by
  4 workers with a connection each; the time includes the GetFlightInfo call.
- **16 concurrent clients.** 16 connections, each reading one quarter of the batches (4 clients
  per quarter), started together; aggregate bytes over the time until the last finishes.
- **DoPut.** `do_put(for_path("bench_put"), schema)`, `write_table` of the memory-mapped table,
  `close()` (which waits for the server); the stored file is checked with GetFlightInfo and removed
  after each repetition. Quiver fsyncs an upload before acknowledging it; the pyarrow server is run
  with `--fsync` to do the same (pyarrow server fsync: {fsync}). A Quiver that answers UNIMPLEMENTED
  is marked `unsupported`.
- **GetFlightInfo.** Latency of one call on the big dataset's descriptor, 50 calls a repetition.
- **Memory.** A separate Quiver with `-Xmx` a quarter of the file size; `RssAnon` of
  `/proc/PID/status` sampled every 5 ms during one DoGet of the whole file (file mappings are
  `RssFile`, not counted), then the `stats` action's `allocator_peak_bytes`.
- **Loopback.** `iperf3 -c 127.0.0.1 -P 1 -t 5`: one TCP stream, the ceiling for any one stream here.
"""


def summary(results: dict) -> str:
    return "\n".join(["", results_tables(results), "", targets_table(results), ""])


# ------------------------------------------------------------------------------------------------
# Plot
# ------------------------------------------------------------------------------------------------

def plot(results: dict, path: Path, log=print) -> bool:
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        log("matplotlib not installed: no plot (./dev bench installs it)")
        return False
    S = results["scenarios"]
    figure, (left, right) = plt.subplots(1, 2, figsize=(14, 5.5), gridspec_kw={"width_ratios": [3, 2]})
    width = 0.8 / len(SERVERS)
    colors = {"quiver": "#1f77b4", "pyarrow": "#ff7f0e", "stock_java": "#7f7f7f"}
    for axis, metric, ylabel in ((left, "median", "GB/s (median, min–max)"),
                                 (right, "cpu_s_per_gb", "server CPU seconds per GB")):
        for i, (server, label) in enumerate(SERVERS):
            xs, ys, low, high = [], [], [], []
            for x, (key, _) in enumerate(THROUGHPUT_SCENARIOS):
                value = S[key]["servers"].get(server)
                if isinstance(value, dict) and value.get(metric) is not None:
                    xs.append(x + (i - (len(SERVERS) - 1) / 2) * width)
                    ys.append(value[metric])
                    low.append(value[metric] - value["min"] if metric == "median" else 0)
                    high.append(value["max"] - value[metric] if metric == "median" else 0)
                elif isinstance(value, str) and metric == "median":
                    axis.text(x + (i - (len(SERVERS) - 1) / 2) * width, 0, value, rotation=90,
                              ha="center", va="bottom", fontsize=7)
            axis.bar(xs, ys, width, label=label, color=colors[server],
                     yerr=[low, high] if metric == "median" else None, capsize=2)
        axis.set_xticks(range(len(THROUGHPUT_SCENARIOS)))
        axis.set_xticklabels([title.replace(", ", ",\n").replace(" (", "\n(")
                              for _, title in THROUGHPUT_SCENARIOS], fontsize=7)
        axis.set_ylabel(ylabel)
        axis.grid(axis="y", alpha=0.3)
    loopback = S["loopback"]["gbps"]
    if not isinstance(loopback, str):
        left.axhline(loopback, color="black", linestyle="--", linewidth=1,
                     label=f"loopback TCP, iperf3 ({loopback:.2f} GB/s)")
    left.legend(fontsize=8)
    left.set_title("Throughput")
    right.set_title("Server CPU per GB served (lower is better)")
    meta = results["meta"]
    size = f"{meta['size_gb']:.2f} GB" if meta["size_gb"] >= 0.1 else f"{meta['size_gb'] * 1e3:.1f} MB"
    figure.suptitle(f"Quiver benchmarks: {size} dataset, {meta['nproc']} CPUs"
                    f" ({meta['cpu_model']}), pyarrow {meta['pyarrow']}"
                    + (" — SMOKE RUN" if meta["smoke"] else ""), fontsize=10)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return True


def main(argv=None) -> int:
    """Rewrites README.md and throughput.png next to a results.json (after editing this file)."""
    import argparse
    import json
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("results", type=Path, help="a results.json written by harness.py")
    parser.add_argument("--no-plot", action="store_true")
    args = parser.parse_args(argv)
    results = json.loads(args.results.read_text())
    out = args.results.parent
    plotted = (out / "throughput.png").exists() if args.no_plot else plot(results, out / "throughput.png")
    (out / "README.md").write_text(readme(results, plotted))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
