"""Every way pyarrow writes Arrow IPC data comes back from Quiver equal to what was written.

The server sends batches exactly as stored (compressed bodies stay compressed, pyarrow decompresses),
so a round trip must give the very same table: same schema with its metadata, same values, same
batch boundaries.
"""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pyarrow.ipc as ipc
import pytest

from quiver_support import (
    assert_tables_equal, endpoint_ticket, fetch, fetch_batches, flight_info, read_local_file, table_of,
)
from sample_tables import core_table, exotic_columns

CHUNK = 7  # rows per batch: core_table(50) becomes 8 batches, the last one short


# Pre-1.0 metadata: still written on request, still readable by every Arrow library. Its record
# batches list a validity buffer slot for unions (and, as pyarrow writes them, run-end-encoded
# arrays) that V5 dropped, so a projection must not assume V5 buffer counts.
V4 = ipc.MetadataVersion.V4


def _options(compression, metadata_version):
    if compression is None and metadata_version is None:
        return None
    return ipc.IpcWriteOptions(compression=compression, metadata_version=metadata_version or ipc.MetadataVersion.V5)


def _file(compression=None, ext=".arrow", metadata_version=None):
    def write(ns, rel, table):
        options = _options(compression, metadata_version)
        return ns.write_file(rel, table, ext=ext, max_chunksize=CHUNK, options=options), ns.path(rel + ext)
    return write


def _stream(compression=None, ext=".arrows", metadata_version=None):
    def write(ns, rel, table):
        options = _options(compression, metadata_version)
        return ns.write_stream(rel, table, ext=ext, max_chunksize=CHUNK, options=options), ns.path(rel + ext)
    return write


def _feather(compression):
    def write(ns, rel, table):
        return ns.write_feather(rel, table, compression=compression, chunksize=CHUNK), ns.path(rel + ".feather")
    return write


def _unknown_extension(inner, ext):
    """A file whose extension the server does not know: served under its full file name."""
    def write(ns, rel, table):
        _, path = inner(ns, rel, table)
        return ns.name(rel + ext), path
    return write


WRITERS = {
    "file": _file(),
    "file-lz4": _file("lz4"),
    "file-zstd": _file("zstd"),
    "file-ipc-extension": _file(ext=".ipc"),
    "file-metadata-v4": _file(metadata_version=V4),
    "stream-metadata-v4": _stream(metadata_version=V4),  # uncompressed: compression needs V5
    "stream": _stream(),
    "stream-lz4": _stream("lz4"),
    "stream-zstd": _stream("zstd"),
    "feather-uncompressed": _feather("uncompressed"),
    "feather-lz4": _feather("lz4"),
    "feather-zstd": _feather("zstd"),
    "file-unknown-extension": _unknown_extension(_file(ext=".bin"), ".bin"),
    "stream-unknown-extension": _unknown_extension(_stream(ext=".log"), ".log"),
}


@pytest.fixture(params=list(WRITERS), ids=list(WRITERS))
def written(request, ns):
    """(dataset name, the table written, its path) for each way of writing core_table()."""
    table = core_table(50)
    name, path = WRITERS[request.param](ns, "core", table)
    return name, table, path


def test_whole_dataset_equals_what_was_written(client, written):
    name, table, _ = written
    assert_tables_equal(fetch(client, name), table)


def test_batches_are_sent_as_stored(client, written):
    # The server forwards record batches one for one: same count, same row counts, same content.
    name, table, _ = written
    schema, batches, _ = fetch_batches(client, name)
    expected = table.to_batches(max_chunksize=CHUNK)
    assert [b.num_rows for b in batches] == [b.num_rows for b in expected]
    for got, want in zip(batches, expected):
        assert got.equals(want)
    assert schema.equals(table.schema, check_metadata=True)


def test_same_as_pyarrow_reading_the_file_itself(client, written):
    name, _, path = written
    assert_tables_equal(fetch(client, name), read_local_file(path))


def test_projection_in_a_different_order(client, written):
    # Columns come back in the order asked for, with nested, dictionary, null-type and metadata-carrying
    # columns among them.
    name, table, _ = written
    columns = ["st", "nothing", "dict", "los", "ts_paris", "dec256", "id", "mp", "fsl", "s"]
    assert_tables_equal(fetch(client, name, columns=columns), table.select(columns))


