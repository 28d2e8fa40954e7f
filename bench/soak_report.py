"""The soak's results: figures from the samples, the verdicts (no errors, every upload verified,
memory bounded), and the report (JSON, Markdown, and a plot of memory over time)."""

from __future__ import annotations

import json
import re
import statistics
from pathlib import Path

MiB = 1 << 20
GB = 1e9


def _mb(value) -> float | None:
    return None if value is None else round(value / MiB, 1)


def _marked(samples: list[dict], mark: str) -> dict | None:
    return next((s for s in samples if s.get("mark") == mark), None)


def throughput_series(samples: list[dict]) -> list[dict]:
    """Per-interval GB/s read and MB/s uploaded, between consecutive samples."""
    series = []
    for before, after in zip(samples, samples[1:]):
        seconds = after["t_s"] - before["t_s"]
        if seconds <= 0:
            continue
        series.append({
            "t_s": after["t_s"],
            "read_gbps": (after.get("stream_bytes", 0) - before.get("stream_bytes", 0)) / seconds / GB,
            "upload_mbps": (after.get("upload_bytes", 0) - before.get("upload_bytes", 0)) / seconds / 1e6,
        })
    return series


def slope_mib_per_min(points: list[tuple[float, float]]) -> float | None:
    """Least-squares slope of (seconds, bytes) in MiB per minute."""
    if len(points) < 3:
        return None
    mean_t = statistics.fmean(t for t, _ in points)
    mean_v = statistics.fmean(v for _, v in points)
    variance = sum((t - mean_t) ** 2 for t, _ in points)
    if variance == 0:
        return None
    slope = sum((t - mean_t) * (v - mean_v) for t, v in points) / variance
    return slope * 60 / MiB


def memory_summary(samples: list[dict], load_end_s: float) -> dict:
    """The marks (idle at start, after warm-up, idle at the end), peaks during the measured load,
    and the RssAnon trend over its second half."""
    warm = _marked(samples, "warmed_up")
    under_load = [s for s in samples if warm and warm["t_s"] <= s["t_s"] <= load_end_s and "mark" not in s]
    second_half = [s for s in under_load if s["t_s"] >= (warm["t_s"] + load_end_s) / 2] if warm else []

    def marks(key):
        return {mark: (_marked(samples, mark) or {}).get(key) for mark in ("idle_start", "warmed_up", "idle_end")}

    def peak(key):
        values = [s[key] for s in under_load if s.get(key) is not None]
        return max(values) if values else None

    return {
        "rss_anon_bytes": marks("rss_anon_bytes"),
        "rss_anon_peak_under_load_bytes": peak("rss_anon_bytes"),
        "rss_anon_end_untrimmed_bytes": (_marked(samples, "idle_end_untrimmed") or {}).get("rss_anon_bytes"),
        "rss_anon_slope_second_half_mib_per_min": slope_mib_per_min(
            [(s["t_s"], s["rss_anon_bytes"]) for s in second_half]),
        "heap_used_bytes": marks("heap_used_bytes"),
        "heap_used_peak_under_load_bytes": peak("heap_used_bytes"),
        "heap_max_bytes": (warm or {}).get("heap_max_bytes"),
        "allocator_bytes": marks("allocator_bytes"),
        "allocator_peak_under_load_bytes": peak("allocator_bytes"),
        "allocator_peak_bytes_lifetime": (_marked(samples, "idle_end") or {}).get("allocator_peak_bytes"),
        "fds": marks("fds"),
        "fds_peak_under_load": peak("fds"),
        "threads": marks("threads"),
        "threads_peak_under_load": peak("threads"),
        "mapped_files": marks("mapped_files"),
        "mapped_files_peak_under_load": peak("mapped_files"),
        "doget_streams_active_peak": peak("doget_streams_active"),
        "streams_in_flight_peak": peak("streams_in_flight"),
        "streams_in_flight_mean": (statistics.fmean(s.get("streams_in_flight", 0) for s in under_load)
                                   if under_load else None),
    }


NMT_CATEGORY = re.compile(r"^-\s+(.+?) \(reserved=(\d+)KB(?: ([+-]\d+)KB)?, committed=(\d+)KB(?: ([+-]\d+)KB)?\)")


