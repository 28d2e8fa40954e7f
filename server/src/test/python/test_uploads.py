"""Uploads (DoPut) and catalog management (actions), as a pyarrow client sees them.

An upload is stored as an Arrow IPC file-format dataset (`<name>.arrow`, or `<name>.parts/` once
appended to), written to `<data>/.quiver-uploads` first and renamed into place: whatever fails, is
cancelled or is cut off leaves nothing behind, and what is published is readable by pyarrow and
polars straight from disk as well as over Flight. The `describe`, `delete`, `rename` and `refresh`
actions inspect and change the catalog.

pyarrow's exception types, as measured: INVALID_ARGUMENT is pa.ArrowInvalid, NOT_FOUND
pa.ArrowKeyError, ALREADY_EXISTS a plain pa.ArrowException ("already exists"), RESOURCE_EXHAUSTED
pa.ArrowInvalid ("gRPC returned resource exhausted error").
"""

from __future__ import annotations

import datetime
import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.flight as flight
import pyarrow.ipc as ipc
import pytest

from quiver_support import (
    CALL_OPTIONS, assert_tables_equal, fetch, list_names, server_stats, wait_until_idle,
)
from sample_tables import core_table, exotic_columns, numbers_table
from upload_support import (
    action, command, decoded, describe, files_under, names_under, path_descriptor, raw_command, read_ack,
    read_acks, read_ipc_file, staging_entries, upload, versioned, wait_staging_empty,
)


def _snapshot(client, ns) -> tuple[list[str], list[str]]:
    """The namespace's files and listed datasets, to compare after a failed request."""
    return files_under(ns.directory), names_under(client, ns.prefix)


def _assert_nothing_stored(client, ns, data_root, before: tuple[list[str], list[str]]) -> None:
    """After a failed upload: no new file in the namespace, nothing new listed, staging empty."""
    wait_staging_empty(data_root)
    assert _snapshot(client, ns) == before


def _final(acks: list[dict]) -> dict:
    assert acks, "no acknowledgement at all"
    assert acks[-1].get("durable") is True, f"last acknowledgement is not the final one: {acks[-1]}"
    return acks[-1]


def _read_rest(reader, first_chunk) -> pa.Table:
    batches = [first_chunk.data]
    while True:
        try:
            batches.append(reader.read_chunk().data)
        except StopIteration:
            return pa.Table.from_batches(batches, schema=reader.schema)


# --------------------------------------------------------------------------------------------
# Create: acknowledgements, layout, readability by pyarrow, polars and Flight
# --------------------------------------------------------------------------------------------

def test_path_descriptor_creates_a_readable_ipc_file(client, ns, data_root):
    table = core_table(50)  # nested types, dictionary column, nulls, schema and field metadata
    acks = upload(client, flight.FlightDescriptor.for_path(ns.prefix, "core"), table, max_chunksize=7)
    batches = table.to_batches(max_chunksize=7)
    # One acknowledgement per stored batch, with running totals, then the final one.
    running = 0
    for i, batch in enumerate(batches):
        running += batch.num_rows
        assert acks[i] == {"batches": i + 1, "rows": running}
    path = ns.path("core.arrow")
    assert acks[len(batches):] == [{
        "dataset": ns.name("core"), "mode": "create", "batches": len(batches), "rows": table.num_rows,
        "bytes": path.stat().st_size, "parts": 1, "durable": True}]
    assert files_under(ns.directory) == ["core.arrow"]
    # The file on disk is an IPC file pyarrow reads back unchanged (metadata included) ...
    with ipc.open_file(path) as reader:
        assert reader.num_record_batches == len(batches)
        assert_tables_equal(reader.read_all(), table)
    # ... and the server serves and lists it.
    assert_tables_equal(fetch(client, ns.name("core")), table)
    assert names_under(client, ns.prefix) == [ns.name("core")]
    wait_staging_empty(data_root)


def test_nested_name_creates_directories(client, ns):
    table = numbers_table(10)
    upload(client, path_descriptor(ns.name("sales/eu/2024")), table)
    assert ns.path("sales/eu/2024.arrow").is_file()
    assert names_under(client, ns.prefix) == [ns.name("sales/eu/2024")]
    assert_tables_equal(fetch(client, ns.name("sales/eu/2024")), table)


def test_command_descriptor_defaults_to_create(client, ns):
    table = numbers_table(5)
    acks = upload(client, command(ns.name("t")), table)
    assert _final(acks)["mode"] == "create"
    assert_tables_equal(read_ipc_file(ns.path("t.arrow")), table)


def test_write_batch_one_by_one(client, ns):
    table = numbers_table(30)
    batches = table.to_batches(max_chunksize=4)
    acks = upload(client, command(ns.name("b")), batches)
    assert [a["rows"] for a in acks[:-1]] == [min(4 * (i + 1), 30) for i in range(len(batches))]
    with ipc.open_file(ns.path("b.arrow")) as reader:
        assert [reader.get_batch(i).num_rows for i in range(reader.num_record_batches)] == \
               [b.num_rows for b in batches]
    assert_tables_equal(fetch(client, ns.name("b")), table)


def test_empty_table_without_batches_round_trips(client, ns):
    table = core_table(10).slice(0, 0)
    writer, reader = client.do_put(command(ns.name("empty")), table.schema, options=CALL_OPTIONS)
    writer.done_writing()
    acks = read_acks(reader)
    writer.close()
    assert acks == [{"dataset": ns.name("empty"), "mode": "create", "batches": 0, "rows": 0,
                     "bytes": ns.path("empty.arrow").stat().st_size, "parts": 1, "durable": True}]
    on_disk = read_ipc_file(ns.path("empty.arrow"))
    assert on_disk.num_rows == 0 and on_disk.schema.equals(table.schema, check_metadata=True)
    served = fetch(client, ns.name("empty"))
    assert served.num_rows == 0 and served.schema.equals(table.schema, check_metadata=True)
    assert describe(client, ns.name("empty"))["batches"] == 0


def test_zero_row_batches_round_trip(client, ns):
    table = numbers_table(20)
    full = table.to_batches(max_chunksize=10)
    empty = full[0].slice(0, 0)
    batches = [empty, full[0], empty, empty, full[1], empty]
    acks = upload(client, command(ns.name("z")), batches)
    assert [a["rows"] for a in acks[:-1]] == [0, 10, 10, 10, 20, 20]
    assert _final(acks)["batches"] == 6
    with ipc.open_file(ns.path("z.arrow")) as reader:
        assert [reader.get_batch(i).num_rows for i in range(reader.num_record_batches)] == [0, 10, 0, 0, 10, 0]
    assert_tables_equal(fetch(client, ns.name("z")), table)
    assert describe(client, ns.name("z"))["batches"] == 6


