"""The soak's threads, each with its own pyarrow.flight connection:

- `Reader`: DoGet after DoGet of random requests (soak_data.RequestMix), checking every stream's
  row count (and, where the dataset's `id` counts, every batch's position). A slow reader sleeps
  between read_chunk calls, so the server must hold its stream paused under flow control; a fast one
  sometimes abandons a stream part-way (cancel), which the server must clean up after.
- `Uploader`: for one name after another: create, append, overwrite (zstd every other name),
  append; every acknowledgement is checked; the name is then handed to the verifier.
- `Verifier`: reads each handed-over dataset back, compares it with what was uploaded, checks
  `describe`, and deletes it (so the data directory stays the same size).
- `Sampler`: every interval, the server's RssAnon, open file descriptors, threads and CPU time from
  /proc, and its `stats` action (allocator, heap, mapped files, streams).

Every failure (an exception from pyarrow, or a check that fails) is recorded in the `Tally` as an
error; RESOURCE_EXHAUSTED (a refused stream or upload) is an error like any other.
"""

from __future__ import annotations

import collections
import json
import os
import queue
import random
import threading
import time
from dataclasses import asdict, dataclass

import pyarrow as pa
import pyarrow.flight as flight

import soak_data
from processes import BenchError, cpu_seconds, rss_anon_bytes

CALL_TIMEOUT_SECONDS = 120
SAMPLE_TIMEOUT_SECONDS = 10
# After a failed call a worker pauses this long, so a persistent failure is not a hot loop.
ERROR_PAUSE_SECONDS = 0.2
MAX_RECORDED_ERRORS = 200


class SoakCheckFailed(BenchError):
    """What the server returned is not what it should have (rows, content, acknowledgements)."""


@dataclass
class ErrorRecord:
    at_s: float
    worker: str
    operation: str
    kind: str
    message: str


class Tally:
    """Counters every worker adds to, and the errors they met."""

    def __init__(self, started: float):
        self.started = started
        self._lock = threading.Lock()
        self._counts: collections.Counter = collections.Counter()
        self.error_count = 0
        self.errors_by_kind: collections.Counter = collections.Counter()
        self.errors: list[ErrorRecord] = []

    def add(self, **amounts: int) -> None:
        with self._lock:
            self._counts.update(amounts)

    def error(self, worker: str, operation: str, error: BaseException) -> None:
        message = str(error).strip().splitlines()[0][:300] if str(error).strip() else repr(error)
        kind = type(error).__name__
        with self._lock:
            self.error_count += 1
            self.errors_by_kind[kind] += 1
            if len(self.errors) < MAX_RECORDED_ERRORS:
                self.errors.append(ErrorRecord(round(time.monotonic() - self.started, 2), worker, operation,
                                               kind, message))

    def snapshot(self) -> dict:
        with self._lock:
            counts = dict(self._counts)
            counts["errors"] = self.error_count
            return counts

    def error_report(self) -> dict:
        with self._lock:
            return {"count": self.error_count, "by_kind": dict(self.errors_by_kind),
                    "first": [asdict(e) for e in self.errors]}


def call_options(timeout: float = CALL_TIMEOUT_SECONDS) -> flight.FlightCallOptions:
    return flight.FlightCallOptions(timeout=timeout)


# ------------------------------------------------------------------------------------------------
# Readers
# ------------------------------------------------------------------------------------------------