def native_memory(diff: str | None) -> dict:
    """`jcmd VM.native_memory summary.diff scale=KB`, as committed KiB per JVM category and the change
    since the baseline taken after warm-up."""
    if not diff:
        return {"available": False}
    categories = []
    for line in diff.splitlines():
        if m := NMT_CATEGORY.match(line.strip()):
            categories.append({"category": m.group(1).strip(), "committed_kib": int(m.group(4)),
                               "committed_change_kib": int(m.group(5) or 0)})
    total = re.search(r"Total: reserved=\d+KB(?: [+-]\d+KB)?, committed=(\d+)KB(?: ([+-]\d+)KB)?", diff)
    return {"available": True, "categories": categories,
            "total_committed_kib": int(total.group(1)) if total else None,
            "total_committed_change_kib": int(total.group(2) or 0) if total else None,
            "diff": diff}


def evaluate(results: dict, limits: dict) -> list[dict]:
    """The verdicts: each has an id, what it checks, the value seen, and pass (None: not judged)."""
    totals = results["totals"]
    memory = results["memory"]
    verdicts = []

    def verdict(ident, description, value, passed):
        verdicts.append({"id": ident, "description": description, "value": value, "pass": passed})

    verdict("errors", "no call failed and no check failed (RESOURCE_EXHAUSTED counts)", results["errors"]["count"],
            results["errors"]["count"] == 0)
    names, verified = totals.get("upload_names", 0), totals.get("upload_names_verified", 0)
    verdict("uploads_verified", "every uploaded dataset was read back equal, described and deleted",
            f"{verified} of {names}", names > 0 and verified == names)
    verdict("slow_readers", "slow readers completed streams (flow control was exercised)",
            totals.get("streams_slow", 0), totals.get("streams_slow", 0) > 0)
    rss = memory["rss_anon_bytes"]
    bound = rss["warmed_up"] + limits["rss_growth_bytes"] if rss["warmed_up"] is not None else None
    worst = max(v for v in (memory["rss_anon_peak_under_load_bytes"], rss["idle_end"]) if v is not None)
    verdict("rss_bounded", f"RssAnon under load and at the end <= after warm-up + {_mb(limits['rss_growth_bytes'])} MiB",
            f"{_mb(worst)} MiB (bound {_mb(bound)} MiB)", bound is not None and worst <= bound)
    heap = memory["heap_used_bytes"]
    if results["gc_marks"] and heap["warmed_up"] is not None and heap["idle_end"] is not None:
        heap_bound = heap["warmed_up"] + limits["heap_growth_bytes"]
        verdict("heap_bounded", "live heap (after a GC) at the end <= after warm-up"
                f" + {_mb(limits['heap_growth_bytes'])} MiB",
                f"{_mb(heap['idle_end'])} MiB (bound {_mb(heap_bound)} MiB)", heap["idle_end"] <= heap_bound)
    else:
        verdict("heap_bounded", "live heap after a GC (needs jcmd)", "unavailable", None)
    fds = memory["fds"]
    fd_bound = fds["idle_start"] + limits["fd_margin"]
    verdict("fds_released", f"open fds at the end <= idle start + {limits['fd_margin']}",
            f"{fds['idle_end']} (start {fds['idle_start']})", fds["idle_end"] is not None and fds["idle_end"] <= fd_bound)
    allocator = memory["allocator_bytes"]["idle_end"]
    verdict("allocator_released", "Arrow allocator holds 0 bytes at the end", allocator, allocator == 0)
    mapped = memory["mapped_files"]["idle_end"]
    served = len(results["datasets"])
    verdict("mappings_released", "files mapped at the end <= the datasets served (every upload was deleted)",
            f"{mapped} (served {served})", mapped is not None and mapped <= served)
    verdict("streams_drained", "no DoGet stream and no queued body byte left at the end",
            results["drained"], results["drained"])
    log = results["server_log"]
    verdict("server_log_clean", "no ERROR line in the server log", log["error_lines"], log["error_lines"] == 0)
    verdict("clean_exit", "the server exits 0 on SIGTERM at the end", results["server_exit_code"],
            results["server_exit_code"] == 0)
    return verdicts