def test_batch_ranges(client, written):
    name, table, _ = written
    expected_batches = table.to_batches(max_chunksize=CHUNK)
    for start, end in [(0, 1), (2, 5), (7, 8), (0, 8), (3, 3), (8, 8)]:
        got = fetch(client, name, batches=[start, end])
        assert_tables_equal(got, table_of(expected_batches[start:end], table.schema))


def test_projection_with_batch_range(client, written):
    name, table, _ = written
    columns = ["dec128", "llst", "id"]
    expected = table_of(table.to_batches(max_chunksize=CHUNK)[1:4], table.schema).select(columns)
    assert_tables_equal(fetch(client, name, columns=columns, batches=[1, 4]), expected)


def test_flight_info_describes_the_dataset(client, written):
    name, table, _ = written
    info = flight_info(client, name)
    assert info.schema.equals(table.schema, check_metadata=True)
    assert info.total_records == table.num_rows
    assert info.total_bytes > 0
    assert len(info.endpoints) == 1
    assert endpoint_ticket(info.endpoints[0]) == {"dataset": name, "batches": [0, 8]}
    assert_tables_equal(client.do_get(info.endpoints[0].ticket).read_all(), table)


# --------------------------------------------------------------------------------------------
# Types beyond the everyday ones, one at a time
# --------------------------------------------------------------------------------------------

EXOTIC = exotic_columns(12)
EXOTIC_CHUNK = 5  # 12 rows -> batches of 5, 5, 2


def _exotic_table(type_name):
    return pa.table({"id": pa.array(range(12), pa.int64()), "v": EXOTIC[type_name],
                     "tail": pa.array([f"t{i}" for i in range(12)])})


@pytest.fixture(params=["file", "stream", "file-v4"])
def exotic(request, ns):
    """(dataset name, table) factory for one exotic type: file, stream, or file with V4 metadata."""
    def make(type_name):
        table = _exotic_table(type_name)
        if request.param == "file":
            return ns.write_file(type_name, table, max_chunksize=EXOTIC_CHUNK), table
        if request.param == "file-v4":
            options = ipc.IpcWriteOptions(metadata_version=V4)
            return ns.write_file(type_name, table, max_chunksize=EXOTIC_CHUNK, options=options), table
        return ns.write_stream(type_name, table, max_chunksize=EXOTIC_CHUNK), table
    return make


@pytest.mark.parametrize("type_name", list(EXOTIC))
def test_exotic_type_whole(client, exotic, type_name):
    name, table = exotic(type_name)
    assert_tables_equal(fetch(client, name), table)


@pytest.mark.parametrize("type_name", list(EXOTIC))
def test_exotic_type_projected_alone_and_reordered(client, exotic, type_name):
    name, table = exotic(type_name)
    assert_tables_equal(fetch(client, name, columns=["v"]), table.select(["v"]))
    assert_tables_equal(fetch(client, name, columns=["tail", "v", "id"]), table.select(["tail", "v", "id"]))


@pytest.mark.parametrize("type_name", list(EXOTIC))
def test_exotic_type_present_but_not_projected(client, exotic, type_name):
    # Projecting other columns must skip this column's buffers correctly, whatever its layout.
    name, table = exotic(type_name)
    assert_tables_equal(fetch(client, name, columns=["tail", "id"]), table.select(["tail", "id"]))


@pytest.mark.parametrize("type_name", list(EXOTIC))
def test_exotic_type_batch_range(client, exotic, type_name):
    name, table = exotic(type_name)
    expected = table_of(table.to_batches(max_chunksize=EXOTIC_CHUNK)[1:3], table.schema)
    assert_tables_equal(fetch(client, name, batches=[1, 3]), expected)


# --------------------------------------------------------------------------------------------
# Empty data
# --------------------------------------------------------------------------------------------

EMPTY_SCHEMA = pa.schema([("id", pa.int64()), ("s", pa.string()),
                          ("d", pa.dictionary(pa.int16(), pa.string()))], metadata={b"k": b"v"})


