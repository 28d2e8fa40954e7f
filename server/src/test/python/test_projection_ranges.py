"""Column projection and batch ranges: the server cuts record batches down to the requested top-level
columns without copying (rebuilt header, body slices) and serves half-open batch ranges; the result
must equal the same selection made locally with pyarrow."""

from __future__ import annotations

import json

import pyarrow as pa
import pyarrow.flight as flight
import pyarrow.ipc as ipc
import pytest

from quiver_support import (
    CALL_OPTIONS, Namespace, assert_tables_equal, command_info, endpoint_ticket, fetch, fetch_batches, table_of,
)
from sample_tables import core_table

CHUNK = 7
CORE = core_table(50)
COLUMNS = CORE.column_names


@pytest.fixture(scope="module")
def core_datasets(data_root):
    """core_table(50) in 8 batches, written once per module as file, zstd file, lz4 stream."""
    space = Namespace(data_root, "projection_core")
    return {
        "file": space.write_file("core", CORE, max_chunksize=CHUNK),
        "file-zstd": space.write_file("core_zstd", CORE, max_chunksize=CHUNK,
                                      options=ipc.IpcWriteOptions(compression="zstd")),
        "stream-lz4": space.write_stream("core_lz4", CORE, max_chunksize=CHUNK,
                                         options=ipc.IpcWriteOptions(compression="lz4")),
    }


@pytest.mark.parametrize("fmt", ["file", "file-zstd", "stream-lz4"])
@pytest.mark.parametrize("column", COLUMNS)
def test_each_column_alone(client, core_datasets, fmt, column):
    name = core_datasets[fmt]
    assert_tables_equal(fetch(client, name, columns=[column]), CORE.select([column]))


@pytest.mark.parametrize("fmt", ["file", "file-zstd", "stream-lz4"])
def test_all_columns_reversed(client, core_datasets, fmt):
    reversed_columns = list(reversed(COLUMNS))
    assert_tables_equal(fetch(client, core_datasets[fmt], columns=reversed_columns), CORE.select(reversed_columns))


@pytest.mark.parametrize("fmt", ["file", "stream-lz4"])
def test_all_columns_in_schema_order_equals_no_projection(client, core_datasets, fmt):
    assert_tables_equal(fetch(client, core_datasets[fmt], columns=COLUMNS), CORE)


@pytest.mark.parametrize("fmt", ["file", "file-zstd", "stream-lz4"])
def test_zero_columns_keeps_row_counts(client, core_datasets, fmt):
    # "columns": [] asks for no columns: batches with a row count and nothing else.
    name = core_datasets[fmt]
    schema, batches, _ = fetch_batches(client, name, columns=[])
    assert len(schema) == 0
    assert [b.num_rows for b in batches] == [b.num_rows for b in CORE.to_batches(max_chunksize=CHUNK)]
    table = fetch(client, name, columns=[])
    assert table.num_columns == 0 and table.num_rows == CORE.num_rows
    assert fetch(client, name, columns=[], batches=[2, 4]).num_rows == 2 * CHUNK
    info = command_info(client, {"dataset": name, "columns": []})
    assert info.total_records == CORE.num_rows and len(info.schema) == 0


def test_every_batch_range(client, core_datasets):
    name = core_datasets["file"]
    batches = CORE.to_batches(max_chunksize=CHUNK)
    for start in range(len(batches) + 1):
        for end in range(start, len(batches) + 1):
            _, received, _ = fetch_batches(client, name, batches=[start, end])
            assert [b.num_rows for b in received] == [b.num_rows for b in batches[start:end]], (start, end)
            assert_tables_equal(table_of(received, CORE.schema), table_of(batches[start:end], CORE.schema))


@pytest.mark.parametrize("fmt", ["file", "file-zstd", "stream-lz4"])
def test_empty_range_returns_schema_only(client, core_datasets, fmt):
    for k in (0, 4, 8):
        schema, received, _ = fetch_batches(client, core_datasets[fmt], batches=[k, k])
        assert received == []
        assert schema.equals(CORE.schema, check_metadata=True)
    schema, received, _ = fetch_batches(client, core_datasets[fmt], columns=["mp", "id"], batches=[5, 5])
    assert received == []
    expected = pa.schema([CORE.schema.field("mp"), CORE.schema.field("id")], metadata=CORE.schema.metadata)
    assert schema.equals(expected, check_metadata=True)