def to_json(results: dict) -> str:
    """Indented JSON, except that each per-second sample (and throughput point) takes one line."""
    placeholders = {"samples": "\"@samples@\"", "series": "\"@series@\""}
    shallow = {**results, "samples": "@samples@",
               "throughput": {**results["throughput"], "series": "@series@"}}
    text = json.dumps(shallow, indent=1)
    for key, values in (("samples", results["samples"]), ("series", results["throughput"]["series"])):
        lines = ",\n".join("  " + json.dumps(v) for v in values)
        text = text.replace(placeholders[key], "[\n" + lines + "\n ]")
    return text + "\n"


def passed(verdicts: list[dict]) -> bool:
    return all(v["pass"] is not False for v in verdicts)


# ------------------------------------------------------------------------------------------------
# Markdown
# ------------------------------------------------------------------------------------------------

def _fmt(value, spec="{:,.1f}") -> str:
    if value is None:
        return "–"
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return spec.format(value)
    return str(value)


def _timeline(samples: list[dict], rows: int = 12) -> list[dict]:
    """About `rows` samples spread over the run, plus every mark."""
    plain = [s for s in samples if "mark" not in s]
    step = max(1, len(plain) // rows)
    picked = plain[::step]
    if plain and plain[-1] not in picked:
        picked.append(plain[-1])
    return sorted(picked + [s for s in samples if "mark" in s], key=lambda s: s["t_s"])


def markdown(results: dict, plotted: bool) -> str:
    meta, totals, memory, config = results["meta"], results["totals"], results["memory"], results["config"]
    tp = results["throughput"]
    lines = [
        "# Load and soak",
        "",
        f"Generated by `{meta['command']}` (bench/soak.py) on {meta['started']}; do not edit by hand.",
        "",
        f"One Quiver server on loopback served **{config['readers']} concurrent DoGet streams**"
        f" ({config['slow_readers']} of them slow readers that sleep {config['slow_delay_s']} s between batches)"
        f" while **{config['uploaders']} upload workers** created, appended to and overwrote datasets and a"
        f" verifier read every upload back, for **{config['duration_s']:g} s** (the first {config['warmup_s']:g} s"
        " are warm-up). The server's memory was sampled every"
        f" {config['sample_interval_s']:g} s.",
        "",
        "## Verdicts",
        "",
        "| check | value | result |",
        "|---|---|---|",
    ]
    for v in results["verdicts"]:
        outcome = {True: "pass", False: "**FAIL**", None: "not judged"}[v["pass"]]
        lines.append(f"| {v['description']} | {v['value']} | {outcome} |")
    lines += [
        "",
        "## Throughput and work done",
        "",
        "| figure | value |",
        "|---|---|",
        f"| DoGet streams completed | {totals.get('streams', 0):,} ({totals.get('streams_slow', 0):,} by slow readers) |",
        f"| streams abandoned part-way by the client (cancel) | {totals.get('streams_abandoned', 0):,} |",
        f"| streams cut at the end of the run | {totals.get('streams_stopped', 0):,} |",
        f"| data read | {totals.get('stream_bytes', 0) / GB:,.2f} GB in {totals.get('stream_rows', 0):,} rows |",
        f"| read throughput, whole run | {_fmt(tp['read_gbps_overall'], '{:.3f}')} GB/s |",
        f"| read throughput per {config['sample_interval_s']:g} s after warm-up: median (min – max) |"
        f" {_fmt(tp['read_gbps_median'], '{:.3f}')} ({_fmt(tp['read_gbps_min'], '{:.3f}')} –"
        f" {_fmt(tp['read_gbps_max'], '{:.3f}')}) GB/s |",
        f"| streams per second | {_fmt(tp['streams_per_s'], '{:.1f}')} |",
        f"| uploads (DoPut calls), all acknowledgements checked | {totals.get('uploads', 0):,}"
        f" ({totals.get('upload_bytes', 0) / 1e6:,.1f} MB, {_fmt(tp['upload_mbps_overall'], '{:.1f}')} MB/s) |",
        f"| uploaded datasets read back equal, described, deleted | {totals.get('upload_names_verified', 0):,}"
        f" of {totals.get('upload_names', 0):,} |",
        f"| errors | {results['errors']['count']} |",
        "",
        "Streams by request:",
        "",
        "| request | streams |",
        "|---|---|",
    ]
    for key in sorted(k for k in totals if k.startswith("streams_") and k[8:] in results["request_kinds"]):
        lines.append(f"| {key[8:]} | {totals[key]:,} |")
    lines += [
        "",
        "Calls as the server's access log recorded them (method: status count):",
        "",
        "| method | statuses |",
        "|---|---|",
    ]
    for method, statuses in sorted(results["server_log"]["calls"].items()):
        lines.append(f"| {method} | {', '.join(f'{code} {n:,}' for code, n in sorted(statuses.items()))} |")
    lines.append("")
    lines.append("CANCELLED calls are the streams the readers abandoned or cut at the end on purpose.")
    log = results["server_log"]
    lines += ["", f"The server log has {log['error_lines']} ERROR and {log['warn_lines']} WARN lines."]
    if log.get("by_message"):
        lines += ["", "| level, logger and message | lines |", "|---|---|"]
        for text, count in log["by_message"].items():
            lines.append(f"| `{text.replace('|', '/').replace('`', '')}` | {count} |")
        if any("NettyServerHandler - Stream Error" in text for text in log["by_message"]):
            lines += ["", "gRPC's Netty transport logs \"Stream Error\" (with a stack trace, \"Stream closed before write"
                      " could take place\") when a client resets a stream the server is still writing to: here, the"
                      " streams the readers cancel on purpose."]
    if results["errors"]["count"]:
        lines += ["", "## Errors", "", "| at (s) | worker | operation | kind | message |", "|---|---|---|---|---|"]
        for e in results["errors"]["first"]:
            lines.append(f"| {e['at_s']} | {e['worker']} | {e['operation']} | {e['kind']} |"
                         f" {e['message'].replace('|', '/')} |")
    rss, heap, alloc, fds, thr = (memory["rss_anon_bytes"], memory["heap_used_bytes"], memory["allocator_bytes"],
                                  memory["fds"], memory["threads"])
    lines += [
        "",
        "## Server memory",
        "",
        f"JVM options: `{' '.join(config['jvm_options'])}`; the heap is committed and touched at start-up"
        " (AlwaysPreTouch), so RssAnon growth after warm-up is memory outside the heap (direct buffers,"
        " metaspace, code, thread stacks) and a leak there would show; the heap itself is judged by its"
        " live size after a full GC (`jcmd GC.run`). Both marks are also taken after"
        " `jcmd System.trim_native_heap`, which hands memory the JVM freed back from glibc's malloc arenas"
        f" to the system: at the end, RssAnon was {_fmt(_mb(memory['rss_anon_end_untrimmed_bytes']))} MiB before"
        f" the trim and {_fmt(_mb(rss['idle_end']))} MiB after it.",
        "",
        "| | idle at start | after warm-up (GC, trim) | peak under load | idle at end (GC, trim) |",
        "|---|---|---|---|---|",
        f"| RssAnon (MiB) | {_fmt(_mb(rss['idle_start']))} | {_fmt(_mb(rss['warmed_up']))} |"
        f" {_fmt(_mb(memory['rss_anon_peak_under_load_bytes']))} | {_fmt(_mb(rss['idle_end']))} |",
        f"| heap used (MiB) | {_fmt(_mb(heap['idle_start']))} | {_fmt(_mb(heap['warmed_up']))} |"
        f" {_fmt(_mb(memory['heap_used_peak_under_load_bytes']))} | {_fmt(_mb(heap['idle_end']))} |",
        f"| Arrow allocator (bytes) | {_fmt(alloc['idle_start'], '{:,}')} | {_fmt(alloc['warmed_up'], '{:,}')} |"
        f" {_fmt(memory['allocator_peak_under_load_bytes'], '{:,}')} | {_fmt(alloc['idle_end'], '{:,}')} |",
        f"| open fds | {_fmt(fds['idle_start'], '{:,}')} | {_fmt(fds['warmed_up'], '{:,}')} |"
        f" {_fmt(memory['fds_peak_under_load'], '{:,}')} | {_fmt(fds['idle_end'], '{:,}')} |",
        f"| threads | {_fmt(thr['idle_start'], '{:,}')} | {_fmt(thr['warmed_up'], '{:,}')} |"
        f" {_fmt(memory['threads_peak_under_load'], '{:,}')} | {_fmt(thr['idle_end'], '{:,}')} |",
        "",
        f"RssAnon trend over the second half of the load: {_fmt(memory['rss_anon_slope_second_half_mib_per_min'], '{:+.2f}')}"
        f" MiB/min. Heap max {_fmt(_mb(memory['heap_max_bytes']))} MiB. DoGet streams the clients had open:"
        f" {_fmt(memory['streams_in_flight_mean'])} on average, {_fmt(memory['streams_in_flight_peak'], '{:,}')} at most;"
        f" the server's count (`doget_streams_active`, which drops once a stream's last message is queued) peaked at"
        f" {_fmt(memory['doget_streams_active_peak'], '{:,}')}. Most files mapped at once:"
        f" {_fmt(memory['mapped_files_peak_under_load'], '{:,}')}.",
        "",
        "Over time:",
        "",
        "| t (s) | RssAnon (MiB) | heap used (MiB) | allocator (MiB) | fds | threads | streams open (clients / server) | read GB/s | mark |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    rates = {round(p["t_s"], 3): p["read_gbps"] for p in results["throughput"]["series"]}
    for s in _timeline(results["samples"]):
        lines.append(
            f"| {s['t_s']:.0f} | {_fmt(_mb(s['rss_anon_bytes']))} | {_fmt(_mb(s.get('heap_used_bytes')))} |"
            f" {_fmt(_mb(s.get('allocator_bytes')), '{:,.2f}')} | {s['fds']} | {s['threads']} |"
            f" {s.get('streams_in_flight', 0)} / {_fmt(s.get('doget_streams_active'), '{:,}')} |"
            f" {_fmt(rates.get(round(s['t_s'], 3)), '{:.3f}')} |"
            f" {s.get('mark', '')} |")
    if plotted:
        lines += ["", f"![server memory and throughput over time]({results['plot_name']})"]
    nmt = results.get("native_memory")
    if nmt and nmt.get("available"):
        lines += [
            "",
            "Native Memory Tracking (`--native-memory`): what the JVM had committed at the end, and the change"
            f" since the baseline taken after warm-up; total {_fmt(nmt['total_committed_kib'] / 1024)} MiB,"
            f" {_fmt(nmt['total_committed_change_kib'] / 1024, '{:+,.1f}')} MiB. (Memory that native libraries"
            " allocate with malloc outside the JVM is not in it.)",
            "",
            "| category | committed (MiB) | change since warm-up (MiB) |",
            "|---|---|---|",
        ]
        changes = {c["category"]: c["committed_change_kib"] for c in nmt["categories"]}
        jit = sum(changes.get(k, 0) for k in ("Code", "Compiler", "Arena Chunk"))
        rss = memory["rss_anon_bytes"]
        if rss["warmed_up"] is not None and rss["idle_end"] is not None:
            rss_change = (rss["idle_end"] - rss["warmed_up"]) / 1024  # KiB, as NMT counts
            tracked = nmt["total_committed_change_kib"] or 0
            lines[-3:-3] = [
                "",
                f"From the warm-up mark to the end (both after a GC and a trim) RssAnon changed by"
                f" {rss_change / 1024:+,.1f} MiB and what the JVM tracks by {tracked / 1024:+,.1f} MiB, of which"
                f" {jit / 1024:+,.1f} MiB is the JIT compiler (Code, Compiler, Arena Chunk: compiled code and"
                f" the compiler's scratch arenas) and {changes.get('Other', 0) / 1024:+,.1f} MiB is Other"
                " (direct buffers: Netty's and the Arrow allocator's). The remaining"
                f" {(rss_change - tracked) / 1024:+,.1f} MiB is memory the JVM does not track: native libraries'"
                " own allocations, and malloc fragmentation the trim cannot hand back.",
            ]
        for c in sorted(nmt["categories"], key=lambda c: -abs(c["committed_change_kib"])):
            if c["committed_kib"] >= 1024 or abs(c["committed_change_kib"]) >= 256:
                lines.append(f"| {c['category']} | {c['committed_kib'] / 1024:,.1f} |"
                             f" {c['committed_change_kib'] / 1024:+,.1f} |")
    lines += [
        "",
        "## Configuration",
        "",
        "| setting | value |",
        "|---|---|",
    ]
    for key in ("duration_s", "warmup_s", "readers", "slow_readers", "slow_delay_s", "cancel_probability",
                "uploaders", "upload_batch_rows", "max_streams", "max_uploads", "endpoint_size", "sample_interval_s"):
        lines.append(f"| {key} | {config[key]} |")
    datasets = ", ".join(f"`{name}` {d['batches']} batches / {d['rows']:,} rows" for name, d in
                         results["datasets"].items() if not name.startswith("small/"))
    lines += [
        "",
        f"Datasets served: {datasets}, and `small/0`..`small/7` (one batch each). Upload cycle per name:"
        " create 2 batches, append 1, overwrite 3 (zstd on every other name), append 1.",
        "",
        "## Machine",
        "",
        f"{meta['nproc']} CPUs ({meta['cpu_model']}), {meta['memory_gb']} GB RAM, {meta['os']}, kernel {meta['kernel']};"
        f" {meta['jdk']}; Python {meta['python']}, pyarrow {meta['pyarrow']}; commit {meta['commit']}.",
        "",
        f"Load average (1, 5, 15 min) before the run: {meta['loadavg_start']}; after: {meta['loadavg_end']}."
        " The client (one Python process, all readers and uploaders) runs on the same CPUs as the server,"
        " and other work on the machine shares them too: throughput here is a floor for this machine,"
        " not a property of the server. The verdicts do not depend on it.",
        "",
    ]
    return "\n".join(lines)


# ------------------------------------------------------------------------------------------------
# Plot
# ------------------------------------------------------------------------------------------------

def plot(results: dict, path: Path, log) -> bool:
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        log("matplotlib not installed: no plot (./dev soak installs it)")
        return False
    samples = [s for s in results["samples"] if "mark" not in s]
    t = [s["t_s"] for s in samples]
    figure, axes = plt.subplots(3, 1, figsize=(9, 9), sharex=True)
    memory_axis, count_axis, rate_axis = axes
    memory_axis.plot(t, [s["rss_anon_bytes"] / MiB for s in samples], label="RssAnon")
    memory_axis.plot(t, [(s.get("heap_used_bytes") or 0) / MiB for s in samples], label="heap used")
    memory_axis.plot(t, [(s.get("allocator_bytes") or 0) / MiB for s in samples], label="Arrow allocator")
    memory_axis.set_ylabel("MiB")
    memory_axis.set_ylim(bottom=0)
    memory_axis.legend(loc="lower right")
    count_axis.plot(t, [s["fds"] for s in samples], label="open fds")
    count_axis.plot(t, [s["threads"] for s in samples], label="threads")
    count_axis.plot(t, [s.get("streams_in_flight", 0) for s in samples], label="DoGet streams open (clients)")
    count_axis.plot(t, [s.get("doget_streams_active") or 0 for s in samples], label="DoGet streams open (server)")
    count_axis.set_ylim(bottom=0)
    count_axis.legend(loc="lower right")
    series = results["throughput"]["series"]
    rate_axis.plot([p["t_s"] for p in series], [p["read_gbps"] for p in series], label="read GB/s")
    rate_axis.plot([p["t_s"] for p in series], [p["upload_mbps"] / 1e3 for p in series], label="upload GB/s")
    rate_axis.set_ylabel("GB/s")
    rate_axis.set_xlabel("seconds since the load started")
    rate_axis.set_ylim(bottom=0)
    rate_axis.legend(loc="lower right")
    warm = _marked(results["samples"], "warmed_up")
    for axis in axes:
        if warm:
            axis.axvline(warm["t_s"], color="grey", linestyle=":", linewidth=1)
        axis.grid(alpha=0.3)
    memory_axis.set_title("Quiver under load: memory, descriptors, throughput (dotted: end of warm-up)")
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return True