@pytest.mark.parametrize("fmt", ["file", "stream"])
def test_dataset_without_batches(client, ns, fmt):
    # Only a schema: DoGet returns it with no rows, FlightInfo has one endpoint covering [0, 0).
    write = ns.write_file if fmt == "file" else ns.write_stream
    name = write("empty", [], schema=EMPTY_SCHEMA)
    got = fetch(client, name)
    assert got.num_rows == 0
    assert got.schema.equals(EMPTY_SCHEMA, check_metadata=True)
    info = flight_info(client, name)
    assert info.total_records == 0
    assert [endpoint_ticket(e) for e in info.endpoints] == [{"dataset": name, "batches": [0, 0]}]
    assert fetch(client, name, batches=[0, 0]).schema.equals(EMPTY_SCHEMA, check_metadata=True)
    projected = fetch(client, name, columns=["s"])
    assert projected.num_rows == 0
    assert projected.schema.equals(pa.schema([EMPTY_SCHEMA.field("s")], metadata=EMPTY_SCHEMA.metadata),
                                   check_metadata=True)


@pytest.mark.parametrize("fmt", ["file", "stream"])
def test_zero_row_batches_are_kept(client, ns, fmt):
    schema = pa.schema([("id", pa.int64()), ("tag", pa.dictionary(pa.int8(), pa.string()))])
    tags = pa.array(["a", "b", "c"]).dictionary_encode()
    dictionary_type = schema.field("tag").type

    def batch(ids):
        indices = pa.array([i % 3 for i in ids], pa.int8())
        return pa.record_batch([pa.array(ids, pa.int64()),
                                pa.DictionaryArray.from_arrays(indices, tags.dictionary).cast(dictionary_type)],
                               schema=schema)

    batches = [batch([1, 2, 3]), batch([]), batch([4, 5]), batch([])]
    write = ns.write_file if fmt == "file" else ns.write_stream
    name = write("zero_rows", batches, schema=schema)
    _, received, _ = fetch_batches(client, name)
    assert [b.num_rows for b in received] == [3, 0, 2, 0]
    assert_tables_equal(fetch(client, name), table_of(batches, schema))
    assert_tables_equal(fetch(client, name, batches=[1, 2]), table_of(batches[1:2], schema))
    assert_tables_equal(fetch(client, name, columns=["tag"], batches=[1, 4]),
                        table_of(batches[1:4], schema).select(["tag"]))
    assert flight_info(client, name).total_records == 5


# --------------------------------------------------------------------------------------------
# Real-world writers
# --------------------------------------------------------------------------------------------

def test_pandas_dataframe_via_feather(client, ns):
    frame = pd.DataFrame({
        "city": ["Lyon", "Oslo", None, "Quito"],
        "population": [516_092, 709_037, 0, 2_800_000],
        "area": [47.87, 454.0, None, 372.4],
        "when": pd.to_datetime(["2024-01-01", "2024-06-30", "2023-12-31", "2022-02-02"]).tz_localize("Asia/Tokyo"),
        "kind": pd.Categorical(["big", "big", "small", "big"]),
    })
    table = pa.Table.from_pandas(frame)
    name = ns.write_feather("frame", table, compression="zstd")
    got = fetch(client, name)
    assert_tables_equal(got, table)  # includes the b"pandas" schema metadata
    pd.testing.assert_frame_equal(got.to_pandas(), frame)


def test_many_batches_of_a_few_megabytes(client, ns):
    import numpy as np
    rows = 400_000
    table = pa.table({"a": np.arange(rows, dtype=np.int64), "b": np.arange(rows, dtype=np.float64) / 3,
                      "c": pa.array(np.arange(rows) % 1000).cast(pa.string())})
    name = ns.write_file("big", table, max_chunksize=10_000, options=ipc.IpcWriteOptions(compression="zstd"))
    assert_tables_equal(fetch(client, name), table)
    assert_tables_equal(fetch(client, name, columns=["c", "a"], batches=[5, 33]),
                        table.slice(50_000, 280_000).select(["c", "a"]))


