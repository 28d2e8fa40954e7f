"""Files written by polars, the other big producer of Arrow IPC files, are served unchanged.

Recent polars writes string_view/binary_view columns (variadic data buffers) and categoricals as
dictionaries of string_view; pl.read_ipc(memory_map=True) maps the same file the server maps.
"""

from __future__ import annotations

import datetime

import polars as pl
import pyarrow as pa
import pyarrow.ipc as ipc
import pytest

from quiver_support import assert_tables_equal, fetch, flight_info, read_local_file


def _frame() -> pl.DataFrame:
    """Three chunks (so three record batches), nulls, long and short strings, nested types."""
    parts = []
    for part in range(3):
        n = 40
        parts.append(pl.DataFrame({
            "i": pl.Series([part * 1000 + r for r in range(n)], dtype=pl.Int64),
            "f": [None if r % 7 == 0 else r / 3 for r in range(n)],
            "s": [None if r % 5 == 0 else ("k" if r % 2 else f"a much longer string value {part}-{r}")
                  for r in range(n)],
            "c": pl.Series([["alpha", "beta", "gamma"][r % 3] for r in range(n)], dtype=pl.Categorical),
            "l": [[r] * (r % 3) for r in range(n)],
            "st": [{"a": r, "b": f"b{r}"} for r in range(n)],
            "ts": pl.Series([datetime.datetime(2024, 1, 1) + datetime.timedelta(hours=r) for r in range(n)])
            .dt.replace_time_zone("America/New_York"),
            "d": [datetime.date(2020, 2, 29) + datetime.timedelta(days=r) for r in range(n)],
            "b": [r % 4 == 0 for r in range(n)],
            "bin": [bytes([r]) * (r % 20) for r in range(n)],
        }))
    return pl.concat(parts, rechunk=False)


WRITERS = {
    "ipc": lambda df, path: df.write_ipc(path),
    "ipc-lz4": lambda df, path: df.write_ipc(path, compression="lz4"),
    "ipc-zstd": lambda df, path: df.write_ipc(path, compression="zstd"),
    "ipc-stream": lambda df, path: df.write_ipc_stream(path),
    "ipc-oldest-compat": lambda df, path: df.write_ipc(path, compat_level=pl.CompatLevel.oldest()),
}


@pytest.fixture(params=list(WRITERS))
def polars_file(request, ns):
    """(dataset name, frame, path) for a frame written by polars in each way."""
    df = _frame()
    ext = ".arrows" if request.param == "ipc-stream" else ".arrow"
    path = ns.path("frame" + ext)
    WRITERS[request.param](df, path)
    return ns.name("frame"), df, path


def test_polars_file_served_unchanged(client, polars_file):
    name, df, path = polars_file
    served = fetch(client, name)
    # Exactly what pyarrow reads from the file itself (string_view and all) ...
    assert_tables_equal(served, read_local_file(path))
    # ... which is the frame polars wrote.
    back = pl.from_arrow(served)
    assert back.equals(df)
    assert back.to_arrow().equals(df.to_arrow())
    assert flight_info(client, name).total_records == df.height


def test_polars_memory_maps_the_file_the_server_serves(client, polars_file):
    name, df, path = polars_file
    served = fetch(client, name)  # the server now holds its own mapping of the file
    if path.suffix == ".arrow":
        local = pl.read_ipc(path, memory_map=True)
    else:
        local = pl.read_ipc_stream(path)
    assert local.equals(df)
    assert pl.from_arrow(served).equals(local)


def test_polars_file_projection(client, polars_file):
    # A projection that leaves out the string/binary columns, one that keeps them, and a batch range.
    name, df, _ = polars_file
    for columns in (["l", "i"], ["s", "c", "bin"], ["ts", "st", "d"]):
        assert pl.from_arrow(fetch(client, name, columns=columns)).equals(df.select(columns))
    # polars decides how many record batches it writes; take the range from the file itself.
    name, df, path = polars_file
    if path.suffix == ".arrow":
        reader = ipc.open_file(path)
        batches = [reader.get_batch(i) for i in range(reader.num_record_batches)]
    else:
        batches = list(ipc.open_stream(path))
    start = 1 if len(batches) > 1 else 0
    expected = pa.Table.from_batches(batches[start:], schema=batches[0].schema)
    assert_tables_equal(fetch(client, name, batches=[start, len(batches)]), expected)
