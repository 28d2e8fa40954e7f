"""The Java client, through the `quiver` command, against pyarrow and polars.

A dataset written by pyarrow is downloaded by the client (in parallel, several endpoints) into an
IPC file that pyarrow and polars read back equal to the source; files written by pyarrow and by
polars are uploaded by the client and read back over pyarrow.flight equal to what was written.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.flight as flight
import pyarrow.ipc as ipc
import pytest

from quiver_support import java_executable


def quiver(server, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    jar = os.environ.get("QUIVER_CLI_JAR", str(Path(__file__).resolve().parents[4] / "cli" / "target" / "quiver.jar"))
    command = [java_executable(), "-jar", jar, "--server", server.location, *args]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    if check and done.returncode != 0:
        raise AssertionError(f"{command} exited {done.returncode}\nstdout: {done.stdout}\nstderr: {done.stderr}")
    return done


def source_table(batches: int = 12, rows: int = 2_000) -> pa.Table:
    chunks = []
    for b in range(batches):
        base = b * rows
        chunks.append(pa.record_batch({
            "id": pa.array(range(base, base + rows), pa.int64()),
            "name": pa.array([None if i % 11 == 0 else f"name-{i}" for i in range(base, base + rows)]),
            "score": pa.array([i / 7 for i in range(base, base + rows)], pa.float64()),
            "tags": pa.array([[i, i + 1] if i % 3 else [] for i in range(base, base + rows)], pa.list_(pa.int32())),
            "kind": pa.array([["red", "green", "blue"][i % 3] for i in range(rows)]).dictionary_encode(),
        }))
    return pa.Table.from_batches(chunks)


def fetch_all(client, name: str) -> pa.Table:
    info = client.get_flight_info(flight.FlightDescriptor.for_path(*name.split("/")))
    return pa.concat_tables([client.do_get(e.ticket).read_all() for e in info.endpoints])


@pytest.mark.parametrize("parallel", ["1", "4"])
def test_download_is_read_by_pyarrow_and_polars_equal_to_the_source(server, client, ns, tmp_path, parallel):
    table = source_table()
    ns.write_file("trips", table)
    info = client.get_flight_info(flight.FlightDescriptor.for_path(*ns.name("trips").split("/")))
    assert len(info.endpoints) > 1, "the test wants a dataset of several endpoints"

    out = tmp_path / "trips.arrow"
    done = quiver(server, "get", ns.name("trips"), str(out), "--parallel", parallel, "--json")
    summary = json.loads(done.stdout)
    assert summary["rows"] == table.num_rows

    with pa.memory_map(str(out)) as source:
        read = ipc.open_file(source).read_all()
    assert read.equals(table), "pyarrow reads something else from the downloaded file"
    assert pl.read_ipc(out, memory_map=True).equals(pl.from_arrow(table)), "polars disagrees"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["trips.arrow"], "temporary files left behind"


def test_download_to_arrows_is_an_ipc_stream(server, ns, tmp_path):
    table = source_table(batches=3)
    ns.write_file("s", table)
    out = tmp_path / "s.arrows"
    quiver(server, "get", ns.name("s"), str(out))
    assert ipc.open_stream(out.read_bytes()).read_all().equals(table)


@pytest.mark.parametrize("fmt,compression", [("file", None), ("stream", None), ("file", "zstd"), ("stream", "lz4")])
def test_pyarrow_file_uploaded_by_the_client_reads_back_over_flight(server, client, ns, tmp_path, fmt, compression):
    table = source_table(batches=5)
    path = tmp_path / ("up.arrow" if fmt == "file" else "up.arrows")
    open_writer = ipc.new_file if fmt == "file" else ipc.new_stream
    options = ipc.IpcWriteOptions(compression=compression)
    with open_writer(str(path), table.schema, options=options) as writer:
        writer.write_table(table)
    done = quiver(server, "put", str(path), ns.name("up"), "--json")
    result = json.loads(done.stdout)
    assert result["rows"] == table.num_rows and result["batches"] == 5
    assert fetch_all(client, ns.name("up")).equals(table)


@pytest.mark.parametrize("compression", ["uncompressed", "zstd"])
def test_polars_file_uploaded_by_the_client_reads_back_in_polars(server, client, ns, tmp_path, compression):
    df = pl.DataFrame({
        "i": list(range(5_000)),
        "s": [None if i % 9 == 0 else f"v{i}" for i in range(5_000)],
        "c": pl.Series([["x", "y", "z"][i % 3] for i in range(5_000)], dtype=pl.Categorical),
    })
    path = tmp_path / "frame.arrow"
    df.write_ipc(path, compression=compression)  # polars writes no standard schema message after the magic
    quiver(server, "put", str(path), ns.name("frame"), "--mode", "overwrite")
    assert pl.from_arrow(fetch_all(client, ns.name("frame"))).equals(df)


def test_upload_append_then_download_has_both(server, client, ns, tmp_path):
    table = source_table(batches=2, rows=500)
    path = tmp_path / "part.arrow"
    with ipc.new_file(str(path), table.schema) as writer:
        writer.write_table(table)
    quiver(server, "put", str(path), ns.name("log"))
    quiver(server, "put", str(path), ns.name("log"), "--mode", "append")
    out = tmp_path / "log.arrow"
    quiver(server, "get", ns.name("log"), str(out))
    assert ipc.open_file(str(out)).read_all().equals(pa.concat_tables([table, table]))


def test_missing_dataset_is_exit_code_3_and_leaves_no_file(server, tmp_path):
    out = tmp_path / "nothing.arrow"
    done = quiver(server, "get", "no/such/dataset", str(out), check=False)
    assert done.returncode == 3, done.stderr
    assert "no/such/dataset" in done.stderr
    assert list(tmp_path.iterdir()) == []
