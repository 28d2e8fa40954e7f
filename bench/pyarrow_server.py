"""The benchmark's pyarrow reference server: a pyarrow.flight.FlightServerBase over a directory of
Arrow IPC files.

DoGet serves a dataset straight from its memory map: the file is opened with `pa.memory_map` and
read with `ipc.open_file(...).read_all()`, which makes a Table whose buffers point into the mapping
(nothing is copied), and the (projected, sliced) table goes back as a `flight.RecordBatchStream`,
so the whole stream is produced in C++. Tickets are those Quiver takes (a bare dataset name, or JSON
with `dataset`, optional `columns` and `batches`), and GetFlightInfo splits a dataset into endpoints
of about --endpoint-size bytes by batch range, so the harness uses one client code path for both.
DoPut writes the uploaded stream to `<data>/<name>.arrow` (IPC file format), via a hidden temporary
file renamed into place; with --fsync the file (and then the directory) is fsynced before the call
completes, the durability Quiver's DoPut gives, so the two do the same work.

    python bench/pyarrow_server.py --data DIR [--host H] [--port N] [--port-file F]
                                   [--endpoint-size BYTES] [--fsync]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
from pathlib import Path

import pyarrow as pa
import pyarrow.flight as flight
import pyarrow.ipc as ipc

EXTENSION = ".arrow"


class MappedDataset:
    """One version of a file: its table (over the memory map) and per-batch byte sizes."""

    def __init__(self, path: Path):
        stat = path.stat()
        self.signature = (stat.st_ino, stat.st_size, stat.st_mtime_ns)
        source = pa.memory_map(str(path), "r")
        reader = ipc.open_file(source)
        self.schema = reader.schema
        self.table = reader.read_all()
        self.batches = self.table.to_batches()
        self.batch_bytes = [batch.nbytes for batch in self.batches]


class ReferenceServer(flight.FlightServerBase):
    def __init__(self, location: str, data_dir: Path, endpoint_size: int, fsync: bool = False):
        super().__init__(location)
        self.data_dir = data_dir.resolve()
        self.endpoint_size = endpoint_size
        self.fsync = fsync
        self._cache: dict[Path, MappedDataset] = {}
        self._lock = threading.Lock()

    # -- datasets -----------------------------------------------------------------------------

    def _path_of(self, name: str) -> Path:
        segments = name.split("/")
        if not name or any(s in ("", ".", "..") or s.startswith(".") for s in segments) or "\\" in name:
            raise flight.FlightServerError(f"invalid dataset name {name!r}")
        path = (self.data_dir / (name + EXTENSION)).resolve()
        if self.data_dir not in path.parents or not path.is_file():
            raise KeyError(f"no dataset {name!r}")
        return path

    def _open(self, name: str) -> MappedDataset:
        path = self._path_of(name)
        stat = path.stat()
        with self._lock:
            cached = self._cache.get(path)
            if cached is None or cached.signature != (stat.st_ino, stat.st_size, stat.st_mtime_ns):
                cached = MappedDataset(path)
                self._cache[path] = cached
            return cached

    def _names(self):
        for path in sorted(self.data_dir.rglob("*" + EXTENSION)):
            relative = path.relative_to(self.data_dir)
            if not any(part.startswith(".") for part in relative.parts):
                yield relative.as_posix()[: -len(EXTENSION)]

    @staticmethod
    def _parse_ticket(raw: bytes) -> tuple[str, list[str] | None, tuple[int, int] | None]:
        text = raw.decode("utf-8").strip()
        if not text.startswith("{"):
            return text, None, None
        body = json.loads(text)
        unknown = set(body) - {"dataset", "columns", "batches"}
        if unknown or "dataset" not in body:
            raise ValueError(f"bad ticket {text!r}")
        batches = body.get("batches")
        return body["dataset"], body.get("columns"), (tuple(batches) if batches is not None else None)

    def _selection(self, dataset: MappedDataset, columns, batches) -> pa.Table:
        start, end = batches if batches is not None else (0, len(dataset.batches))
        if not 0 <= start <= end <= len(dataset.batches):
            raise ValueError(f"batch range [{start}, {end}) outside 0..{len(dataset.batches)}")
        if start == 0 and end == len(dataset.batches):
            table = dataset.table
        else:
            table = pa.Table.from_batches(dataset.batches[start:end], schema=dataset.schema)
        return table.select(columns) if columns is not None else table

    def _info(self, name: str, descriptor: flight.FlightDescriptor) -> flight.FlightInfo:
        dataset = self._open(name)
        endpoints = []
        start, accumulated = 0, 0
        for index, size in enumerate(dataset.batch_bytes):
            accumulated += size
            if accumulated >= self.endpoint_size or index == len(dataset.batch_bytes) - 1:
                ticket = json.dumps({"dataset": name, "batches": [start, index + 1]}).encode()
                endpoints.append(flight.FlightEndpoint(ticket, []))
                start, accumulated = index + 1, 0
        if not endpoints:
            endpoints.append(flight.FlightEndpoint(json.dumps({"dataset": name, "batches": [0, 0]}).encode(), []))
        return flight.FlightInfo(dataset.schema, descriptor, endpoints, dataset.table.num_rows,
                                 sum(dataset.batch_bytes))

    # -- Flight methods -----------------------------------------------------------------------

    def list_flights(self, context, criteria):
        prefix = criteria.decode() if criteria else ""
        for name in self._names():
            if name.startswith(prefix):
                yield self._info(name, flight.FlightDescriptor.for_path(name))

    def get_flight_info(self, context, descriptor):
        if descriptor.descriptor_type == flight.DescriptorType.CMD:
            name, _, _ = self._parse_ticket(descriptor.command)
        else:
            name = "/".join(p.decode() if isinstance(p, bytes) else p for p in descriptor.path)
        return self._info(name, descriptor)

    def do_get(self, context, ticket):
        name, columns, batches = self._parse_ticket(ticket.ticket)
        return flight.RecordBatchStream(self._selection(self._open(name), columns, batches))

    def do_put(self, context, descriptor, reader, writer):
        name = "/".join(p.decode() if isinstance(p, bytes) else p for p in descriptor.path)
        if not name or any(s in ("", ".", "..") or s.startswith(".") for s in name.split("/")):
            raise flight.FlightServerError(f"invalid dataset name {name!r}")
        target = self.data_dir / (name + EXTENSION)
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.parent / f".upload-{os.getpid()}-{threading.get_ident()}-{target.name}"
        try:
            with ipc.new_file(str(temporary), reader.schema) as out:
                while True:
                    try:
                        chunk = reader.read_chunk()
                    except StopIteration:
                        break
                    out.write_batch(chunk.data)
            if self.fsync:
                _fsync(temporary)
            os.replace(temporary, target)
            if self.fsync:
                _fsync(target.parent)
        finally:
            if temporary.exists():
                temporary.unlink()

    def list_actions(self, context):
        return [("ping", "answers pong")]

    def do_action(self, context, action):
        if action.type == "ping":
            yield flight.Result(b"pong")
        else:
            raise NotImplementedError(action.type)


def _fsync(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True, type=Path)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--port-file", type=Path)
    parser.add_argument("--endpoint-size", type=int, default=256 << 20)
    parser.add_argument("--fsync", action="store_true", help="DoPut fsyncs the file and directory")
    args = parser.parse_args(argv)
    if not args.data.is_dir():
        parser.error(f"--data {args.data} is not a directory")

    server = ReferenceServer(f"grpc://{args.host}:{args.port}", args.data, args.endpoint_size, args.fsync)
    print(f"pyarrow {pa.__version__} Flight server on {args.host}:{server.port} serving {args.data}",
          file=sys.stderr, flush=True)
    if args.port_file:
        temporary = args.port_file.with_name(args.port_file.name + ".tmp")
        temporary.write_text(str(server.port))
        os.replace(temporary, args.port_file)
    server.serve()  # until SIGTERM/SIGINT (serve() installs the handlers)
    return 0


if __name__ == "__main__":
    sys.exit(main())
