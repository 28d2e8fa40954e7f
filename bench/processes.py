"""Server processes for the benchmark: starting them on a free loopback port, reading their CPU time
and anonymous memory from /proc, and stopping them."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Sequence

START_TIMEOUT_SECONDS = 90
STOP_TIMEOUT_SECONDS = 15
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


class BenchError(RuntimeError):
    """The benchmark cannot go on (a server would not start, a stream returned the wrong rows...)."""


def _die_with_parent() -> None:
    """In the child before exec: Linux sends it SIGTERM if the harness dies, so no server outlives it."""
    try:
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except Exception:  # noqa: BLE001 - best effort
        pass


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process, from /proc/PID/stat (all its threads)."""
    with open(f"/proc/{pid}/stat", "rb") as f:
        text = f.read().decode()
    # The command name (field 2) may contain spaces and parentheses: split after the last ')'.
    fields = text[text.rindex(")") + 2:].split()
    utime, stime = int(fields[11]), int(fields[12])  # fields 14 and 15 of the full line
    return (utime + stime) / CLOCK_TICKS


def rss_anon_bytes(pid: int) -> int:
    """RssAnon of /proc/PID/status: resident anonymous memory (heap, stacks, direct buffers; not
    file mappings)."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("RssAnon:"):
                return int(line.split()[1]) * 1024
    raise BenchError(f"no RssAnon in /proc/{pid}/status")


class RssSampler:
    """Samples a process's RssAnon every `interval` seconds on a thread, keeping the peak."""

    def __init__(self, pid: int, interval: float = 0.01):
        self.pid = pid
        self.interval = interval
        self.peak = 0
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"rss-{pid}", daemon=True)

    def _run(self) -> None:
        while True:
            try:
                self.peak = max(self.peak, rss_anon_bytes(self.pid))
                self.samples += 1
            except (OSError, BenchError):
                return
            if self._stop.wait(self.interval):
                return

    def __enter__(self) -> "RssSampler":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        try:  # one last sample after the transfer
            self.peak = max(self.peak, rss_anon_bytes(self.pid))
        except (OSError, BenchError):
            pass


class ServerProcess:
    """One server process listening on 127.0.0.1 on a port it picked and wrote to a port file."""

    def __init__(self, key: str, label: str, command: Sequence[str], work_dir: Path, data_dir: Path):
        self.key = key
        self.label = label
        self.command = list(command)
        self.work_dir = work_dir
        self.data_dir = data_dir
        self.port_file = work_dir / "port"
        self.log_file = work_dir / "server.log"
        self.process: subprocess.Popen | None = None
        self.port: int | None = None

    @property
    def location(self) -> str:
        return f"grpc://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def start(self) -> "ServerProcess":
        """Spawns the process; `wait_ready` waits for its port."""
        self.work_dir.mkdir(parents=True, exist_ok=True)
        self.port_file.unlink(missing_ok=True)
        with open(self.log_file, "wb") as log:
            self.process = subprocess.Popen(
                self.command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None)
        return self

    def wait_ready(self) -> "ServerProcess":
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise BenchError(f"{self.label} exited with code {self.process.returncode} before listening;"
                                 f" command: {' '.join(self.command)}\n--- log ---\n{self.log_tail()}")
            text = self.port_file.read_text().strip() if self.port_file.exists() else ""
            if text:
                self.port = int(text)
                return self
            time.sleep(0.05)
        self.stop()
        raise BenchError(f"{self.label} did not write {self.port_file} within {START_TIMEOUT_SECONDS} s;"
                         f" command: {' '.join(self.command)}\n--- log ---\n{self.log_tail()}")

    def cpu_seconds(self) -> float:
        return cpu_seconds(self.pid)

    def rss_anon_bytes(self) -> int:
        return rss_anon_bytes(self.pid)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=STOP_TIMEOUT_SECONDS)

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-lines:])
        except FileNotFoundError:
            return "(no log)"