@pytest.mark.parametrize("column", list(exotic_columns()))
def test_exotic_types_round_trip(client, ns, column):
    table = pa.table({column: exotic_columns()[column]})
    upload(client, command(ns.name("t")), table, max_chunksize=5)
    assert_tables_equal(read_ipc_file(ns.path("t.arrow")), table)
    assert_tables_equal(fetch(client, ns.name("t")), table)


def test_dictionary_column_with_one_dictionary_round_trips(client, ns):
    table = pa.table({
        "tag": pa.array(["red", "green", None, "blue", "red"] * 6).dictionary_encode(),
        "n": pa.array(range(30), pa.int32()),
    })
    upload(client, command(ns.name("d")), table, max_chunksize=7)  # one dictionary, five batches
    assert_tables_equal(read_ipc_file(ns.path("d.arrow")), table)
    assert_tables_equal(fetch(client, ns.name("d")), table)
    assert describe(client, ns.name("d"))["schema"][0]["dictionary_encoded"] is True


def test_dictionary_deltas_round_trip(client, ns):
    first = pa.table({"d": pa.array(["a", "b", "a"]).dictionary_encode()})
    second = pa.table({"d": pa.DictionaryArray.from_arrays(pa.array([3, 2, 0], pa.int32()),
                                                           pa.array(["a", "b", "c", "d"]))})
    table = pa.concat_tables([first, second])
    upload(client, command(ns.name("delta")), table,
           write_options=ipc.IpcWriteOptions(emit_dictionary_deltas=True))
    expected = ["a", "b", "a", "d", "c", "a"]
    assert read_ipc_file(ns.path("delta.arrow")).column("d").to_pylist() == expected
    assert fetch(client, ns.name("delta")).column("d").to_pylist() == expected


def test_dictionary_replaced_mid_stream_is_stored_as_parts_with_the_right_values(client, ns):
    # A Flight stream may replace a dictionary between batches (pyarrow does when the table's chunks
    # carry different dictionaries); an IPC file cannot. The server stores one part file per
    # dictionary version, each a standalone IPC file, published together as one dataset.
    first = pa.table({"d": pa.array(["a", "b", "a"]).dictionary_encode(), "n": [0, 1, 2]})
    second = pa.table({"d": pa.array(["x", "y", "y", "x"]).dictionary_encode(), "n": [3, 4, 5, 6]})
    table = pa.concat_tables([first, second])
    expected = decoded(table)
    acks = upload(client, command(ns.name("replaced")), table)
    assert _final(acks)["parts"] == 2 and _final(acks)["rows"] == 7
    assert decoded(fetch(client, ns.name("replaced"))) == expected, "served values differ from the upload"
    parts = sorted(ns.path("replaced.parts").iterdir())
    assert [p.name for p in parts] == ["part-000000.arrow", "part-000001.arrow"]
    from_disk = pa.concat_tables([read_ipc_file(p) for p in parts])
    assert decoded(from_disk) == expected, "stored parts differ from the upload"
    assert describe(client, ns.name("replaced"))["parts"] == 2


def _polars_frame(chunks: int) -> pl.DataFrame:
    parts = []
    for part in range(chunks):
        n = 30
        parts.append(pl.DataFrame({
            "i": pl.Series([part * 1000 + r for r in range(n)], dtype=pl.Int64),
            "f": [None if r % 7 == 0 else r / 3 for r in range(n)],
            "s": [None if r % 5 == 0 else ("k" if r % 2 else f"a much longer string value {part}-{r}")
                  for r in range(n)],
            "c": pl.Series([["alpha", "beta", "gamma"][(r + part) % 3] for r in range(n)], dtype=pl.Categorical),
            "l": [[r] * (r % 3) for r in range(n)],
            "st": [{"a": r, "b": f"b{r}"} for r in range(n)],
            "ts": pl.Series([datetime.datetime(2024, 1, 1) + datetime.timedelta(hours=r) for r in range(n)])
            .dt.replace_time_zone("America/New_York"),
            "d": [datetime.date(2020, 2, 29) + datetime.timedelta(days=r) for r in range(n)],
        }))
    return pl.concat(parts, rechunk=False)


@pytest.mark.parametrize("chunks", [1, 3], ids=["one-chunk", "three-chunks"])
def test_polars_frame_uploaded_via_to_arrow_reads_back_in_polars(client, ns, chunks):
    # Three chunks give three record batches whose categorical dictionaries differ (polars orders
    # each chunk's categories by first appearance): stored as three part files, one per dictionary.
    df = _polars_frame(chunks)
    acks = upload(client, command(ns.name("frame")), df.to_arrow())
    assert _final(acks)["rows"] == df.height
    if chunks == 1:
        from_disk = pl.read_ipc(ns.path("frame.arrow"), memory_map=True)
    else:
        parts = sorted(ns.path("frame.parts").iterdir())
        assert len(parts) == chunks, f"one part per dictionary version expected: {parts}"
        from_disk = pl.concat([pl.read_ipc(p, memory_map=True) for p in parts])
    assert from_disk.equals(df), f"polars reads something else from the stored files:\n{from_disk}\n{df}"
    over_flight = pl.from_arrow(fetch(client, ns.name("frame")))
    assert over_flight.equals(df), "the dataset served over Flight differs from the frame"


# --------------------------------------------------------------------------------------------
# Modes: create on existing, overwrite, append
# --------------------------------------------------------------------------------------------

def test_create_over_existing_is_already_exists_and_changes_nothing(client, ns, data_root):
    original = numbers_table(10)
    upload(client, command(ns.name("t")), original)
    before = _snapshot(client, ns)
    inode = ns.path("t.arrow").stat().st_ino
    for descriptor in (command(ns.name("t")), command(ns.name("t"), mode="create"),
                       flight.FlightDescriptor.for_path(ns.prefix, "t")):
        with pytest.raises(pa.ArrowException, match="already exists") as raised:
            upload(client, descriptor, numbers_table(3))
        assert not isinstance(raised.value, (pa.ArrowInvalid, pa.ArrowKeyError))
    _assert_nothing_stored(client, ns, data_root, before)
    assert ns.path("t.arrow").stat().st_ino == inode
    assert_tables_equal(fetch(client, ns.name("t")), original)


