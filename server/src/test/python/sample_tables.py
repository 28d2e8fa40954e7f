"""Tables the tests write with pyarrow and expect back unchanged. Deterministic: no randomness, no NaN
(NaN != NaN would make equal tables compare unequal)."""

from __future__ import annotations

import datetime
import decimal
import uuid

import numpy as np
import pyarrow as pa

SCHEMA_METADATA = {b"origin": b"quiver-interop-test", b"purpose": b"schema metadata must survive"}


def _nullable(values, every=5):
    """values with every `every`-th entry (from 3) replaced by None."""
    return [None if i % every == 3 else v for i, v in enumerate(values)]


def core_table(rows: int = 50) -> pa.Table:
    """Most everyday Arrow types, nulls throughout, schema and field metadata."""
    r = range(rows)
    paris = datetime.timezone(datetime.timedelta(hours=1))
    columns = {
        "id": pa.array(list(r), pa.int64()),
        "i8": pa.array(_nullable([i % 100 - 50 for i in r]), pa.int8()),
        "u16": pa.array([i * 7 % 65536 for i in r], pa.uint16()),
        "i32": pa.array(_nullable([i * -3 for i in r], 4), pa.int32()),
        "u64": pa.array([2**63 + i for i in r], pa.uint64()),
        "f32": pa.array(_nullable([i / 4 for i in r]), pa.float32()),
        "f64": pa.array([i * 1.25e10 for i in r], pa.float64()),
        "flag": pa.array(_nullable([i % 3 == 0 for i in r], 7), pa.bool_()),
        "s": pa.array(_nullable([f"row {i} é✓" * (i % 4) for i in r]), pa.string()),
        "bin": pa.array(_nullable([bytes([i % 256]) * (i % 6) for i in r], 6), pa.binary()),
        "ls": pa.array(_nullable([f"large {i}" for i in r]), pa.large_string()),
        "lb": pa.array([bytes(range(i % 9)) for i in r], pa.large_binary()),
        "fsb": pa.array(_nullable([i.to_bytes(4, "little") for i in r]), pa.binary(4)),
        "d32": pa.array(_nullable([datetime.date(2020, 1, 1) + datetime.timedelta(days=i) for i in r]), pa.date32()),
        "d64": pa.array([datetime.date(1999, 12, 31) + datetime.timedelta(days=i) for i in r], pa.date64()),
        "t32": pa.array([i * 1000 for i in r], pa.time32("ms")),
        "t64": pa.array(_nullable([i * 1_000_000_007 for i in r]), pa.time64("ns")),
        "ts_paris": pa.array(_nullable([datetime.datetime(2024, 3, 31, 0, 30, tzinfo=paris)
                                        + datetime.timedelta(minutes=37 * i) for i in r]),
                             pa.timestamp("us", tz="Europe/Paris")),
        "ts_utc": pa.array([1_700_000_000_000_000_000 + i * 123_456_789 for i in r], pa.timestamp("ns", tz="UTC")),
        "ts_naive": pa.array([1_000_000_000 + i for i in r], pa.timestamp("s")),
        "dur": pa.array(_nullable([i * 1500 for i in r]), pa.duration("ms")),
        "mdn": pa.array(_nullable([pa.MonthDayNano([i, -i, i * 1000]) for i in r]), pa.month_day_nano_interval()),
        "dec128": pa.array(_nullable([decimal.Decimal(f"{i * 12345}.{i % 10000:04d}") for i in r]),
                           pa.decimal128(20, 4)),
        "dec256": pa.array([decimal.Decimal(f"-{i}123456789012345678901234567890.{i:010d}") for i in r],
                           pa.decimal256(50, 10)),
        "lst": pa.array(_nullable([list(range(i % 4)) for i in r]), pa.list_(pa.int32())),
        "llst": pa.array([[f"x{j}" for j in range(i % 3)] for i in r], pa.large_list(pa.string())),
        "fsl": pa.array(_nullable([[i, i + 0.5, -i] for i in r]), pa.list_(pa.float32(), 3)),
        "st": pa.array(_nullable([{"x": i, "y": f"y{i}" if i % 2 else None} for i in r]),
                       pa.struct([("x", pa.int32()), ("y", pa.string())])),
        "mp": pa.array(_nullable([[(f"k{j}", i * j) for j in range(i % 3)] for i in r]),
                       pa.map_(pa.string(), pa.int64())),
        "los": pa.array(_nullable([[{"a": j, "b": [str(i)] * j} for j in range(i % 3)] for i in r]),
                        pa.list_(pa.struct([("a", pa.int16()), ("b", pa.list_(pa.string()))]))),
        "dict": pa.array(_nullable([["red", "green", "blue"][i % 3] for i in r]),
                         pa.string()).dictionary_encode(),
        "nothing": pa.nulls(rows),
    }
    fields = []
    for name, array in columns.items():
        metadata = None
        if name == "id":
            metadata = {b"description": b"row number"}
        elif name == "st":
            metadata = {b"unit": b"none", b"nested": b"yes"}
        fields.append(pa.field(name, array.type, nullable=True, metadata=metadata))
    return pa.Table.from_arrays(list(columns.values()), schema=pa.schema(fields, metadata=SCHEMA_METADATA))