class Reader(threading.Thread):
    """One client reading stream after stream until `stop` is set."""

    def __init__(self, index: int, location: str, mix: soak_data.RequestMix, tally: Tally, stop: threading.Event,
                 *, slow_delay: float, cancel_probability: float, seed: int):
        super().__init__(name=f"{'slow' if slow_delay else 'fast'}-reader-{index}", daemon=True)
        self.location = location
        self.mix = mix
        self.tally = tally
        self.stop = stop
        self.slow_delay = slow_delay
        self.cancel_probability = cancel_probability
        self.rng = random.Random(seed)

    def run(self) -> None:
        client = flight.connect(self.location)
        try:
            while not self.stop.is_set():
                kind = self.mix.draw(self.rng)
                try:
                    request = self._endpoint_request(client) if kind == "endpoint" else self.mix.request(kind, self.rng)
                    self._read(client, request)
                except Exception as error:  # noqa: BLE001 - every failure is counted
                    self.tally.error(self.name, kind, error)
                    self.stop.wait(ERROR_PAUSE_SECONDS)
        finally:
            client.close()

    def _endpoint_request(self, client: flight.FlightClient) -> soak_data.ReadRequest:
        """GetFlightInfo of `big`, then one of its endpoints, as a parallel Flight client does."""
        big = self.mix.facts["big"]
        info = client.get_flight_info(flight.FlightDescriptor.for_path("big"), options=call_options())
        if info.total_records != big.rows:
            raise SoakCheckFailed(f"GetFlightInfo(big): total_records {info.total_records}, expected {big.rows}")
        endpoint = self.rng.choice(info.endpoints)
        start, end = json.loads(endpoint.ticket.ticket)["batches"]
        request = soak_data.request_for_range("endpoint", big, start, end)
        return soak_data.ReadRequest("endpoint", big, endpoint.ticket.ticket, request.rows, request.first_row, True)

    def _timeout(self, request: soak_data.ReadRequest) -> float:
        return CALL_TIMEOUT_SECONDS + request.dataset.batches * self.slow_delay * 2

    def _read(self, client: flight.FlightClient, request: soak_data.ReadRequest) -> None:
        # Streams the clients have open (the server's own count drops as soon as it has queued a
        # stream's last message, which for small streams is long before the client has read them).
        self.tally.add(streams_in_flight=1)
        try:
            self._read_stream(client, request)
        finally:
            self.tally.add(streams_in_flight=-1)

    def _read_stream(self, client: flight.FlightClient, request: soak_data.ReadRequest) -> None:
        reader = client.do_get(flight.Ticket(request.ticket), options=call_options(self._timeout(request)))
        abandon_after = None
        if not self.slow_delay and self.rng.random() < self.cancel_probability:
            abandon_after = self.rng.randint(1, 4)
        rows = chunks = 0
        next_id = request.first_row
        while True:
            if self.stop.is_set() or (abandon_after is not None and chunks >= abandon_after):
                reader.cancel()
                self.tally.add(streams_stopped=1 if self.stop.is_set() else 0,
                               streams_abandoned=0 if self.stop.is_set() else 1)
                return
            try:
                chunk = reader.read_chunk()
            except StopIteration:
                break
            batch = chunk.data
            if request.checks_id and batch.num_rows:
                first = batch.column("id")[0].as_py()
                if first != next_id:
                    raise SoakCheckFailed(f"{request.kind} {request.ticket[:120]!r}: a batch starts at id {first},"
                                          f" expected {next_id}")
            next_id += batch.num_rows
            rows += batch.num_rows
            chunks += 1
            self.tally.add(stream_bytes=batch.nbytes, stream_rows=batch.num_rows)
            if self.slow_delay:
                self.stop.wait(self.slow_delay)
        if rows != request.rows:
            raise SoakCheckFailed(f"{request.kind} {request.ticket[:120]!r}: {rows} rows, expected {request.rows}")
        self.tally.add(streams=1, **{f"streams_{request.kind}": 1}, **({"streams_slow": 1} if self.slow_delay else {}))


# ------------------------------------------------------------------------------------------------
# Uploads
# ------------------------------------------------------------------------------------------------

# What an upload worker does to each of its names, in order: (mode, batches).
UPLOAD_CYCLE = [("create", 2), ("append", 1), ("overwrite", 3), ("append", 1)]


@dataclass
class SealedUpload:
    """A name the uploader is done with, and the batches it must now hold."""
    name: str
    batches: list[pa.RecordBatch]
    compressed: bool


