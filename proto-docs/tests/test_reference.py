"""The reference agrees with the schemas and with what is tested: JSON examples conform, field
tables list exactly the schema's keys, and the compatibility table names the versions in use."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import jsonschema
import polars
import pyarrow
import pytest
from referencing import Registry, Resource

from markdown_blocks import DOCS, all_blocks, blocks, pages

SCHEMAS = DOCS / "schemas"
REPO = DOCS.parent


def _registry() -> Registry:
    resources = []
    for path in SCHEMAS.glob("*.schema.json"):
        schema = json.loads(path.read_text())
        resources.append((schema["$id"], Resource.from_contents(schema)))
    return Registry().with_resources(resources)


def _schema(name: str) -> dict:
    path = SCHEMAS / f"{name}.schema.json"
    assert path.is_file(), f"no schema {path.name} in proto-docs/schemas"
    return json.loads(path.read_text())


@pytest.mark.parametrize("path", sorted(SCHEMAS.glob("*.schema.json")), ids=lambda p: p.name)
def test_schema_is_valid_for_python_validators_too(path):
    jsonschema.Draft202012Validator.check_schema(json.loads(path.read_text()))


SCHEMA_BLOCKS = [b for b in all_blocks("json") if "schema" in b.directives]


def test_reference_has_schema_checked_examples():
    assert len(SCHEMA_BLOCKS) >= 10


@pytest.mark.parametrize("block", SCHEMA_BLOCKS, ids=lambda b: b.id)
def test_json_example_conforms_to_its_schema(block):
    validator = jsonschema.Draft202012Validator(_schema(block.directives["schema"]), registry=_registry())
    errors = [e.message for e in validator.iter_errors(json.loads(block.code))]
    assert not errors, f"{block.id} does not conform to {block.directives['schema']}: {errors}"


def _field_tables():
    """(page, line, schema name, keys in the table) for every table after a `fields:` directive."""
    found = []
    for page in pages():
        lines = page.read_text().splitlines()
        for i, line in enumerate(lines):
            match = re.match(r"^<!--\s*fields:\s*(\S+)\s*-->$", line.strip())
            if not match:
                continue
            keys = []
            j = i + 1
            while j < len(lines) and not lines[j].startswith("|"):
                j += 1
            while j < len(lines) and lines[j].startswith("|"):
                cell = re.match(r"^\|\s*`([^`]+)`", lines[j])
                if cell:
                    keys.append(cell.group(1))
                j += 1
            found.append((page.name, i + 1, match.group(1), keys))
    return found


def test_reference_has_field_tables():
    assert {schema for _, _, schema, _ in _field_tables()} >= {
        "ticket", "upload-command", "describe-request", "rename-request"}


@pytest.mark.parametrize("table", _field_tables(), ids=lambda t: f"{t[0]}:{t[1]}:{t[2]}")
def test_field_table_lists_exactly_the_schema_keys(table):
    page, line, name, keys = table
    schema = _schema(name)
    assert keys == list(schema["properties"]), (
        f"{page}:{line}: the table lists {keys}, the schema {name} has {list(schema['properties'])}")


def test_every_schema_is_linked_from_the_index():
    index = (DOCS / "README.md").read_text()
    for path in SCHEMAS.glob("*.schema.json"):
        assert f"schemas/{path.name}" in index, f"README.md does not link {path.name}"


def _compatibility_rows() -> dict[str, str]:
    rows = {}
    for line in (DOCS / "compatibility.md").read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 2 and cells[0] and not set(cells[0]) <= {"-", ":"}:
            rows[cells[0]] = cells[1]
    return rows


def _pom_property(name: str) -> str:
    pom = ElementTree.parse(REPO / "pom.xml").getroot()
    ns = {"m": "http://maven.apache.org/POM/4.0.0"}
    return pom.find(f"m:properties/m:{name}", ns).text


@pytest.mark.parametrize("row, actual", [
    ("pyarrow (pyarrow.flight)", lambda: pyarrow.__version__),
    ("polars", lambda: polars.__version__),
    ("arrow-java (flight-core)", lambda: _pom_property("arrow.version")),
    ("grpc-java", lambda: _pom_property("grpc.version")),
])
def test_compatibility_table_names_the_versions_tested(row, actual):
    rows = _compatibility_rows()
    assert row in rows, f"compatibility.md has no row {row!r}"
    assert actual() in rows[row], f"compatibility.md says {rows[row]!r} for {row}, the build uses {actual()}"


def test_every_page_is_in_the_index():
    index = (DOCS / "README.md").read_text()
    for page in pages():
        if page.name != "README.md":
            assert f"({page.name})" in index, f"README.md does not link {page.name}"