@pytest.mark.parametrize("fmt", ["file", "stream"])
def test_batches_with_custom_metadata_are_served(client, ns, fmt):
    # IPC messages may carry their own key/value metadata; the projected header must carry it along
    # without breaking the message. (pyarrow's Flight reader does not expose per-batch metadata, so
    # only the data can be compared here.)
    schema = pa.schema([("a", pa.int32()), ("b", pa.string())])
    batches = [pa.record_batch([pa.array([i, i + 1], pa.int32()), pa.array([f"x{i}", None])], schema=schema)
               for i in range(3)]
    path = ns.path("custom" + (".arrow" if fmt == "file" else ".arrows"))
    open_writer = ipc.new_file if fmt == "file" else ipc.new_stream
    with open_writer(path, schema) as writer:
        for i, batch in enumerate(batches):
            writer.write_batch(batch, custom_metadata={"batch": str(i), "note": "per-batch metadata"})
    name = ns.name("custom")
    for columns, batch_range in [(None, None), (["b"], None), (None, [1, 3]), (["b", "a"], [2, 3])]:
        _, received, _ = fetch_batches(client, name, columns, batch_range)
        first, end = batch_range or (0, 3)
        expected = [b.select(columns) if columns else b for b in batches[first:end]]
        assert len(received) == len(expected)
        for got, want in zip(received, expected):
            assert got.equals(want)


def test_content_decides_the_format_not_the_extension(client, ns):
    # A stream saved as .arrow and a file saved as .arrows are both served.
    table = core_table(20)
    stream_named_arrow = ns.write_stream("stream_as_file", table, ext=".arrow", max_chunksize=CHUNK)
    file_named_arrows = ns.write_file("file_as_stream", table, ext=".arrows", max_chunksize=CHUNK)
    for name in (stream_named_arrow, file_named_arrows):
        assert_tables_equal(fetch(client, name), table)
        assert_tables_equal(fetch(client, name, columns=["mp", "id"], batches=[1, 3]),
                            table.slice(CHUNK, 2 * CHUNK).select(["mp", "id"]))


@pytest.mark.parametrize("fmt", ["file", "stream"])
def test_thousands_of_tiny_batches(client, ns, fmt):
    table = pa.table({"n": pa.array(range(5000), pa.int32()),
                      "tag": pa.array([str(i % 7) for i in range(5000)]).dictionary_encode()})
    write = ns.write_file if fmt == "file" else ns.write_stream
    name = write("tiny", table, max_chunksize=1)
    assert_tables_equal(fetch(client, name), table)
    assert_tables_equal(fetch(client, name, batches=[4990, 5000]), table.slice(4990))
    assert_tables_equal(fetch(client, name, columns=["tag"], batches=[2500, 2502]),
                        table.slice(2500, 2).select(["tag"]))
    assert flight_info(client, name).total_records == 5000


@pytest.mark.parametrize("fmt", ["file", "stream"])
def test_legacy_pre_0_15_message_format(client, ns, fmt):
    # Arrow < 0.15 wrote messages without the 0xFFFFFFFF continuation marker (length first);
    # pyarrow still writes (use_legacy_format=True) and reads them.
    table = core_table(20)
    options = ipc.IpcWriteOptions(use_legacy_format=True)
    write = ns.write_file if fmt == "file" else ns.write_stream
    name = write("legacy", table, max_chunksize=CHUNK, options=options)
    assert_tables_equal(fetch(client, name), table)
    assert_tables_equal(fetch(client, name, columns=["dict", "id"], batches=[1, 2]),
                        table.slice(CHUNK, CHUNK).select(["dict", "id"]))


def test_stream_without_end_of_stream_marker(client, ns):
    # A stream whose writer stopped right after a batch (no 8-byte end-of-stream marker) still holds
    # whole batches; pyarrow reads it, and so should the server.
    table = core_table(20)
    ns.write_stream("unterminated", table, max_chunksize=CHUNK)
    path = ns.path("unterminated.arrows")
    data = path.read_bytes()
    assert data[-8:] == b"\xff\xff\xff\xff\x00\x00\x00\x00"
    ns.write_bytes("unterminated.arrows", data[:-8])
    assert_tables_equal(read_local_file(path), table)
    assert_tables_equal(fetch(client, ns.name("unterminated")), table)