class Uploader(threading.Thread):
    """Runs UPLOAD_CYCLE on `uploads/w<index>/n<k>` for k = 0, 1, ... until `stop` is set (the cycle
    under way is finished, so every name is verified)."""

    def __init__(self, index: int, location: str, tally: Tally, stop: threading.Event,
                 sealed: queue.Queue, batch_rows: int):
        super().__init__(name=f"uploader-{index}", daemon=True)
        self.index = index
        self.location = location
        self.tally = tally
        self.stop = stop
        self.sealed = sealed
        self.batch_rows = batch_rows

    def run(self) -> None:
        client = flight.connect(self.location)
        try:
            sequence = 0
            while not self.stop.is_set():
                name = f"uploads/w{self.index}/n{sequence}"
                try:
                    self.sealed.put(self._cycle(client, name, sequence))
                    self.tally.add(upload_names=1)
                except Exception as error:  # noqa: BLE001 - every failure is counted
                    self.tally.error(self.name, f"upload cycle of {name}", error)
                    self.stop.wait(ERROR_PAUSE_SECONDS)
                sequence += 1
        finally:
            client.close()

    def _cycle(self, client: flight.FlightClient, name: str, sequence: int) -> SealedUpload:
        content: list[pa.RecordBatch] = []
        compressed = sequence % 2 == 1
        for step, (mode, count) in enumerate(UPLOAD_CYCLE):
            tag = self.index * 1_000_000 + sequence * 10 + step
            batches = soak_data.upload_batches(tag, count, self.batch_rows)
            options = {"compression": "zstd"} if compressed and mode == "overwrite" else {}
            self._put(client, name, mode, batches, options)
            content = batches if mode in ("create", "overwrite") else content + batches
        return SealedUpload(name, content, compressed)

    def _put(self, client: flight.FlightClient, name: str, mode: str, batches: list[pa.RecordBatch],
             options: dict) -> None:
        if mode == "create" and not options:
            descriptor = flight.FlightDescriptor.for_path(*name.split("/"))
        else:
            descriptor = flight.FlightDescriptor.for_command(
                json.dumps({"dataset": name, "mode": mode, **options}).encode())
        writer, metadata = client.do_put(descriptor, soak_data.UPLOAD_SCHEMA, options=call_options())
        try:
            for batch in batches:
                writer.write_batch(batch)
            writer.done_writing()
            acks = []
            while (buffer := metadata.read()) is not None:
                acks.append(json.loads(buffer.to_pybytes()))
        except BaseException:
            writer.close()  # raises the server's own error, which says more than a broken pipe
            raise
        writer.close()
        self._check_acks(name, mode, batches, acks)
        self.tally.add(uploads=1, upload_rows=sum(b.num_rows for b in batches),
                       upload_bytes=sum(b.nbytes for b in batches))

    @staticmethod
    def _check_acks(name: str, mode: str, batches: list[pa.RecordBatch], acks: list[dict]) -> None:
        rows = 0
        expected = []
        for i, batch in enumerate(batches):
            rows += batch.num_rows
            expected.append({"batches": i + 1, "rows": rows})
        if len(acks) != len(batches) + 1 or acks[:-1] != expected:
            raise SoakCheckFailed(f"{mode} {name}: acknowledgements {acks[:-1]}, expected {expected}")
        final = acks[-1]
        wanted = {"dataset": name, "mode": mode, "batches": len(batches), "rows": rows, "durable": True}
        if {key: final.get(key) for key in wanted} != wanted:
            raise SoakCheckFailed(f"{mode} {name}: final acknowledgement {final}, expected {wanted}")


