"""The benchmark's datasets, generated with pyarrow and numpy and cached on disk.

- `big`: int64 `id`, float64 `value`, int32 `qty`, utf8 `name` (8 to 24 ASCII letters, 16 on
  average), so about 40 bytes a row; the full benchmark's is 50,000,000 rows in 763 record batches
  of 65,536 rows (2.0 GB).
- `narrow`: one int32 column `x`; 1,000 batches of 10,000 rows (40 MB): many small messages.

Both are written in the Arrow IPC file format, uncompressed, to `<dir>/big.arrow` and
`<dir>/narrow.arrow`. `<dir>/params.json` records what was generated; `ensure()` regenerates only
when a file is missing or the parameters differ. Values come from a seeded generator, so the same
parameters always give the same bytes.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.ipc as ipc

# Bump when the generator changes what it writes, so cached files are regenerated.
GENERATOR_VERSION = 1

BIG_SCHEMA = pa.schema([
    ("id", pa.int64()),
    ("value", pa.float64()),
    ("qty", pa.int32()),
    ("name", pa.utf8()),
])
NARROW_SCHEMA = pa.schema([("x", pa.int32())])

# Bytes per row of `big`: 8 + 8 + 4 + (4 offset + 16 characters on average).
BIG_BYTES_PER_ROW = 40


@dataclass(frozen=True)
class DataParams:
    big_rows: int
    big_batch_rows: int
    narrow_batches: int
    narrow_batch_rows: int
    seed: int = 20240601
    version: int = GENERATOR_VERSION

    @staticmethod
    def for_size(size_gb: float, batch_rows: int = 65_536, narrow_batches: int = 1_000,
                 narrow_batch_rows: int = 10_000) -> "DataParams":
        """`big` of about size_gb * 1e9 bytes (2.0 -> 50,000,000 rows)."""
        rows = max(1, int(round(size_gb * 1e9 / BIG_BYTES_PER_ROW)))
        return DataParams(rows, batch_rows, narrow_batches, narrow_batch_rows)


def _big_batch(rng: np.random.Generator, first_row: int, rows: int) -> pa.RecordBatch:
    ids = np.arange(first_row, first_row + rows, dtype=np.int64)
    values = rng.standard_normal(rows)
    qty = rng.integers(0, 1_000_000, rows, dtype=np.int32)
    lengths = rng.integers(8, 25, rows, dtype=np.int32)
    offsets = np.zeros(rows + 1, dtype=np.int32)
    np.cumsum(lengths, out=offsets[1:])
    characters = rng.integers(ord("a"), ord("z") + 1, int(offsets[-1]), dtype=np.uint8)
    names = pa.StringArray.from_buffers(rows, pa.py_buffer(offsets), pa.py_buffer(characters))
    return pa.RecordBatch.from_arrays(
        [pa.array(ids), pa.array(values), pa.array(qty), names], schema=BIG_SCHEMA)


def _write(path: Path, schema: pa.Schema, batches) -> None:
    temporary = path.with_name(f".tmp-{os.getpid()}-{path.name}")
    try:
        with ipc.new_file(str(temporary), schema) as writer:
            for batch in batches:
                writer.write_batch(batch)
        os.replace(temporary, path)
    finally:
        if temporary.exists():
            temporary.unlink()


def _big_batches(params: DataParams):
    rng = np.random.default_rng(params.seed)
    for first in range(0, params.big_rows, params.big_batch_rows):
        yield _big_batch(rng, first, min(params.big_batch_rows, params.big_rows - first))


def _narrow_batches(params: DataParams):
    rng = np.random.default_rng(params.seed + 1)
    for _ in range(params.narrow_batches):
        values = rng.integers(-(2 ** 31), 2 ** 31 - 1, params.narrow_batch_rows, dtype=np.int32)
        yield pa.RecordBatch.from_arrays([pa.array(values)], schema=NARROW_SCHEMA)


def ensure(directory: Path, params: DataParams, log=print) -> dict[str, Path]:
    """The dataset files for these parameters, generating them if needed."""
    directory.mkdir(parents=True, exist_ok=True)
    files = {"big": directory / "big.arrow", "narrow": directory / "narrow.arrow"}
    stamp = directory / "params.json"
    wanted = asdict(params)
    try:
        recorded = json.loads(stamp.read_text())
    except (OSError, ValueError):
        recorded = None
    if recorded == wanted and all(p.is_file() for p in files.values()):
        log(f"datasets: cached in {directory} ({_describe(files)})")
        return files
    stamp.unlink(missing_ok=True)
    log(f"datasets: generating big ({params.big_rows:,} rows in batches of {params.big_batch_rows:,})"
        f" and narrow ({params.narrow_batches:,} x {params.narrow_batch_rows:,}) in {directory}")
    _write(files["big"], BIG_SCHEMA, _big_batches(params))
    _write(files["narrow"], NARROW_SCHEMA, _narrow_batches(params))
    stamp.write_text(json.dumps(wanted, indent=2) + "\n")
    log(f"datasets: done ({_describe(files)})")
    return files


def _describe(files: dict[str, Path]) -> str:
    return ", ".join(f"{name} {path.stat().st_size / 1e9:.3f} GB" for name, path in files.items())