def numbers_table(rows: int) -> pa.Table:
    """A plain two-column table; cheap to make at any size."""
    ids = np.arange(rows, dtype=np.int64)
    return pa.table({"id": ids, "value": (ids * 0.5).astype(np.float64)})


def big_table(target_bytes: int) -> pa.Table:
    """About `target_bytes` of int64 data (two columns)."""
    rows = target_bytes // 16
    ids = np.arange(rows, dtype=np.int64)
    return pa.table({"id": ids, "square": ids * ids})


def _ree(values, run_end_type=pa.int32()):
    """Run-end encodes `values` (a list) into a RunEndEncodedArray."""
    run_ends, run_values = [], []
    for i, v in enumerate(values):
        if run_values and run_values[-1] == v:
            run_ends[-1] = i + 1
        else:
            run_values.append(v)
            run_ends.append(i + 1)
    return pa.RunEndEncodedArray.from_arrays(pa.array(run_ends, run_end_type), pa.array(run_values))


def exotic_columns(rows: int = 12) -> dict[str, pa.Array]:
    """Types less commonly met, each tested on its own so one failure does not hide the others."""
    r = range(rows)
    long_strings = [None if i % 5 == 3 else ("short" if i % 2 else f"a string longer than twelve bytes {i}")
                    for i in r]
    types = {
        "float16": pa.array(np.array([i / 8 for i in r], dtype=np.float16)),
        "dense_union": pa.UnionArray.from_dense(
            pa.array([i % 2 for i in r], pa.int8()),
            pa.array([i // 2 for i in r], pa.int32()),
            [pa.array(list(range((rows + 1) // 2)), pa.int64()), pa.array([f"u{i}" for i in range(rows // 2)])],
            ["i", "s"]),
        "sparse_union": pa.UnionArray.from_sparse(
            pa.array([i % 3 % 2 for i in r], pa.int8()),
            [pa.array(list(r), pa.int64()), pa.array([f"s{i}" for i in r])],
            ["i", "s"]),
        "string_view": pa.array(long_strings, pa.string_view()),
        # Only strings of at most 12 bytes: all inline in the views, no variadic data buffers.
        "string_view_inline_only": pa.array([None if i % 5 == 3 else f"s{i}" for i in r], pa.string_view()),
        "binary_view": pa.array([None if v is None else v.encode() * 2 for v in long_strings], pa.binary_view()),
        "list_view": pa.array([None if i % 4 == 1 else list(range(i % 5)) for i in r], pa.list_view(pa.int32())),
        "large_list_view": pa.array([[f"v{i}"] * (i % 3) for i in r], pa.large_list_view(pa.string())),
        "run_end_encoded": _ree([f"run{i // 4}" for i in r]),
        "uuid": pa.array([uuid.UUID(int=i * 0x1234567890ABCDEF).bytes for i in r], pa.uuid()),
        "decimal32": pa.array([decimal.Decimal(f"{i}.{i % 100:02d}") for i in r], pa.decimal32(7, 2)),
        "decimal64": pa.array([decimal.Decimal(f"-{i}12345.{i % 1000:03d}") for i in r], pa.decimal64(15, 3)),
        "ordered_dict_large_string": pa.DictionaryArray.from_arrays(
            pa.array([i % 3 for i in r], pa.int32()), pa.array(["low", "mid", "high"], pa.large_string()),
            ordered=True),
        "list_of_dict": pa.ListArray.from_arrays(
            pa.array([min(i, rows - 1) for i in range(0, rows + 1)], pa.int32()),
            pa.array([["a", "b", "c"][i % 3] for i in range(rows - 1)]).dictionary_encode()),
        "struct_with_dict": pa.StructArray.from_arrays(
            [pa.array([["p", "q"][i % 2] for i in r]).dictionary_encode(), pa.array(list(r), pa.int16())],
            ["tag", "n"]),
        "struct_of_views": pa.StructArray.from_arrays(
            [pa.array(long_strings, pa.string_view()), pa.array(list(r), pa.int8())], ["text", "n"]),
        "large_list_of_struct_of_map": pa.array(
            [[{"m": [("k", i)]}] * (i % 2) for i in r],
            pa.large_list(pa.struct([("m", pa.map_(pa.string(), pa.int64()))]))),
    }
    for name, array in types.items():
        assert len(array) == rows, (name, len(array))
    return types