def test_overwrite_replaces_file_and_creates_when_missing(client, ns, data_root):
    v1, v2 = versioned(100, 1, batches=3), versioned(40, 2, batches=2)
    acks = upload(client, command(ns.name("t"), mode="overwrite"), v1)
    assert _final(acks)["mode"] == "overwrite" and _final(acks)["parts"] == 1
    assert_tables_equal(fetch(client, ns.name("t")), v1)
    upload(client, command(ns.name("t"), mode="overwrite"), v2)
    assert files_under(ns.directory) == ["t.arrow"]
    assert_tables_equal(read_ipc_file(ns.path("t.arrow")), v2)
    assert_tables_equal(fetch(client, ns.name("t")), v2)
    wait_staging_empty(data_root)


def test_overwrite_may_change_the_schema(client, ns):
    upload(client, command(ns.name("t")), numbers_table(5))
    other = pa.table({"text": ["a", "b"]})
    upload(client, command(ns.name("t"), mode="overwrite"), other)
    assert_tables_equal(fetch(client, ns.name("t")), other)


def test_overwrite_replaces_a_parts_dataset_and_other_extensions(client, ns, data_root):
    ns.write_feather("f", versioned(10, 0))
    v1 = versioned(10, 1)
    upload(client, command(ns.name("p"), mode="append"), v1)
    upload(client, command(ns.name("p"), mode="append"), v1)
    assert ns.path("p.parts").is_dir()
    v2 = versioned(7, 2)
    upload(client, command(ns.name("p"), mode="overwrite"), v2)
    upload(client, command(ns.name("f"), mode="overwrite"), v2)
    # The new file is the only form left: the parts directory and the .feather file are gone.
    assert files_under(ns.directory) == ["f.arrow", "p.arrow"]
    for name in ("p", "f"):
        assert_tables_equal(fetch(client, ns.name(name)), v2)
        assert describe(client, ns.name(name))["format"] == "file"
    wait_staging_empty(data_root)


def test_append_creates_then_turns_the_file_into_parts(client, ns, data_root):
    uploads = [versioned(10, 1, batches=2), versioned(6, 2, batches=3), versioned(4, 3, batches=1)]
    acks = upload(client, command(ns.name("log"), mode="append"), uploads[0])
    assert _final(acks) == {"dataset": ns.name("log"), "mode": "append", "batches": 2, "rows": 10,
                            "bytes": ns.path("log.arrow").stat().st_size, "parts": 1, "durable": True}
    assert files_under(ns.directory) == ["log.arrow"]
    first_inode = ns.path("log.arrow").stat().st_ino

    acks = upload(client, command(ns.name("log"), mode="append"), uploads[1])
    assert _final(acks)["parts"] == 2 and _final(acks)["rows"] == 6
    assert files_under(ns.directory) == ["log.parts", "log.parts/part-000000.arrow", "log.parts/part-000001.arrow"]
    # The old file became part 0 by a hard link, not a copy.
    assert ns.path("log.parts/part-000000.arrow").stat().st_ino == first_inode
    assert _final(acks)["bytes"] == ns.path("log.parts/part-000001.arrow").stat().st_size

    acks = upload(client, command(ns.name("log"), mode="append"), uploads[2])
    assert _final(acks)["parts"] == 3
    parts = sorted(os.listdir(ns.path("log.parts")))
    assert parts == ["part-000000.arrow", "part-000001.arrow", "part-000002.arrow"]
    # Every part is an IPC file pyarrow reads; in name order they are the uploads.
    for part, expected in zip(parts, uploads):
        assert_tables_equal(read_ipc_file(ns.path("log.parts") / part), expected)
    everything = pa.concat_tables(uploads)
    assert_tables_equal(pa.concat_tables([read_ipc_file(ns.path("log.parts") / p) for p in parts]), everything)
    assert_tables_equal(fetch(client, ns.name("log")), everything)
    assert names_under(client, ns.prefix) == [ns.name("log")]
    info = describe(client, ns.name("log"))
    assert (info["format"], info["parts"], info["rows"], info["batches"]) == ("parts", 3, 20, 6)
    wait_staging_empty(data_root)


def test_append_to_a_file_of_another_extension_keeps_it_as_part_zero(client, ns):
    first = versioned(5, 1)
    ns.write_stream("s", first)  # s.arrows, stream format
    second = versioned(3, 2)
    upload(client, command(ns.name("s"), mode="append"), second)
    assert files_under(ns.directory) == ["s.parts", "s.parts/part-000000.arrows", "s.parts/part-000001.arrow"]
    assert_tables_equal(fetch(client, ns.name("s")), pa.concat_tables([first, second]))


def test_append_of_dictionary_columns_keeps_each_parts_dictionary(client, ns):
    one = pa.table({"c": pa.array(["x", "y", "x"]).dictionary_encode()})
    two = pa.table({"c": pa.array(["q", "r", "s", "q"]).dictionary_encode()})
    upload(client, command(ns.name("d"), mode="append"), one)
    upload(client, command(ns.name("d"), mode="append"), two)
    assert fetch(client, ns.name("d")).column("c").to_pylist() == ["x", "y", "x", "q", "r", "s", "q"]
    assert read_ipc_file(ns.path("d.parts/part-000001.arrow")).column("c").to_pylist() == ["q", "r", "s", "q"]


@pytest.mark.parametrize("other, message", [
    (pa.table({"id": pa.array([1], pa.int32()), "version": pa.array([1], pa.int8())}),
     r"schema differs \(column 'id' has a different type"),
    (pa.table({"id": pa.array([1], pa.int64())}), r"schema differs \(columns are \[id\], expected \[id, version\]\)"),
    (pa.table({"version": pa.array([1], pa.int8()), "id": pa.array([1], pa.int64())}),
     r"columns are \[version, id\], expected \[id, version\]"),
    (pa.table({"id": pa.array([1], pa.int64()), "version": pa.array([1], pa.int8())}).cast(
        pa.schema([pa.field("id", pa.int64(), nullable=False), pa.field("version", pa.int8())])),
     r"column 'id' has a different type, nullability"),
], ids=["type", "fewer-columns", "order", "nullability"])
def test_append_with_another_schema_is_invalid_and_changes_nothing(client, ns, data_root, other, message):
    existing = versioned(8, 1)
    upload(client, command(ns.name("t"), mode="append"), existing)
    before = _snapshot(client, ns)
    with pytest.raises(pa.ArrowInvalid, match=f"cannot append to dataset '{re.escape(ns.name('t'))}': .*{message}"):
        upload(client, command(ns.name("t"), mode="append"), other)
    _assert_nothing_stored(client, ns, data_root, before)
    assert_tables_equal(fetch(client, ns.name("t")), existing)


