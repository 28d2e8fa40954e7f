"""The soak's data: the datasets the server serves (generated once, cached like the benchmark's),
what the readers know about them (batch sizes, columns) to check every stream, the requests they
choose from, and the tables the upload workers send.

Served datasets (under the server's data directory):

- `big`: the benchmark's `big` (datagen.py): int64 `id` counting from 0, float64, int32, utf8;
  batches of 65,536 rows. Readers check that every batch's first `id` is where it should be.
- `narrow`: the benchmark's `narrow`: many small int32 batches (per-message overhead).
- `cats`: IPC *stream* format with a dictionary-encoded column (dictionary replay on ranges).
- `small/0` .. `small/7`: one batch of 1,000 rows each (many short calls).
"""

from __future__ import annotations

import json
import os
import random
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.ipc as ipc

import datagen

SMALL_COUNT = 8
SMALL_ROWS = 1_000
CATS_BATCHES = 64
CATS_BATCH_ROWS = 8_192
CATEGORIES = ["red", "green", "blue", "cyan", "magenta"]
# One dictionary object for every batch written: writers then send it once, not as a replacement
# per batch.
CATEGORY_DICTIONARY = pa.array(CATEGORIES)
# Bump when what this module writes changes, so cached files are regenerated.
EXTRAS_VERSION = 1


# ------------------------------------------------------------------------------------------------
# Served datasets
# ------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class DatasetFacts:
    """What a reader knows about a served dataset to check a stream of it."""
    name: str
    batch_rows: tuple[int, ...]
    columns: tuple[str, ...]
    # The `id` column counts 0, 1, 2... across batches: a reader can check each batch's position.
    counting_id: bool

    @property
    def batches(self) -> int:
        return len(self.batch_rows)

    @property
    def rows(self) -> int:
        return sum(self.batch_rows)

    def first_row(self, batch: int) -> int:
        return sum(self.batch_rows[:batch])

    def range_rows(self, start: int, end: int) -> int:
        return sum(self.batch_rows[start:end])


def _write_file(path: Path, batches: list[pa.RecordBatch], stream: bool) -> None:
    temporary = path.with_name(f".tmp-{os.getpid()}-{path.name}")
    open_writer = ipc.new_stream if stream else ipc.new_file
    with open_writer(str(temporary), batches[0].schema) as writer:
        for batch in batches:
            writer.write_batch(batch)
    os.replace(temporary, path)


def _cats_batches(seed: int) -> list[pa.RecordBatch]:
    rng = np.random.default_rng(seed)
    dictionary = CATEGORY_DICTIONARY
    batches = []
    for b in range(CATS_BATCHES):
        ids = np.arange(b * CATS_BATCH_ROWS, (b + 1) * CATS_BATCH_ROWS, dtype=np.int64)
        indices = pa.array(rng.integers(0, len(CATEGORIES), CATS_BATCH_ROWS, dtype=np.int32))
        batches.append(pa.RecordBatch.from_arrays(
            [pa.array(ids), pa.DictionaryArray.from_arrays(indices, dictionary),
             pa.array(rng.standard_normal(CATS_BATCH_ROWS))],
            names=["id", "cat", "value"]))
    return batches


def _small_batch(index: int) -> pa.RecordBatch:
    ids = np.arange(SMALL_ROWS, dtype=np.int64)
    return pa.RecordBatch.from_arrays(
        [pa.array(ids), pa.array(ids * 0.5 + index), pa.array([f"s{index}-{i}" for i in range(SMALL_ROWS)])],
        names=["id", "value", "name"])


def ensure_extras(directory: Path, seed: int) -> dict[str, Path]:
    """`cats` and `small/*` in `directory` (cached: regenerated only when missing or changed)."""
    files = {"cats": directory / "cats.arrows"}
    files.update({f"small/{i}": directory / "small" / f"{i}.arrow" for i in range(SMALL_COUNT)})
    stamp = directory / "extras.json"
    wanted = {"version": EXTRAS_VERSION, "seed": seed}
    try:
        recorded = json.loads(stamp.read_text())
    except (OSError, ValueError):
        recorded = None
    if recorded == wanted and all(p.is_file() for p in files.values()):
        return files
    (directory / "small").mkdir(parents=True, exist_ok=True)
    _write_file(files["cats"], _cats_batches(seed), stream=True)
    for i in range(SMALL_COUNT):
        _write_file(files[f"small/{i}"], [_small_batch(i)], stream=False)
    stamp.write_text(json.dumps(wanted) + "\n")
    return files


def facts_of(name: str, path: Path, counting_id: bool) -> DatasetFacts:
    """Batch sizes and columns, read from the file itself (memory-mapped: no data is loaded)."""
    source = pa.memory_map(str(path), "r")
    if path.suffix == ".arrows":
        with ipc.open_stream(source) as reader:
            rows = tuple(batch.num_rows for batch in reader)
            schema = reader.schema
    else:
        with ipc.open_file(source) as reader:
            rows = tuple(reader.get_batch(i).num_rows for i in range(reader.num_record_batches))
            schema = reader.schema
    return DatasetFacts(name, rows, tuple(schema.names), counting_id)