class Verifier(threading.Thread):
    """Reads back every sealed upload, compares it, checks `describe`, deletes it. Ends at the
    `None` the main thread queues once the uploaders have stopped."""

    def __init__(self, index: int, location: str, tally: Tally, sealed: queue.Queue):
        super().__init__(name=f"verifier-{index}", daemon=True)
        self.location = location
        self.tally = tally
        self.sealed = sealed

    def run(self) -> None:
        client = flight.connect(self.location)
        try:
            while (upload := self.sealed.get()) is not None:
                try:
                    self._verify(client, upload)
                    self.tally.add(upload_names_verified=1)
                except Exception as error:  # noqa: BLE001 - every failure is counted
                    self.tally.error(self.name, f"verify {upload.name}", error)
        finally:
            client.close()

    @staticmethod
    def _verify(client: flight.FlightClient, upload: SealedUpload) -> None:
        got = client.do_get(flight.Ticket(upload.name.encode()), options=call_options()).read_all()
        expected = pa.Table.from_batches(upload.batches)
        if not soak_data.comparable(got).equals(soak_data.comparable(expected)):
            raise SoakCheckFailed(f"{upload.name}: read back {got.num_rows} rows that differ from the"
                                  f" {expected.num_rows} uploaded")
        described = _action(client, "describe", {"dataset": upload.name})
        if (described.get("rows"), described.get("format")) != (expected.num_rows, "parts"):
            raise SoakCheckFailed(f"{upload.name}: describe says rows={described.get('rows')},"
                                  f" format={described.get('format')}; expected {expected.num_rows}, parts")
        deleted = _action(client, "delete", {"dataset": upload.name})
        if deleted != {"deleted": upload.name}:
            raise SoakCheckFailed(f"{upload.name}: delete answered {deleted}")


def _action(client: flight.FlightClient, name: str, body: dict | None = None,
            timeout: float = CALL_TIMEOUT_SECONDS) -> dict:
    payload = json.dumps(body).encode() if body is not None else b""
    results = list(client.do_action(flight.Action(name, payload), options=call_options(timeout)))
    if len(results) != 1:
        raise SoakCheckFailed(f"action {name} returned {len(results)} results")
    return json.loads(results[0].body.to_pybytes())


# ------------------------------------------------------------------------------------------------
# Sampling the server
# ------------------------------------------------------------------------------------------------

STATS_KEYS = ("allocator_bytes", "allocator_peak_bytes", "heap_used_bytes", "heap_max_bytes", "mapped_files",
              "mapped_bytes", "cached_files", "doget_streams_active", "body_bytes_in_flight", "body_bytes_copied")


def open_fds(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def threads(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("Threads:"):
                return int(line.split()[1])
    raise BenchError(f"no Threads in /proc/{pid}/status")


class Sampler(threading.Thread):
    """Samples the server every `interval` seconds until `halt` is set; `take()` samples at once
    (for the marks: idle at start, after warm-up, idle at the end)."""

    def __init__(self, pid: int, location: str, tally: Tally, interval: float):
        super().__init__(name="sampler", daemon=True)
        self.pid = pid
        self.tally = tally
        self.interval = interval
        self.client = flight.connect(location)
        self.samples: list[dict] = []
        self.halt = threading.Event()
        self._lock = threading.Lock()

    def stats(self) -> dict:
        return _action(self.client, "stats", timeout=SAMPLE_TIMEOUT_SECONDS)

    def take(self, mark: str | None = None) -> dict:
        with self._lock:  # one stats call at a time on the sampler's connection
            sample = {
                "t_s": round(time.monotonic() - self.tally.started, 3),
                "rss_anon_bytes": rss_anon_bytes(self.pid),
                "fds": open_fds(self.pid),
                "threads": threads(self.pid),
                "server_cpu_s": round(cpu_seconds(self.pid), 2),
            }
            try:
                stats = self.stats()
                sample.update({key: stats.get(key) for key in STATS_KEYS})
            except Exception as error:  # noqa: BLE001 - counted, the sample keeps its /proc figures
                self.tally.error(self.name, "stats", error)
            sample.update(self.tally.snapshot())
            if mark:
                sample["mark"] = mark
            self.samples.append(sample)
            return sample

    def run(self) -> None:
        while not self.halt.wait(self.interval):
            try:
                self.take()
            except (OSError, BenchError) as error:  # the server process is gone
                self.tally.error(self.name, "sample /proc", error)
                return

    def close(self) -> None:
        self.halt.set()
        if self.is_alive():
            self.join()
        self.client.close()