# --------------------------------------------------------------------------------------------
# Compression on write
# --------------------------------------------------------------------------------------------

def _compressible(rows: int = 20_000) -> pa.Table:
    return pa.table({"id": pa.array([i // 100 for i in range(rows)], pa.int64()),
                     "s": pa.array([f"value {i % 10}" for i in range(rows)])})


def _empty_strings() -> pa.Table:
    # A string column whose data buffer is empty (every value ""), and an empty list's child.
    return pa.table({"s": pa.array(["", "", ""]), "l": pa.array([[], [], []], pa.list_(pa.string()))})


TABLES = {"compressible": _compressible, "core": lambda: core_table(50), "empty-strings": _empty_strings}


@pytest.mark.parametrize("table_name", list(TABLES))
@pytest.mark.parametrize("codec, described", [("lz4", "lz4_frame"), ("zstd", "zstd")])
def test_compression_on_write(client, ns, codec, described, table_name):
    table = TABLES[table_name]()
    acks = upload(client, command(ns.name("c"), compression=codec), table, max_chunksize=7_000)
    info = describe(client, ns.name("c"))
    assert info["compression"] == described
    assert _final(acks)["bytes"] == info["bytes"] == ns.path("c.arrow").stat().st_size
    assert_tables_equal(read_ipc_file(ns.path("c.arrow")), table)
    assert_tables_equal(fetch(client, ns.name("c")), table)


@pytest.mark.parametrize("codec", ["lz4", "zstd"])
def test_compressed_file_is_smaller_than_uncompressed(client, ns, codec):
    table = _compressible()
    plain = _final(upload(client, command(ns.name("plain")), table))["bytes"]
    packed = _final(upload(client, command(ns.name("packed"), compression=codec), table))["bytes"]
    assert packed < plain / 4, f"{codec}: {packed} bytes compressed vs {plain} plain"
    assert describe(client, ns.name("plain"))["compression"] == "none"


def test_batches_compressed_by_the_client_are_stored_as_sent(client, ns):
    table = _compressible()
    upload(client, command(ns.name("z")), table, write_options=ipc.IpcWriteOptions(compression="zstd"))
    assert describe(client, ns.name("z"))["compression"] == "zstd"
    # Asking for lz4 does not recompress batches that already are compressed.
    upload(client, command(ns.name("z2"), compression="lz4"), table,
           write_options=ipc.IpcWriteOptions(compression="zstd"))
    assert describe(client, ns.name("z2"))["compression"] == "zstd"
    for name in ("z", "z2"):
        assert_tables_equal(read_ipc_file(ns.path(f"{name}.arrow")), table)
        assert_tables_equal(fetch(client, ns.name(name)), table)


def test_append_with_compression_mixes_codecs_across_parts(client, ns):
    table = _compressible(3_000)
    upload(client, command(ns.name("m"), mode="append"), table)
    upload(client, command(ns.name("m"), mode="append", compression="zstd"), table)
    assert describe(client, ns.name("m"))["compression"] == "none,zstd"
    assert_tables_equal(fetch(client, ns.name("m")), pa.concat_tables([table, table]))


# --------------------------------------------------------------------------------------------
# Bad requests: INVALID_ARGUMENT, nothing stored
# --------------------------------------------------------------------------------------------

BAD_COMMANDS = {
    "unknown-mode": ('{"dataset": "%s", "mode": "bogus"}', r"\"mode\" in upload command for dataset '.*' must be one of \"create\", \"overwrite\", \"append\", not \"bogus\""),
    "mode-not-string": ('{"dataset": "%s", "mode": 1}', r"\"mode\" in upload command for dataset '.*' must be one of"),
    "unknown-compression": ('{"dataset": "%s", "compression": "gzip"}', r"\"compression\" in upload command for dataset '.*' must be one of \"none\", \"lz4\", \"zstd\", not \"gzip\""),
    "unknown-key": ('{"dataset": "%s", "mode": "append", "extra": true}', r'unknown key "extra" in upload command'),
    "missing-dataset": ('{"mode": "create"}', r'needs "dataset"'),
    "dataset-not-string": ('{"dataset": 5}', r'"dataset" in upload command must be a string, not number'),
    "not-json": ("sales please", r"upload command must be JSON"),
    "truncated-json": ('{"dataset": "%s",', r"not valid JSON"),
    "duplicate-key": ('{"dataset": "%s", "dataset": "%s"}', r"not valid JSON"),
    "trailing-tokens": ('{"dataset": "%s"} {}', r"not valid JSON"),
    "hidden-segment": ('{"dataset": "%s/.hidden"}', r"reserved"),
    "staging-area": ('{"dataset": ".quiver-uploads/x"}', r"reserved"),
    "dot-dot": ('{"dataset": "%s/../x"}', r"'\.\.' segments are not allowed"),
    "absolute": ('{"dataset": "/%s"}', r"must not start with '/'"),
    "empty-segment": ('{"dataset": "%s//x"}', r"empty path segment"),
}


@pytest.mark.parametrize("case", list(BAD_COMMANDS))
def test_bad_upload_command_is_invalid_argument(client, ns, data_root, case):
    template, message = BAD_COMMANDS[case]
    before = _snapshot(client, ns)
    with pytest.raises(pa.ArrowInvalid, match=message):
        upload(client, raw_command(template.replace("%s", ns.name("t"))), numbers_table(5))
    _assert_nothing_stored(client, ns, data_root, before)


def test_path_descriptor_with_bad_segments_is_invalid_argument(client, ns, data_root):
    for segments, message in [((ns.prefix, ".."), r"'\.\.' segments"), ((ns.prefix, ""), "empty path segment"),
                              ((ns.prefix, ".secret"), "reserved")]:
        with pytest.raises(pa.ArrowInvalid, match=message):
            upload(client, flight.FlightDescriptor.for_path(*segments), numbers_table(3))
    _assert_nothing_stored(client, ns, data_root, ([], []))


def test_name_under_an_existing_file_is_a_client_error(client, ns, data_root):
    # "<ns>/plain/x" needs a directory where a regular file is: the request cannot succeed, which is
    # the client's problem to fix, not an internal error of the server.
    ns.write_bytes("plain", b"just text, not a dataset")
    upload(client, command(ns.name("t")), numbers_table(3))
    before = _snapshot(client, ns)
    with pytest.raises(pa.ArrowException) as raised:
        upload(client, command(ns.name("plain/x")), numbers_table(3))
    assert not isinstance(raised.value, flight.FlightInternalError), raised.value
    _assert_nothing_stored(client, ns, data_root, before)
    with pytest.raises(pa.ArrowException) as raised:
        action(client, "rename", {"from": ns.name("t"), "to": ns.name("plain/y")})
    assert not isinstance(raised.value, flight.FlightInternalError), raised.value
    _assert_nothing_stored(client, ns, data_root, before)


# Tests that reach into a parts directory get their own server: if the server lets them break a
# dataset, the damage must not spill into the other tests.

@pytest.fixture(scope="module")
def isolated(start_server, tmp_path_factory):
    data = tmp_path_factory.mktemp("upload-isolated-data")
    server = start_server(data)
    client = server.connect()
    yield data, client
    client.close()


def _two_part_dataset(client, data: Path, name: str) -> pa.Table:
    table = versioned(5, 1)
    upload(client, command(name, mode="append"), table)
    upload(client, command(name, mode="append"), table)
    assert sorted(os.listdir(data / f"{name}.parts")) == ["part-000000.arrow", "part-000001.arrow"]
    return pa.concat_tables([table, table])


def test_upload_into_another_datasets_parts_directory_is_refused(isolated):
    # "<x>.parts/part-000009" names a file inside dataset x's parts directory: storing it would add
    # a part to x behind its back (here with another schema, so x breaks), and the new dataset
    # would never be listed (parts directories are not scanned).
    data, client = isolated
    expected = _two_part_dataset(client, data, "up")
    with pytest.raises(pa.ArrowInvalid):
        upload(client, command("up.parts/part-000009"), pa.table({"other": ["column"]}))
    wait_staging_empty(data)
    assert sorted(os.listdir(data / "up.parts")) == ["part-000000.arrow", "part-000001.arrow"]
    assert_tables_equal(fetch(client, "up"), expected)


def test_delete_and_rename_cannot_reach_into_a_parts_directory(isolated):
    # The parts of a dataset are not datasets: deleting or renaming "<x>.parts/part-000000" must not
    # take rows out of x.
    data, client = isolated
    expected = _two_part_dataset(client, data, "whole")
    with pytest.raises((pa.ArrowKeyError, pa.ArrowInvalid)):
        action(client, "delete", "whole.parts/part-000000")
    with pytest.raises((pa.ArrowKeyError, pa.ArrowInvalid)):
        action(client, "rename", {"from": "whole.parts/part-000001", "to": "elsewhere"})
    assert sorted(os.listdir(data / "whole.parts")) == ["part-000000.arrow", "part-000001.arrow"]
    assert_tables_equal(fetch(client, "whole"), expected)


def test_parts_with_different_schemas_fail_cleanly_and_do_not_break_the_catalog(isolated):
    # A parts directory assembled by hand whose parts disagree cannot be served (INTERNAL, saying
    # why, every time); the server must stay healthy: refresh, listing and deleting it still work.
    data, client = isolated
    parts = data / "mixed.parts"
    parts.mkdir()
    for i, table in enumerate([pa.table({"a": [1, 2]}), pa.table({"b": ["x"]})]):
        with ipc.new_file(parts / f"part-{i:06d}.arrow", table.schema) as writer:
            writer.write_table(table)
    for _ in range(3):
        with pytest.raises(flight.FlightInternalError, match="part 1 has a different schema from part 0"):
            fetch(client, "mixed")
    assert action(client, "refresh", {})["datasets"] >= 1
    assert action(client, "delete", "mixed") == {"deleted": "mixed"}
    assert "mixed" not in list_names(client)
    assert not parts.exists()
    wait_staging_empty(data)


# --------------------------------------------------------------------------------------------
# Limits: --max-upload-size, --min-free-disk (RESOURCE_EXHAUSTED, nothing stored)
# --------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def limited(start_server, tmp_path_factory):
    data = tmp_path_factory.mktemp("upload-limit-data")
    server = start_server(data, "--max-upload-size", "64KiB")
    client = server.connect()
    yield data, client
    client.close()


def test_upload_over_the_size_limit_is_resource_exhausted(limited):
    data, client = limited
    small = numbers_table(500)  # ~8 KB
    upload(client, command("small"), small)
    big = numbers_table(20_000)  # ~320 KB in 20 batches
    with pytest.raises(pa.ArrowInvalid, match=r"resource exhausted.*exceeds the server's limit of 65536 bytes"):
        upload(client, command("big"), big, max_chunksize=1_000)
    wait_staging_empty(data)
    assert list_names(client) == ["small"]
    assert sorted(os.listdir(data)) == [".quiver-uploads", "small.arrow"]
    # An append over the limit leaves the dataset as it was.
    with pytest.raises(pa.ArrowInvalid, match="exceeds the server's limit"):
        upload(client, command("small", mode="append"), big, max_chunksize=1_000)
    wait_staging_empty(data)
    assert sorted(os.listdir(data)) == [".quiver-uploads", "small.arrow"]
    assert_tables_equal(fetch(client, "small"), small)


def test_free_disk_reserve_refuses_uploads_before_storing(start_server, tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    existing = numbers_table(10)
    with ipc.new_file(data / "existing.arrow", existing.schema) as writer:
        writer.write_table(existing)
    reserve = shutil.disk_usage(data).free * 4  # more than the disk has
    server = start_server(data, "--min-free-disk", str(reserve))
    client = server.connect()
    try:
        for descriptor in (command("new"), command("existing", mode="append"),
                           command("existing", mode="overwrite")):
            with pytest.raises(pa.ArrowInvalid, match=r"resource exhausted.*below the configured reserve"):
                upload(client, descriptor, numbers_table(100))
        wait_staging_empty(data)
        # Refused before anything was written: not even the staging directory was needed.
        assert sorted(os.listdir(data)) == ["existing.arrow"]
        assert list_names(client) == ["existing"]
        # Reading is not affected.
        assert_tables_equal(fetch(client, "existing"), existing)
    finally:
        client.close()


# --------------------------------------------------------------------------------------------
# Failed, cancelled and cut-off uploads leave nothing
# --------------------------------------------------------------------------------------------

def test_upload_cancelled_by_deadline_leaves_nothing(client, ns, data_root):
    table = numbers_table(1000)
    before = _snapshot(client, ns)
    writer, reader = client.do_put(command(ns.name("t")), table.schema,
                                   options=flight.FlightCallOptions(timeout=1.0))
    writer.write_batch(table.to_batches(max_chunksize=100)[0])
    assert read_ack(reader) == {"batches": 1, "rows": 100}
    assert [e for e in staging_entries(data_root) if e.endswith(".arrow.tmp")], "no upload in progress"
    threading.Event().wait(1.5)  # let the deadline pass: gRPC cancels the call on both sides
    with pytest.raises(flight.FlightTimedOutError):
        writer.done_writing()
        read_acks(reader)
        writer.close()
    _assert_nothing_stored(client, ns, data_root, before)


def test_killed_client_process_leaves_nothing(server, client, ns, data_root):
    name = ns.name("t")
    script = textwrap.dedent(f"""
        import json, time, pyarrow as pa, pyarrow.flight as flight
        client = flight.connect({server.location!r})
        table = pa.table({{"id": list(range(1000))}})
        descriptor = flight.FlightDescriptor.for_command(json.dumps({{"dataset": {name!r}}}).encode())
        writer, reader = client.do_put(descriptor, table.schema)
        writer.write_batch(table.to_batches()[0])
        print(reader.read().to_pybytes().decode(), flush=True)
        time.sleep(120)
    """)
    process = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
    try:
        line = process.stdout.readline()
        assert json.loads(line) == {"batches": 1, "rows": 1000}, process.stderr.read() if not line else line
        assert [e for e in staging_entries(data_root) if e.endswith(".arrow.tmp")], "no upload in progress"
    finally:
        process.kill()
        process.wait(timeout=30)
    _assert_nothing_stored(client, ns, data_root, ([], []))
    with pytest.raises(pa.ArrowKeyError):
        fetch(client, name)


def test_leftovers_in_staging_are_removed_at_start_and_never_listed(start_server, tmp_path):
    data = tmp_path / "data"
    staging = data / ".quiver-uploads"
    staging.mkdir(parents=True)
    table = numbers_table(10)
    with ipc.new_file(data / "kept.arrow", table.schema) as writer:
        writer.write_table(table)
    # What a crash can leave: a complete-looking upload, a half-written one, a parts directory
    # being built, a retired dataset.
    with ipc.new_file(staging / "0b7c.arrow.tmp", table.schema) as writer:
        writer.write_table(table)
    (staging / "1d2e.arrow.tmp").write_bytes(b"ARROW1\0\0half")
    (staging / "3f4a.parts").mkdir()
    shutil.copy(data / "kept.arrow", staging / "3f4a.parts" / "part-000000.arrow")
    (staging / "5b6c.retired").write_bytes(b"old")
    server = start_server(data)
    client = server.connect()
    try:
        assert staging_entries(data) == []
        assert list_names(client) == ["kept"]
        assert sorted(os.listdir(data)) == [".quiver-uploads", "kept.arrow"]
        assert_tables_equal(fetch(client, "kept"), table)
    finally:
        client.close()


def test_server_killed_mid_upload_restarts_clean(start_server, tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    first = start_server(data)
    client = first.connect()
    kept = numbers_table(10)
    upload(client, command("kept"), kept)
    table = numbers_table(1000)
    writer, reader = client.do_put(command("cut"), table.schema, options=CALL_OPTIONS)
    writer.write_batch(table.to_batches(max_chunksize=100)[0])
    assert read_ack(reader)["batches"] == 1
    first.process.kill()  # no shutdown hook, no cleanup: what a crash leaves
    first.process.wait(timeout=30)
    with pytest.raises(pa.ArrowException):
        writer.done_writing()
        read_acks(reader)
        writer.close()
    client.close()
    leftovers = staging_entries(data)
    assert len(leftovers) == 1 and leftovers[0].endswith(".arrow.tmp"), leftovers

    second = start_server(data)
    client = second.connect()
    try:
        assert staging_entries(data) == []
        assert list_names(client) == ["kept"]
        assert_tables_equal(fetch(client, "kept"), kept)
        with pytest.raises(pa.ArrowKeyError):
            fetch(client, "cut")
    finally:
        client.close()


# --------------------------------------------------------------------------------------------
# Concurrency
# --------------------------------------------------------------------------------------------

def _open_upload(server, descriptor, batch: pa.RecordBatch):
    """Starts an upload on its own connection and waits until the server stored its first batch."""
    own = server.connect()
    writer, reader = own.do_put(descriptor, batch.schema, options=CALL_OPTIONS)
    writer.write_batch(batch)
    assert read_ack(reader)["batches"] == 1
    return own, writer, reader


def _finish_all(uploads) -> list:
    """Finishes every started upload at once, each in its own thread; the ack list or the error."""
    results: list = [None] * len(uploads)
    barrier = threading.Barrier(len(uploads))

    def finish(i, writer, reader):
        barrier.wait()
        try:
            writer.done_writing()
            acks = read_acks(reader)
            writer.close()
            results[i] = acks
        except Exception as e:  # reported by the test
            results[i] = e

    threads = [threading.Thread(target=finish, args=(i, w, r)) for i, (_, w, r) in enumerate(uploads)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    for own, _, _ in uploads:
        own.close()
    return results


def _tagged(tag: int, rows: int) -> pa.RecordBatch:
    return pa.record_batch({"writer": pa.array([tag] * rows, pa.int32()),
                            "n": pa.array(range(rows), pa.int64())})


def test_second_create_of_the_same_name_is_already_exists_when_published(server, client, ns, data_root):
    # Both uploads are under way (both passed the early check) before either is published.
    name = ns.name("t")
    first = _open_upload(server, command(name), _tagged(1, 5))
    second = _open_upload(server, command(name), _tagged(2, 5))
    first[1].done_writing()
    acks = read_acks(first[2])
    first[1].close()
    assert _final(acks)["rows"] == 5
    second[1].done_writing()  # only now: the first one is published
    with pytest.raises(pa.ArrowException, match="another upload created it first"):
        read_acks(second[2])
        second[1].close()
    for own, _, _ in (first, second):
        own.close()
    wait_staging_empty(data_root)
    assert fetch(client, name).column("writer").to_pylist() == [1] * 5


def test_concurrent_creates_of_one_name_exactly_one_wins(server, client, ns, data_root):
    name = ns.name("race")
    uploads = [_open_upload(server, command(name), _tagged(i, 10)) for i in range(6)]
    results = _finish_all(uploads)
    winners = [i for i, r in enumerate(results) if isinstance(r, list)]
    assert len(winners) == 1, f"results: {results}"
    for i, result in enumerate(results):
        if i != winners[0]:
            assert isinstance(result, pa.ArrowException) and "already exists" in str(result), result
    wait_staging_empty(data_root)
    assert files_under(ns.directory) == ["race.arrow"]
    assert fetch(client, name).column("writer").to_pylist() == [winners[0]] * 10


def test_concurrent_appends_all_land(server, client, ns, data_root):
    name = ns.name("log")
    writers = 8
    uploads = [_open_upload(server, command(name, mode="append"), _tagged(i, 10 + i)) for i in range(writers)]
    # Each upload sends a second batch too, so every part holds two.
    for i, (_, writer, reader) in enumerate(uploads):
        writer.write_batch(_tagged(i, 3))
        assert read_ack(reader)["batches"] == 2
    results = _finish_all(uploads)
    failures = [r for r in results if not isinstance(r, list)]
    assert not failures, failures
    # Publications were serialized: each saw one more part than the last.
    assert sorted(_final(r)["parts"] for r in results) == list(range(1, writers + 1))
    wait_staging_empty(data_root)
    table = fetch(client, name)
    assert table.num_rows == sum(10 + i + 3 for i in range(writers))
    counts = {i: table.column("writer").to_pylist().count(i) for i in range(writers)}
    assert counts == {i: 10 + i + 3 for i in range(writers)}
    parts = sorted(os.listdir(ns.path("log.parts")))
    assert parts == [f"part-{i:06d}.arrow" for i in range(writers)]
    assert sum(read_ipc_file(ns.path("log.parts") / p).num_rows for p in parts) == table.num_rows


def test_overwrite_during_a_running_read_keeps_the_old_version_for_that_reader(client, ns):
    wait_until_idle(client)  # earlier tests' streams are gone: the one opened below is the only one
    name = ns.name("moving")
    v1 = versioned(6_000_000, 1, batches=50)  # ~54 MB: far more than the server and gRPC buffer ahead
    upload(client, command(name), v1)
    reader = client.do_get(flight.Ticket(name.encode()), options=CALL_OPTIONS)
    first = reader.read_chunk()
    assert server_stats(client)["doget_streams_active"] == 1  # the stream is open, most of v1 unsent
    v2 = versioned(1000, 2)
    upload(client, command(name, mode="overwrite"), v2)
    assert_tables_equal(fetch(client, name), v2)  # new readers see the new version at once
    assert_tables_equal(_read_rest(reader, first), v1)  # the open stream finishes the old one
    assert_tables_equal(read_ipc_file(ns.path("moving.arrow")), v2)
    wait_until_idle(client)


def test_delete_during_a_running_read_keeps_the_old_version_for_that_reader(client, ns):
    wait_until_idle(client)  # earlier tests' streams are gone: the one opened below is the only one
    name = ns.name("vanishing")
    v1 = versioned(6_000_000, 1, batches=50)
    upload(client, command(name), v1)
    reader = client.do_get(flight.Ticket(name.encode()), options=CALL_OPTIONS)
    first = reader.read_chunk()
    assert server_stats(client)["doget_streams_active"] == 1
    assert action(client, "delete", name) == {"deleted": name}
    assert not ns.path("vanishing.arrow").exists()
    with pytest.raises(pa.ArrowKeyError, match="not found"):
        fetch(client, name)
    assert_tables_equal(_read_rest(reader, first), v1)
    wait_until_idle(client)


# --------------------------------------------------------------------------------------------
# Actions: describe, delete, rename, refresh, ListActions
# --------------------------------------------------------------------------------------------

def test_list_actions(client):
    assert [a.type for a in client.list_actions(options=CALL_OPTIONS)] == \
           ["describe", "delete", "rename", "refresh", "stats"]


def _modified_ns(text: str) -> int:
    match = re.fullmatch(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?Z", text)
    assert match, f"modified is not an ISO-8601 UTC instant: {text!r}"
    seconds = datetime.datetime.strptime(match.group(1), "%Y-%m-%dT%H:%M:%S").replace(
        tzinfo=datetime.timezone.utc).timestamp()
    return int(seconds) * 1_000_000_000 + int((match.group(2) or "0").ljust(9, "0"))


def test_describe_a_file_dataset(client, ns):
    table = core_table(30)
    upload(client, command(ns.name("d")), table, max_chunksize=8)
    path = ns.path("d.arrow")
    for body in (ns.name("d"), {"dataset": ns.name("d")}, f"  {ns.name('d')}\n"):
        info = action(client, "describe", body)
        assert set(info) == {"dataset", "path", "format", "parts", "rows", "batches", "bytes", "compression",
                             "modified", "schema"}
        assert info["dataset"] == ns.name("d")
        assert info["path"] == f"{ns.prefix}/d.arrow"
        assert (info["format"], info["parts"], info["rows"], info["batches"]) == ("file", 1, 30, 4)
        assert info["bytes"] == path.stat().st_size
        assert info["compression"] == "none"
        assert _modified_ns(info["modified"]) == path.stat().st_mtime_ns
        assert [c["name"] for c in info["schema"]] == table.column_names
        by_name = {c["name"]: c for c in info["schema"]}
        assert by_name["id"]["type"] == "Int(64, true)" and by_name["id"]["nullable"] is True
        assert by_name["dict"].get("dictionary_encoded") is True
        assert "dictionary_encoded" not in by_name["s"]


def test_describe_a_parts_dataset(client, ns):
    upload(client, command(ns.name("p"), mode="append"), versioned(10, 1, batches=2))
    upload(client, command(ns.name("p"), mode="append", compression="zstd"), versioned(5, 2))
    info = describe(client, ns.name("p"))
    parts = ns.path("p.parts")
    assert info["path"] == f"{ns.prefix}/p.parts"
    assert (info["format"], info["parts"], info["rows"], info["batches"]) == ("parts", 2, 15, 3)
    assert info["bytes"] == sum(p.stat().st_size for p in parts.iterdir())
    assert info["compression"] == "none,zstd"
    assert [c["name"] for c in info["schema"]] == ["id", "version"]


@pytest.mark.parametrize("body, error, message", [
    ("", pa.ArrowInvalid, "needs a dataset"),
    ('{"dataset": 3}', pa.ArrowInvalid, '"dataset" in body of action \'describe\' must be a string, not number'),
    ('{"dataset": "x", "extra": 1}', pa.ArrowInvalid, 'unknown key "extra"'),
    ('{"dataset": ', pa.ArrowInvalid, "not valid JSON"),
    ("no/such/dataset", pa.ArrowKeyError, "not found"),
])
def test_describe_errors(client, body, error, message):
    with pytest.raises(error, match=message):
        action(client, "describe", body)


def test_delete_a_file_dataset(client, ns, data_root):
    upload(client, command(ns.name("gone")), numbers_table(5))
    upload(client, command(ns.name("stays")), numbers_table(5))
    assert action(client, "delete", {"dataset": ns.name("gone")}) == {"deleted": ns.name("gone")}
    assert files_under(ns.directory) == ["stays.arrow"]
    assert names_under(client, ns.prefix) == [ns.name("stays")]
    with pytest.raises(pa.ArrowKeyError, match="not found"):
        fetch(client, ns.name("gone"))
    with pytest.raises(pa.ArrowKeyError, match="not found"):
        describe(client, ns.name("gone"))
    with pytest.raises(pa.ArrowKeyError, match="not found"):
        action(client, "delete", ns.name("gone"))
    wait_staging_empty(data_root)


def test_delete_a_parts_dataset_and_every_other_form(client, ns, data_root):
    upload(client, command(ns.name("p"), mode="append"), versioned(5, 1))
    upload(client, command(ns.name("p"), mode="append"), versioned(5, 2))
    ns.write_feather("p", versioned(3, 3))  # a shadowed second form of the same name
    assert action(client, "delete", ns.name("p")) == {"deleted": ns.name("p")}
    assert files_under(ns.directory) == []
    with pytest.raises(pa.ArrowKeyError):
        fetch(client, ns.name("p"))
    wait_staging_empty(data_root)


def test_delete_missing_is_not_found(client, ns):
    with pytest.raises(pa.ArrowKeyError, match="not found"):
        action(client, "delete", {"dataset": ns.name("never")})
    with pytest.raises(pa.ArrowInvalid, match="needs a dataset"):
        action(client, "delete", "")


def test_rename_a_file_dataset(client, ns, data_root):
    table = numbers_table(12)
    upload(client, command(ns.name("a")), table)
    result = action(client, "rename", {"from": ns.name("a"), "to": ns.name("moved/b")})
    assert result == {"renamed": ns.name("a"), "to": ns.name("moved/b"), "path": f"{ns.prefix}/moved/b.arrow"}
    assert files_under(ns.directory) == ["moved", "moved/b.arrow"]
    assert names_under(client, ns.prefix) == [ns.name("moved/b")]
    assert_tables_equal(fetch(client, ns.name("moved/b")), table)
    with pytest.raises(pa.ArrowKeyError):
        fetch(client, ns.name("a"))
    wait_staging_empty(data_root)


def test_rename_a_parts_dataset(client, ns):
    uploads = [versioned(4, 1), versioned(3, 2)]
    for table in uploads:
        upload(client, command(ns.name("p"), mode="append"), table)
    result = action(client, "rename", {"from": ns.name("p"), "to": ns.name("q")})
    assert result["path"] == f"{ns.prefix}/q.parts"
    assert files_under(ns.directory) == ["q.parts", "q.parts/part-000000.arrow", "q.parts/part-000001.arrow"]
    assert_tables_equal(fetch(client, ns.name("q")), pa.concat_tables(uploads))
    # Appending under the new name continues the parts.
    upload(client, command(ns.name("q"), mode="append"), versioned(2, 3))
    assert describe(client, ns.name("q"))["parts"] == 3


def test_rename_onto_existing_needs_overwrite(client, ns):
    a, b = versioned(5, 1), versioned(6, 2)
    upload(client, command(ns.name("a")), a)
    upload(client, command(ns.name("b"), mode="append"), b)
    upload(client, command(ns.name("b"), mode="append"), b)  # b is a parts dataset
    for body in ({"from": ns.name("a"), "to": ns.name("b")},
                 {"from": ns.name("a"), "to": ns.name("b"), "overwrite": False}):
        with pytest.raises(pa.ArrowException, match="already exists") as raised:
            action(client, "rename", body)
        assert not isinstance(raised.value, (pa.ArrowInvalid, pa.ArrowKeyError))
    assert_tables_equal(fetch(client, ns.name("a")), a)
    assert_tables_equal(fetch(client, ns.name("b")), pa.concat_tables([b, b]))
    action(client, "rename", {"from": ns.name("a"), "to": ns.name("b"), "overwrite": True})
    assert files_under(ns.directory) == ["b.arrow"]
    assert_tables_equal(fetch(client, ns.name("b")), a)


@pytest.mark.parametrize("body, error, message", [
    ('{"from": "%s/missing", "to": "%s/x"}', pa.ArrowKeyError, "not found"),
    ('{"from": "%s/a", "to": "%s/x", "force": true}', pa.ArrowInvalid, 'unknown key "force"'),
    ('{"from": "%s/a", "to": "%s/x", "overwrite": "yes"}', pa.ArrowInvalid, '"overwrite" in body of action \'rename\' must be a boolean or null, not string'),
    ('{"from": "%s/a"}', pa.ArrowInvalid, 'needs "to"'),
    ('{"to": "%s/a"}', pa.ArrowInvalid, 'needs "from"'),
    ('{"from": "%s/a", "to": "%s/a"}', pa.ArrowInvalid, "to itself"),
    ('{"from": "%s/a", "to": 7}', pa.ArrowInvalid, '"to" in body of action \'rename\' must be a string, not number'),
    ('{"from": "%s/a", "to": "%s/.hidden"}', pa.ArrowInvalid, "reserved"),
    ('{"from": "%s/a", "to": "../x"}', pa.ArrowInvalid, "not allowed"),
    ('{"from": "%s/a", "to": ', pa.ArrowInvalid, "not valid JSON"),
    ('["%s/a", "%s/x"]', pa.ArrowInvalid, "must be a JSON object"),
    ("%s/a", pa.ArrowInvalid, "not valid JSON"),
])
def test_rename_errors_change_nothing(client, ns, data_root, body, error, message):
    table = numbers_table(4)
    upload(client, command(ns.name("a")), table)
    with pytest.raises(error, match=message):
        action(client, "rename", body.replace("%s", ns.prefix))
    assert files_under(ns.directory) == ["a.arrow"]
    assert_tables_equal(fetch(client, ns.name("a")), table)
    wait_staging_empty(data_root)


def test_refresh_counts_the_datasets(client, ns):
    # The shared root holds other tests' datasets (broken ones too, which listings leave out), so
    # the count is checked by its changes.
    before = action(client, "refresh", {})["datasets"]
    assert before >= len(list_names(client))
    upload(client, command(ns.name("one")), numbers_table(3))
    assert action(client, "refresh", {}) == {"datasets": before + 1}
    upload(client, command(ns.name("one"), mode="append"), numbers_table(3))  # now a parts dataset
    assert action(client, "refresh", "")["datasets"] == before + 1
    # The cache is gone but datasets are still served.
    assert fetch(client, ns.name("one")).num_rows == 6
    action(client, "delete", ns.name("one"))
    assert action(client, "refresh", {})["datasets"] == before
