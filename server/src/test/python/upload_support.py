"""Helpers for the upload (DoPut) and catalog-management (actions) tests: descriptors, an upload that
collects the acknowledgements, actions as JSON, and the staging directory the server writes uploads
into before publishing them."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.flight as flight
import pyarrow.ipc as ipc

from quiver_support import CALL_OPTIONS, list_names

STAGING = ".quiver-uploads"


def command(dataset: str, **options: Any) -> flight.FlightDescriptor:
    """A command descriptor holding the upload options as JSON: {"dataset": ..., "mode": ..., ...}."""
    return flight.FlightDescriptor.for_command(json.dumps({"dataset": dataset, **options}).encode())


def raw_command(text: str | bytes) -> flight.FlightDescriptor:
    return flight.FlightDescriptor.for_command(text.encode() if isinstance(text, str) else text)


def path_descriptor(name: str) -> flight.FlightDescriptor:
    return flight.FlightDescriptor.for_path(*name.split("/"))


def upload(client: flight.FlightClient, descriptor: flight.FlightDescriptor, data, *,
           max_chunksize: int | None = None, schema: pa.Schema | None = None,
           write_options: ipc.IpcWriteOptions | None = None) -> list[dict]:
    """DoPut `data` (a Table, or a list of RecordBatches written one by one), then read every
    acknowledgement to the end and close; returns the acknowledgements as parsed JSON. Raises the
    server's error if the upload fails."""
    if schema is None:
        schema = data.schema if isinstance(data, pa.Table) else data[0].schema
    options = CALL_OPTIONS if write_options is None else flight.FlightCallOptions(
        timeout=CALL_OPTIONS.timeout, write_options=write_options)
    writer, reader = client.do_put(descriptor, schema, options=options)
    try:
        if isinstance(data, pa.Table):
            writer.write_table(data, max_chunksize=max_chunksize)
        else:
            for batch in data:
                writer.write_batch(batch)
        writer.done_writing()
        acks = read_acks(reader)
    except BaseException:
        # The server's own error (what close() raises) says more than a broken pipe.
        writer.close()
        raise
    writer.close()
    return acks


def read_acks(reader: flight.FlightMetadataReader) -> list[dict]:
    acks = []
    while True:
        buffer = reader.read()
        if buffer is None:
            return acks
        acks.append(json.loads(buffer.to_pybytes()))


def read_ack(reader: flight.FlightMetadataReader) -> dict:
    """The next acknowledgement (blocks until the server stored the batch it acknowledges)."""
    buffer = reader.read()
    assert buffer is not None, "the server ended the upload without acknowledging"
    return json.loads(buffer.to_pybytes())


def action(client: flight.FlightClient, name: str, body: dict | str | bytes = b"") -> dict:
    """Runs an action whose result is one JSON document."""
    if isinstance(body, dict):
        body = json.dumps(body).encode()
    elif isinstance(body, str):
        body = body.encode()
    results = list(client.do_action(flight.Action(name, body), options=CALL_OPTIONS))
    assert len(results) == 1, f"action {name} returned {len(results)} results"
    return json.loads(results[0].body.to_pybytes())


def describe(client: flight.FlightClient, name: str) -> dict:
    return action(client, "describe", {"dataset": name})


def staging_entries(data_root: Path) -> list[str]:
    directory = Path(data_root) / STAGING
    return sorted(os.listdir(directory)) if directory.is_dir() else []


def wait_staging_empty(data_root: Path, timeout: float = 15.0) -> None:
    """The server deletes a failed upload's temporary file when it sees the failure (a cancellation
    arrives asynchronously), so this polls."""
    deadline = time.monotonic() + timeout
    while staging_entries(data_root):
        if time.monotonic() > deadline:
            raise AssertionError(f"{Path(data_root) / STAGING} still holds {staging_entries(data_root)}"
                                 f" after {timeout} s")
        time.sleep(0.02)


def names_under(client: flight.FlightClient, prefix: str) -> list[str]:
    """Listed dataset names starting with `prefix/` (the shared root holds other tests' datasets)."""
    return [name for name in list_names(client) if name.startswith(prefix + "/")]


def files_under(directory: Path) -> list[str]:
    """Every file and directory below `directory`, relative, sorted."""
    directory = Path(directory)
    return sorted(str(p.relative_to(directory)) for p in directory.rglob("*"))


def read_ipc_file(path: Path) -> pa.Table:
    """What pyarrow reads from an IPC file-format file (the format uploads are stored in)."""
    with ipc.open_file(path) as reader:
        return reader.read_all()


def decoded(table: pa.Table) -> dict[str, list]:
    """Column values as Python objects: dictionary-encoded columns compare by their values, whatever
    dictionaries the chunks carry."""
    return {name: table.column(name).to_pylist() for name in table.column_names}


def versioned(rows: int, version: int, batches: int = 1) -> pa.Table:
    """A two-column table whose every row says which version it is (chunked into `batches`)."""
    import numpy as np
    ids = np.arange(rows, dtype=np.int64)
    table = pa.table({"id": ids, "version": pa.array(np.full(rows, version, dtype=np.int8))})
    return pa.Table.from_batches(table.to_batches(max_chunksize=max(1, rows // batches)))
