"""Dictionary-encoded columns: dictionaries go out before the batches that use them, only the ones the
projected columns need, and for a batch range the dictionary state in force at its first batch is
replayed (the last replacement of each dictionary and the deltas after it), so every batch decodes
exactly as a stream reader of the whole file would decode it."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.ipc as ipc
import pytest

from quiver_support import assert_tables_equal, fetch, fetch_batches, table_of

SCHEMA = pa.schema([
    ("n", pa.int32()),
    ("color", pa.dictionary(pa.int16(), pa.string())),
    ("size", pa.dictionary(pa.int8(), pa.large_string())),
    ("tags", pa.list_(pa.dictionary(pa.int32(), pa.string()))),
])

# Per batch: the color dictionary in force. Batches 1-2 extend batch 0's (deltas), batch 3 replaces it,
# batch 4 extends the replacement, batch 5 (zero rows) uses it unchanged, batch 6 replaces it again.
COLOR_DICTIONARIES = [
    ["red", "green"],
    ["red", "green", "blue"],
    ["red", "green", "blue", "violet"],
    ["cyan", "magenta"],
    ["cyan", "magenta", "yellow"],
    ["cyan", "magenta", "yellow"],
    ["black"],
]
ROWS = [4, 3, 5, 2, 4, 0, 3]
SIZES = pa.array(["S", "M", "L"], pa.large_string())  # never changes
TAG_DICTIONARIES = [["t0"], ["t0"], ["t0", "t1"], ["t0", "t1"], ["x"], ["x", "y"], ["x", "y"]]


def _batch(i: int) -> pa.RecordBatch:
    rows = ROWS[i]
    colors = pa.array(COLOR_DICTIONARIES[i])
    tag_values = pa.array(TAG_DICTIONARIES[i])
    color = pa.DictionaryArray.from_arrays(
        pa.array([(r + i) % len(colors) if r != 1 else None for r in range(rows)], pa.int16()), colors)
    size = pa.DictionaryArray.from_arrays(pa.array([r % 3 for r in range(rows)], pa.int8()), SIZES)
    tag_indices = pa.array([(r + j) % len(tag_values) for r in range(rows) for j in range(r % 3)], pa.int32())
    offsets = [0]
    for r in range(rows):
        offsets.append(offsets[-1] + r % 3)
    tags = pa.ListArray.from_arrays(pa.array(offsets, pa.int32()),
                                    pa.DictionaryArray.from_arrays(tag_indices, tag_values))
    return pa.record_batch([pa.array(range(100 * i, 100 * i + rows), pa.int32()), color, size, tags], schema=SCHEMA)


BATCHES = [_batch(i) for i in range(len(ROWS))]
DELTAS = ipc.IpcWriteOptions(emit_dictionary_deltas=True)


@pytest.fixture
def delta_stream(ns):
    """A stream file with dictionary deltas and replacements; returns (name, batches as read locally)."""
    name = ns.write_stream("deltas", BATCHES, schema=SCHEMA, options=DELTAS)
    path = ns.path("deltas.arrows")
    with ipc.open_stream(path) as reader:
        local = list(reader)
        stats = reader.stats
    # The premise of these tests: the file really interleaves deltas and replacements.
    assert stats.num_dictionary_deltas >= 3 and stats.num_replaced_dictionaries >= 2, stats
    return name, local


def _assert_batches_equal(received, expected):
    assert [b.num_rows for b in received] == [b.num_rows for b in expected]
    for index, (got, want) in enumerate(zip(received, expected)):
        # RecordBatch.equals compares dictionaries too: each batch must carry the dictionary in force.
        assert got.equals(want), f"batch {index}: {got.to_pydict()} != {want.to_pydict()}"


def test_stream_with_deltas_and_replacements_reads_whole(client, delta_stream):
    name, local = delta_stream
    schema, received, _ = fetch_batches(client, name)
    assert schema.equals(SCHEMA)
    _assert_batches_equal(received, local)
    assert fetch(client, name).to_pylist() == table_of(BATCHES, SCHEMA).to_pylist()


def test_stream_with_deltas_every_batch_range(client, delta_stream):
    # Ranges starting mid-stream need the replayed state: e.g. [4, 6) needs the batch-3 replacement
    # plus the batch-4 delta of "color", and the still-current "size" and "tags" dictionaries.
    name, local = delta_stream
    count = len(BATCHES)
    for start in range(count + 1):
        for end in range(start, count + 1):
            _, received, _ = fetch_batches(client, name, batches=[start, end])
            _assert_batches_equal(received, local[start:end])


def test_stream_with_deltas_projected_ranges(client, delta_stream):
    name, local = delta_stream
    for columns in (["color"], ["tags", "n"], ["size", "color"]):
        for start, end in [(0, 7), (2, 5), (3, 4), (4, 7), (6, 7), (5, 6)]:
            _, received, _ = fetch_batches(client, name, columns=columns, batches=[start, end])
            expected = [b.select(columns) for b in local[start:end]]
            _assert_batches_equal(received, expected)


def test_only_the_projected_columns_dictionaries_are_sent(client, delta_stream):
    name, _ = delta_stream
    _, received, stats = fetch_batches(client, name, columns=["n"])
    assert stats.num_dictionary_batches == 0, stats
    assert sum(b.num_rows for b in received) == sum(ROWS)

    # "size" never changes: exactly one dictionary message, though "color" and "tags" have many.
    _, received, stats = fetch_batches(client, name, columns=["size"])
    assert stats.num_dictionary_batches == 1, stats
    _assert_batches_equal(received, [b.select(["size"]) for b in BATCHES])


def test_range_replays_the_current_dictionary_state_only(client, delta_stream):
    # From batch 4 on, "color" is the batch-3 replacement plus the batch-4 delta: everything earlier
    # was superseded and must not be needed to decode.
    name, local = delta_stream
    _, received, stats = fetch_batches(client, name, columns=["color"], batches=[4, 7])
    _assert_batches_equal(received, [b.select(["color"]) for b in local[4:7]])
    assert stats.num_dictionary_batches >= 2, stats


def test_file_format_with_dictionary_deltas(client, ns):
    # The file format allows deltas (not replacements); readers apply all dictionaries up front, so
    # the reference is pyarrow's own file reader.
    batches = [_batch(i) for i in range(3)]  # batches 0-2: only deltas
    schema = SCHEMA
    name = ns.write_file("file_deltas", batches, schema=schema, options=DELTAS)
    with ipc.open_file(ns.path("file_deltas.arrow")) as reader:
        local = [reader.get_batch(i) for i in range(reader.num_record_batches)]
    assert_tables_equal(fetch(client, name), table_of(local, schema))
    for start, end in [(0, 1), (1, 3), (2, 3), (1, 1)]:
        _, received, _ = fetch_batches(client, name, batches=[start, end])
        _assert_batches_equal(received, local[start:end])
    # Decoded values match what was written, whatever the dictionary layout.
    assert fetch(client, name).to_pylist() == table_of(batches, schema).to_pylist()


def test_dictionary_column_projection_in_file_format(client, ns):
    batches = [_batch(0), _batch(0), _batch(0)]
    name = ns.write_file("plain", batches, schema=SCHEMA)
    _, received, stats = fetch_batches(client, name, columns=["color"])
    assert stats.num_dictionary_batches == 1, stats
    _assert_batches_equal(received, [b.select(["color"]) for b in batches])
    name = ns.write_stream("plain_stream", batches, schema=SCHEMA)
    _, received, stats = fetch_batches(client, name, columns=["tags", "color"], batches=[1, 3])
    assert stats.num_dictionary_batches == 2, stats
    _assert_batches_equal(received, [b.select(["tags", "color"]) for b in batches[1:3]])