def prepare(cache: Path, data_dir: Path, params: datagen.DataParams, log) -> dict[str, DatasetFacts]:
    """Generates (or reuses) every served dataset in `cache`, then builds a fresh `data_dir` of hard
    links to them (copies where links fail); returns their facts by dataset name."""
    generated = datagen.ensure(cache, params, log=log)
    extras = ensure_extras(cache, params.seed)
    if data_dir.exists():
        shutil.rmtree(data_dir)
    data_dir.mkdir(parents=True)
    served = {"big": generated["big"], "narrow": generated["narrow"], **extras}
    facts = {}
    for name, source in served.items():
        target = data_dir / (name + source.suffix)
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(source, target)
        except OSError:
            shutil.copyfile(source, target)
        facts[name] = facts_of(name, target, counting_id=name in ("big", "cats"))
    return facts


# ------------------------------------------------------------------------------------------------
# What readers ask for
# ------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ReadRequest:
    """One DoGet: the ticket, and what the stream must hold."""
    kind: str
    dataset: DatasetFacts
    ticket: bytes
    rows: int
    # Row number of the first row (checked against `id` when the dataset counts and `id` is sent).
    first_row: int
    checks_id: bool


def json_ticket(dataset: str, columns=None, batches=None) -> bytes:
    body: dict = {"dataset": dataset}
    if columns is not None:
        body["columns"] = list(columns)
    if batches is not None:
        body["batches"] = list(batches)
    return json.dumps(body).encode()


def _random_range(rng: random.Random, facts: DatasetFacts) -> tuple[int, int]:
    start = rng.randrange(facts.batches)
    return start, rng.randint(start + 1, facts.batches)


def request_for_range(kind: str, facts: DatasetFacts, start: int, end: int, columns=None) -> ReadRequest:
    ticket = json_ticket(facts.name, columns, [start, end])
    sends_id = columns is None or "id" in columns
    return ReadRequest(kind, facts, ticket, facts.range_rows(start, end), facts.first_row(start),
                       facts.counting_id and sends_id)


@dataclass
class RequestMix:
    """The requests readers draw from, with weights (`endpoint` is resolved by the reader: it needs
    GetFlightInfo first)."""
    facts: dict[str, DatasetFacts]
    weights: dict[str, int] = field(default_factory=lambda: {
        "big_full": 25, "big_range": 15, "big_projection": 10, "endpoint": 10,
        "narrow_full": 12, "cats_full": 8, "cats_range": 8, "small": 12})

    def draw(self, rng: random.Random) -> str:
        kinds = list(self.weights)
        return rng.choices(kinds, weights=[self.weights[k] for k in kinds])[0]

    def request(self, kind: str, rng: random.Random) -> ReadRequest:
        big, narrow, cats = self.facts["big"], self.facts["narrow"], self.facts["cats"]
        if kind == "big_full":
            return ReadRequest(kind, big, b"big", big.rows, 0, True)
        if kind == "big_range":
            return request_for_range(kind, big, *_random_range(rng, big))
        if kind == "big_projection":
            columns = rng.choice([["id", "name"], ["value", "id"], ["qty"]])
            return request_for_range(kind, big, *_random_range(rng, big), columns=columns)
        if kind == "narrow_full":
            return ReadRequest(kind, narrow, b"narrow", narrow.rows, 0, False)
        if kind == "cats_full":
            return ReadRequest(kind, cats, json_ticket("cats"), cats.rows, 0, True)
        if kind == "cats_range":
            return request_for_range(kind, cats, *_random_range(rng, cats), columns=["cat", "id"])
        if kind == "small":
            facts = self.facts[f"small/{rng.randrange(SMALL_COUNT)}"]
            return ReadRequest(kind, facts, facts.name.encode(), facts.rows, 0, False)
        raise ValueError(f"no request of kind {kind!r}")


# ------------------------------------------------------------------------------------------------
# What upload workers send
# ------------------------------------------------------------------------------------------------

UPLOAD_SCHEMA = pa.schema([
    ("id", pa.int64()),
    ("tag", pa.int32()),
    ("value", pa.float64()),
    ("cat", pa.dictionary(pa.int32(), pa.utf8())),
])


def upload_batches(tag: int, batches: int, batch_rows: int) -> list[pa.RecordBatch]:
    """`batches` batches whose every value follows from `tag` and the row number, so the verifier
    can recompute what it should read back."""
    dictionary = CATEGORY_DICTIONARY
    out = []
    for b in range(batches):
        ids = np.arange(b * batch_rows, (b + 1) * batch_rows, dtype=np.int64)
        out.append(pa.RecordBatch.from_arrays([
            pa.array(ids),
            pa.array(np.full(batch_rows, tag, dtype=np.int32)),
            pa.array(ids * 0.25 + tag),
            pa.DictionaryArray.from_arrays(pa.array((ids + tag) % len(CATEGORIES), pa.int32()), dictionary),
        ], schema=UPLOAD_SCHEMA))
    return out


def comparable(table: pa.Table) -> pa.Table:
    """The table with its dictionary column decoded and chunks merged: two tables holding the same
    values compare equal whatever dictionaries and batch boundaries they came with."""
    columns = [column.cast(pa.utf8()) if pa.types.is_dictionary(column.type) else column
               for column in table.columns]
    return pa.Table.from_arrays(columns, names=table.column_names).combine_chunks()
