"""The load and soak driver (bench/soak.py) in its short form against the packaged server jar: about
25 s of 12 concurrent DoGet readers (4 of them slow) and 2 upload workers whose every upload is read
back and compared. Asserts what must hold at any speed: no errors, every upload verified, memory
and descriptors bounded and released. No figure of throughput is asserted (the machine is shared).
"""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest

from quiver_support import REPO_ROOT, java_executable, server_jar

SOAK = REPO_ROOT / "bench" / "soak.py"
SOAK_TIMEOUT_SECONDS = 240
MiB = 1 << 20


@pytest.fixture(scope="module")
def soak_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("soak-out")
    work = tmp_path_factory.mktemp("soak-work")
    command = [sys.executable, str(SOAK), "--quick", "--no-plot", "--out", str(out), "--work", str(work),
               "--java", java_executable(), "--server-jar", str(server_jar())]
    started = time.monotonic()
    completed = subprocess.run(command, capture_output=True, text=True, timeout=SOAK_TIMEOUT_SECONDS,
                               stdin=subprocess.DEVNULL)
    elapsed = time.monotonic() - started
    results_file = out / "load.json"
    results = json.loads(results_file.read_text()) if results_file.exists() else None
    return completed, results, out, elapsed


def _explain(completed, results) -> str:
    failed = [v for v in (results or {}).get("verdicts", []) if v["pass"] is False]
    errors = (results or {}).get("errors", {}).get("first", [])[:10]
    return (f"exit {completed.returncode}; failed verdicts {failed}; first errors {errors}"
            f"\n--- stderr (tail) ---\n{completed.stderr[-4000:]}")


def test_the_soak_passes_every_verdict(soak_run):
    completed, results, _, elapsed = soak_run
    assert results is not None, _explain(completed, results)
    assert completed.returncode == 0, _explain(completed, results)
    assert all(v["pass"] is not False for v in results["verdicts"]), _explain(completed, results)
    print(f"soak --quick took {elapsed:.0f} s")


def test_no_errors_and_every_upload_verified(soak_run):
    completed, results, _, _ = soak_run
    totals = results["totals"]
    assert results["errors"]["count"] == 0, _explain(completed, results)
    assert totals["upload_names"] > 0 and totals["upload_names_verified"] == totals["upload_names"], totals
    assert totals["uploads"] >= 4 * totals["upload_names"], totals  # create, append, overwrite, append
    # The load included what it is meant to: slow readers' streams, abandoned streams, every request kind.
    assert totals.get("streams_slow", 0) > 0, totals
    for kind in results["request_kinds"]:
        assert totals.get(f"streams_{kind}", 0) > 0, (kind, totals)
    calls = results["server_log"]["calls"]
    assert set(calls["DoPut"]) == {"OK"}, calls
    assert set(calls["DoGet"]) <= {"OK", "CANCELLED"}, calls  # cancelled: abandoned on purpose


def test_memory_and_descriptors_are_bounded_and_released(soak_run):
    _, results, _, _ = soak_run
    memory = results["memory"]
    rss = memory["rss_anon_bytes"]
    # Generous bounds (the test must not flake on a busy machine), still far below what a leak of
    # the data served (GBs over the run) would take.
    assert memory["rss_anon_peak_under_load_bytes"] <= rss["warmed_up"] + 128 * MiB, memory
    assert rss["idle_end"] <= rss["warmed_up"] + 128 * MiB, memory
    assert memory["allocator_bytes"]["idle_end"] == 0, memory
    assert memory["fds"]["idle_end"] <= memory["fds"]["idle_start"] + 16, memory
    assert results["drained"] is True
    # Mapped files of deleted uploads are let go: the mappings left are the served datasets'.
    final = [s for s in results["samples"] if s.get("mark") == "idle_end"][0]
    assert final["mapped_files"] <= len(results["datasets"]), final
    assert results["server_exit_code"] == 0


def test_the_report_is_written(soak_run):
    _, results, out, _ = soak_run
    text = (out / "load.md").read_text()
    for heading in ("## Verdicts", "## Throughput and work done", "## Server memory", "## Machine"):
        assert heading in text
    assert "--quick" in text
    assert len([s for s in results["samples"] if "mark" not in s]) >= 10  # sampled every second
    assert not (out / "load.png").exists()  # --no-plot