@pytest.mark.parametrize("fmt", ["file", "file-zstd", "stream-lz4"])
def test_projection_and_range_together(client, core_datasets, fmt):
    batches = CORE.to_batches(max_chunksize=CHUNK)
    columns = ["los", "mp", "dict", "st", "id"]
    for start, end in [(0, 3), (3, 8), (7, 8)]:
        expected = table_of(batches[start:end], CORE.schema).select(columns)
        assert_tables_equal(fetch(client, core_datasets[fmt], columns=columns, batches=[start, end]), expected)


def test_projection_keeps_schema_and_field_metadata(client, core_datasets):
    got = fetch(client, core_datasets["file"], columns=["st", "id"])
    assert got.schema.metadata == CORE.schema.metadata
    assert got.schema.field("st").metadata == CORE.schema.field("st").metadata
    assert got.schema.field("id").metadata == CORE.schema.field("id").metadata


def test_command_descriptor_gives_projected_info_and_schema(client, core_datasets):
    # A CMD descriptor holding a JSON ticket describes exactly what that ticket would return.
    name = core_datasets["file"]
    body = {"dataset": name, "columns": ["ts_utc", "lst"], "batches": [1, 6]}
    info = command_info(client, body)
    expected_schema = pa.schema([CORE.schema.field("ts_utc"), CORE.schema.field("lst")],
                                metadata=CORE.schema.metadata)
    assert info.schema.equals(expected_schema, check_metadata=True)
    assert info.total_records == 5 * CHUNK
    assert [endpoint_ticket(e) for e in info.endpoints] == [{"dataset": name, "columns": ["ts_utc", "lst"],
                                                            "batches": [1, 6]}]
    got = client.do_get(info.endpoints[0].ticket, options=CALL_OPTIONS).read_all()
    assert_tables_equal(got, CORE.slice(CHUNK, 5 * CHUNK).select(["ts_utc", "lst"]))
    schema = client.get_schema(flight.FlightDescriptor.for_command(json.dumps(body).encode()),
                               options=CALL_OPTIONS).schema
    assert schema.equals(expected_schema, check_metadata=True)


def test_command_descriptor_with_bare_name(client, core_datasets):
    name = core_datasets["file"]
    info = client.get_flight_info(flight.FlightDescriptor.for_command(name.encode()), options=CALL_OPTIONS)
    assert info.total_records == CORE.num_rows
    assert info.schema.equals(CORE.schema, check_metadata=True)


def test_columns_with_unusual_names(client, ns):
    # Names are matched exactly, after JSON decoding: quotes, slashes, unicode, spaces, empty.
    names = ['quote"d', "sl/ash", "ünï ç☃de", " ", "", "back\\slash"]
    table = pa.table({n: pa.array([i, i + 1, None], pa.int32()) for i, n in enumerate(names)})
    name = ns.write_file("odd_names", table, max_chunksize=2)
    wanted = list(reversed(names))
    assert_tables_equal(fetch(client, name, columns=wanted), table.select(wanted))


def test_validity_buffer_present_in_some_batches_only(client, ns):
    # pyarrow omits the validity bitmap (length 0) of batches without nulls; slicing must cope with a
    # column whose buffers are empty in one batch and not in the next.
    table = pa.table({
        "a": pa.array([None, 1, 2, 3, 4, 5], pa.int64()),
        "b": pa.array(["x", None, "z", "w", "v", "u"]),
        "c": pa.array([[1], [2], None, [4], [5], [6]], pa.list_(pa.int8())),
    })
    name = ns.write_file("validity", table, max_chunksize=3)
    for columns in (["c"], ["b", "a"], ["c", "a"]):
        assert_tables_equal(fetch(client, name, columns=columns), table.select(columns))
        assert_tables_equal(fetch(client, name, columns=columns, batches=[1, 2]),
                            table.slice(3, 3).select(columns))


def test_wide_table_projection(client, ns):
    # 300 columns: the rebuilt header lists only the chosen ones.
    table = pa.table({f"c{i}": pa.array(range(i, i + 20), pa.int32() if i % 2 else pa.int64())
                      for i in range(300)})
    name = ns.write_file("wide", table, max_chunksize=6)
    wanted = ["c299", "c0", "c150", "c151"]
    assert_tables_equal(fetch(client, name, columns=wanted), table.select(wanted))
    assert_tables_equal(fetch(client, name), table)


def test_null_columns_and_batches_mean_everything(client, core_datasets):
    name = core_datasets["file"]
    assert_tables_equal(fetch(client, {"dataset": name, "columns": None, "batches": None}), CORE)
