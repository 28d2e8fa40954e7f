"""Streams and mappings over time: what a stream holds is given back when it ends, however it ends
(completed, cancelled, dropped, client killed); a stream that is mid-way when its file is replaced
or deleted finishes reading the version it started with, because the server keeps that mapping
until the stream lets go.

The `stats` action is the window into the server: doget_streams_active and body_bytes_in_flight
must come back to 0, and mapped_files to what the catalog alone holds. These counters drop
asynchronously (when gRPC releases what it queued or notices a cancellation), so the tests poll.
"""

from __future__ import annotations

import gc
import os
import subprocess
import sys
import textwrap
import threading
import time

import numpy as np
import pyarrow as pa
import pyarrow.flight as flight
import pytest

from quiver_support import (
    CALL_OPTIONS, Namespace, assert_tables_equal, fetch, flight_info, is_idle, server_stats, ticket, wait_until,
    wait_until_idle,
)
from sample_tables import big_table, numbers_table

BIG = 50 * 1024 * 1024  # well beyond what gRPC and the server buffer ahead of a slow reader
BIG_BATCHES = 50


@pytest.fixture(scope="module")
def big(data_root, client):
    """A ~50 MB dataset in 50 batches, written once for the module: (name, table). Already in the
    catalog (mapped) before any test uses it, so the tests' baselines include its mapping."""
    space = Namespace(data_root, "lifetimes_big")
    table = big_table(BIG)
    name = space.write_file("big", table, max_chunksize=table.num_rows // BIG_BATCHES)
    assert flight_info(client, name).total_records == table.num_rows
    return name, table


@pytest.fixture
def idle_baseline(client):
    """Waits for earlier tests' streams to drain and their mappings to go; returns the stats at rest."""
    previous = wait_until_idle(client)
    while True:
        time.sleep(0.05)
        current = wait_until_idle(client)
        if current["mapped_files"] == previous["mapped_files"]:
            return current
        previous = current


def _settles_at(client, mapped_files: int) -> dict:
    """Waits until no stream is open and exactly `mapped_files` files are mapped (the last release
    of a mapping can trail the stream counter by a moment)."""
    return wait_until(client, lambda s: is_idle(s) and s["mapped_files"] == mapped_files,
                      what=f"streams draining and mapped_files settling at {mapped_files}")


def _versioned_table(rows: int, version: int) -> pa.Table:
    table = big_table(rows * 16)
    return table.append_column("version", pa.array([version] * table.num_rows, pa.int8()))


def _read_rest(reader, first_chunk) -> pa.Table:
    batches = [first_chunk.data]
    while True:
        try:
            batches.append(reader.read_chunk().data)
        except StopIteration:
            return pa.Table.from_batches(batches, schema=reader.schema)


def test_stats_reports_its_counters(client):
    stats = server_stats(client)
    for key in ("mapped_files", "body_bytes_in_flight", "doget_streams_active", "allocator_bytes",
                "allocator_peak_bytes"):
        assert key in stats, f"stats has no {key!r}: {stats}"
        assert isinstance(stats[key], int) and stats[key] >= 0, (key, stats[key])
    assert stats["allocator_peak_bytes"] >= stats["allocator_bytes"]


def test_counters_return_to_rest_after_complete_reads(client, big, idle_baseline):
    name, table = big
    assert_tables_equal(fetch(client, name), table)
    assert fetch(client, name, columns=["square"], batches=[10, 20]).num_rows == 10 * (table.num_rows // 50)
    assert fetch(client, name, columns=[]).num_rows == table.num_rows
    stats = wait_until_idle(client)
    assert stats["doget_streams_active"] == 0 and stats["body_bytes_in_flight"] == 0
    # Zero-copy serving: nothing stays allocated in the server's Arrow allocator.
    assert stats["allocator_bytes"] == idle_baseline["allocator_bytes"]


def test_open_stream_is_counted_then_released_on_cancel(client, big, idle_baseline):
    name, table = big
    reader = client.do_get(flight.Ticket(name.encode()), options=CALL_OPTIONS)
    first = reader.read_chunk()
    assert first.data.num_rows > 0
    during = server_stats(client)
    assert during["doget_streams_active"] == 1, during
    reader.cancel()
    with pytest.raises(flight.FlightCancelledError):
        while True:
            reader.read_chunk()
    _settles_at(client, idle_baseline["mapped_files"])
    # The server is unaffected: the same dataset reads whole right after.
    assert_tables_equal(fetch(client, name), table)


def test_dropped_reader_is_released(client, ns, big, idle_baseline):
    name, _ = big
    reader = client.do_get(flight.Ticket(name.encode()), options=CALL_OPTIONS)
    reader.read_chunk()
    del reader
    gc.collect()
    _settles_at(client, idle_baseline["mapped_files"])
    small = numbers_table(10)
    assert_tables_equal(fetch(client, ns.write_file("small", small)), small)


def test_repeated_partial_reads_leak_nothing(client, big, idle_baseline):
    name, _ = big
    for i in range(8):
        reader = client.do_get(ticket(name, columns=["square"] if i % 2 else None, batches=[i, 50]),
                               options=CALL_OPTIONS)
        reader.read_chunk()
        reader.cancel()
    stats = _settles_at(client, idle_baseline["mapped_files"])
    assert stats["allocator_bytes"] == idle_baseline["allocator_bytes"]


def test_killed_client_process_releases_its_stream(server, client, big, idle_baseline):
    # A client that dies mid-stream (no cancel, the socket just closes) must not leave a stream behind.
    name, _ = big
    script = textwrap.dedent(f"""
        import os, pyarrow.flight as flight
        client = flight.connect({server.location!r})
        reader = client.do_get(flight.Ticket({name.encode()!r}))
        reader.read_chunk()
        print("read one chunk", flush=True)
        os._exit(0)
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert "read one chunk" in result.stdout, result.stderr
    _settles_at(client, idle_baseline["mapped_files"])


def test_reader_mid_stream_keeps_reading_the_replaced_version(client, ns, idle_baseline):
    v1 = _versioned_table(BIG // 16, 1)
    name = ns.write_file("moving", v1, max_chunksize=v1.num_rows // BIG_BATCHES)
    reader = client.do_get(flight.Ticket(name.encode()), options=CALL_OPTIONS)
    first = reader.read_chunk()
    v2 = _versioned_table(1000, 2)
    ns.write_file("moving", v2)  # atomic replacement by rename
    # Premise: the stream is still open on the server, most of v1 not yet sent.
    assert server_stats(client)["doget_streams_active"] == 1
    assert_tables_equal(fetch(client, name), v2)  # new requests see the new version at once
    assert_tables_equal(_read_rest(reader, first), v1)  # the open stream finishes the old one
    # Only the new version stays mapped (by the catalog); the old mapping went with the stream.
    _settles_at(client, idle_baseline["mapped_files"] + 1)


def test_reader_mid_stream_keeps_reading_a_deleted_file(client, ns, idle_baseline):
    v1 = _versioned_table(BIG // 16, 1)
    name = ns.write_file("vanishing", v1, max_chunksize=v1.num_rows // BIG_BATCHES)
    reader = client.do_get(ticket(name, columns=["version", "id"]), options=CALL_OPTIONS)
    first = reader.read_chunk()
    os.remove(ns.path("vanishing.arrow"))
    assert server_stats(client)["doget_streams_active"] == 1
    with pytest.raises(pa.ArrowKeyError, match="not found"):
        fetch(client, name)
    assert_tables_equal(_read_rest(reader, first), v1.select(["version", "id"]))
    wait_until_idle(client)


def test_deleted_file_is_unmapped_once_its_readers_are_done(client, ns, idle_baseline):
    # A deleted file's disk space is only freed when its last mapping goes. Once no stream reads it
    # and the server has answered NOT_FOUND for it, nothing should keep it mapped.
    v1 = _versioned_table(BIG // 16, 1)
    name = ns.write_file("deleted", v1, max_chunksize=v1.num_rows // BIG_BATCHES)
    assert fetch(client, name).num_rows == v1.num_rows
    _settles_at(client, idle_baseline["mapped_files"] + 1)
    os.remove(ns.path("deleted.arrow"))
    with pytest.raises(pa.ArrowKeyError, match="not found"):
        fetch(client, name)
    wait_until(client, lambda s: s["mapped_files"] == idle_baseline["mapped_files"]
               and s["mapped_bytes"] == idle_baseline["mapped_bytes"],
               what="the deleted file's mapping being released")


def test_replaced_file_old_version_is_unmapped(client, ns, idle_baseline):
    v1 = _versioned_table(100_000, 1)
    name = ns.write_file("swapped", v1)
    assert fetch(client, name).num_rows == v1.num_rows
    v2 = _versioned_table(10, 2)
    ns.write_file("swapped", v2)
    assert_tables_equal(fetch(client, name), v2)
    _settles_at(client, idle_baseline["mapped_files"] + 1)


def test_concurrent_readers_of_one_dataset(client, server, big, idle_baseline):
    name, table = big
    rows_per_batch = table.num_rows // BIG_BATCHES
    requests = [
        (None, None, table),
        (["square"], None, table.select(["square"])),
        (None, [5, 25], table.slice(5 * rows_per_batch, 20 * rows_per_batch)),
        (["square", "id"], [40, 50], table.slice(40 * rows_per_batch).select(["square", "id"])),
    ]
    results: dict[int, object] = {}

    def run(index, columns, batches):
        own = server.connect()  # one connection per thread, several streams in parallel
        try:
            t = ticket(name, columns, batches) if (columns or batches) else flight.Ticket(name.encode())
            results[index] = own.do_get(t, options=CALL_OPTIONS).read_all()
        except Exception as e:  # reported below, in the test's thread
            results[index] = e
        finally:
            own.close()

    threads = [threading.Thread(target=run, args=(i, c, b)) for i, (c, b, _) in enumerate(requests)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    for index, (_, _, expected) in enumerate(requests):
        got = results.get(index)
        assert isinstance(got, pa.Table), f"request {index} failed: {got!r}"
        assert_tables_equal(got, expected)
    wait_until_idle(client)


def test_readers_during_rapid_replacements_get_whole_versions(client, server, ns, idle_baseline):
    # One thread swaps the file between two versions as fast as it can while this thread reads it:
    # every read must be exactly one version, never a mix, never an error.
    versions = [_versioned_table(20_000, 1), _versioned_table(30_000, 2)]
    name = ns.write_file("flapping", versions[0], max_chunksize=5_000)
    stop = threading.Event()
    swaps = []

    def swap():
        i = 0
        while not stop.is_set() and i < 200:
            i += 1
            ns.write_file("flapping", versions[i % 2], max_chunksize=5_000)
            swaps.append(i)

    swapper = threading.Thread(target=swap)
    swapper.start()
    try:
        for _ in range(40):
            got = fetch(client, name)
            version = got.column("version")[0].as_py()
            assert_tables_equal(got, versions[version - 1])
    finally:
        stop.set()
        swapper.join(timeout=60)
    assert len(swaps) > 0
    # However the races went, one version of the file is left mapped (by the catalog), no more.
    _settles_at(client, idle_baseline["mapped_files"] + 1)


def test_file_larger_than_2_gib_is_served_past_the_2_gib_mark(client, ns, idle_baseline):
    # The mapping is one FFM segment, not 2 GiB ByteBuffer windows: batches whose bodies lie beyond
    # byte 2^31 are read like any other. 36 batches of 64 MiB (one int64 column) make 2.25 GiB.
    rows = 8 * 1024 * 1024
    batches = 36
    schema = pa.schema([("n", pa.int64())])
    path = ns.path("huge.arrow")
    temporary = ns.path(".huge.arrow.tmp")
    with pa.ipc.new_file(temporary, schema) as writer:
        for b in range(batches):
            writer.write_batch(pa.record_batch([pa.array(np.arange(b * rows, (b + 1) * rows, dtype=np.int64))],
                                               schema=schema))
    os.replace(temporary, path)
    try:
        assert path.stat().st_size > 2**31 + 64 * 1024 * 1024
        info = flight_info(client, ns.name("huge"))
        assert info.total_records == rows * batches
        tail = fetch(client, ns.name("huge"), batches=[batches - 2, batches])
        assert tail.num_rows == 2 * rows
        expected = np.arange((batches - 2) * rows, batches * rows, dtype=np.int64)
        assert np.array_equal(tail.column("n").to_numpy(), expected)
    finally:
        os.remove(path)
