"""What goes wrong, and what the client is told: bad tickets and names are INVALID_ARGUMENT
(pyarrow.ArrowInvalid), missing datasets NOT_FOUND (pyarrow.ArrowKeyError), broken files INTERNAL
(flight.FlightInternalError) naming the dataset, unknown actions UNIMPLEMENTED
(pyarrow.ArrowNotImplementedError). A broken dataset never affects the others."""

from __future__ import annotations

import json
import re
import warnings

import pyarrow as pa
import pyarrow.feather as feather
import pyarrow.flight as flight
import pyarrow.ipc as ipc
import pytest

from quiver_support import (
    CALL_OPTIONS, assert_tables_equal, command_info, fetch, flight_info, list_names, server_stats,
)
from sample_tables import numbers_table


@pytest.fixture
def good(ns):
    """A healthy 4-batch dataset in this test's namespace: (name, table)."""
    table = numbers_table(40)
    return ns.write_file("good", table, max_chunksize=10), table


def _do_get(client, raw: bytes):
    return client.do_get(flight.Ticket(raw), options=CALL_OPTIONS).read_all()


# --------------------------------------------------------------------------------------------
# Malformed tickets: INVALID_ARGUMENT
# --------------------------------------------------------------------------------------------

BAD_TICKETS = {
    "unknown-key": ('{"dataset": "%s", "colums": ["id"]}', 'unknown key "colums"'),
    "dataset-not-string": ('{"dataset": 42}', '"dataset"'),
    "dataset-missing": ('{"columns": ["id"]}', '"dataset"'),
    "columns-not-array": ('{"dataset": "%s", "columns": "id"}', "\"columns\" in ticket for dataset '%s' must be an array or null, not string"),
    "columns-with-number": ('{"dataset": "%s", "columns": ["id", 3]}', "\"columns\\[1\\]\" in ticket for dataset '%s' must be a string, not number"),
    "duplicate-column": ('{"dataset": "%s", "columns": ["id", "value", "id"]}', "\"columns\" in ticket for dataset '%s' lists \"id\" more than once"),
    "unknown-column": ('{"dataset": "%s", "columns": ["id", "nope"]}', "unknown column 'nope'"),
    "batches-not-array": ('{"dataset": "%s", "batches": 3}', "\"batches\" in ticket for dataset '%s' must be an array or null, not number"),
    "batches-one-number": ('{"dataset": "%s", "batches": [1]}', "\"batches\" in ticket for dataset '%s' is invalid: must have at least 2 items"),
    "batches-three-numbers": ('{"dataset": "%s", "batches": [0, 1, 2]}', "\"batches\" in ticket for dataset '%s' is invalid: must have at most 2 items"),
    "batches-float": ('{"dataset": "%s", "batches": [0.5, 2]}', "\"batches\\[0\\]\" in ticket for dataset '%s' must be an integer, not number"),
    "batches-strings": ('{"dataset": "%s", "batches": ["0", "2"]}', "\"batches\\[0\\]\" in ticket for dataset '%s' must be an integer, not string"),
    "batches-negative": ('{"dataset": "%s", "batches": [-1, 2]}', "must have a minimum value of 0"),
    "batches-reversed": ('{"dataset": "%s", "batches": [3, 1]}', "invalid batch range"),
    "batches-past-end": ('{"dataset": "%s", "batches": [2, 5]}', "outside dataset '%s', which has 4 batches"),
    "batches-start-past-end": ('{"dataset": "%s", "batches": [5, 5]}', "outside dataset '%s', which has 4 batches"),
    "batches-huge": ('{"dataset": "%s", "batches": [0, 99999999999]}', "must have a maximum value of 2147483647"),
    "invalid-json": ('{"dataset": "%s",', "not valid JSON"),
    "json-array-in-object": ('{"dataset": ["%s"]}', '"dataset"'),
    "empty-ticket": ("", "ticket is empty"),
}


@pytest.mark.parametrize("case", list(BAD_TICKETS))
def test_malformed_ticket_is_invalid_argument(client, good, case):
    name, _ = good
    template, message = BAD_TICKETS[case]
    raw = template.replace("%s", name)
    with pytest.raises(pa.ArrowInvalid, match=message.replace("%s", re.escape(name))):
        _do_get(client, raw.encode())


@pytest.mark.parametrize("case", ["unknown-key", "duplicate-column", "unknown-column", "batches-past-end",
                                  "invalid-json"])
def test_malformed_command_descriptor_is_invalid_argument(client, good, case):
    # The same checks apply to a ticket in a CMD descriptor (GetFlightInfo and GetSchema).
    name, _ = good
    template, message = BAD_TICKETS[case]
    raw = template.replace("%s", name).encode()
    pattern = message.replace("%s", re.escape(name))
    with pytest.raises(pa.ArrowInvalid, match=pattern):
        command_info(client, raw)
    with pytest.raises(pa.ArrowInvalid, match=pattern):
        client.get_schema(flight.FlightDescriptor.for_command(raw), options=CALL_OPTIONS)


def test_unknown_column_error_names_dataset_and_columns(client, good):
    name, _ = good
    with pytest.raises(pa.ArrowInvalid) as error:
        _do_get(client, json.dumps({"dataset": name, "columns": ["ID"]}).encode())
    assert f"dataset '{name}'" in str(error.value)
    assert "unknown column 'ID'" in str(error.value)
    assert "id" in str(error.value) and "value" in str(error.value)  # lists the real columns


def test_ambiguous_column_name_is_invalid_argument(client, ns):
    # pyarrow allows two columns of the same name; selecting it by name cannot be honoured.
    table = pa.Table.from_arrays([pa.array([1, 2]), pa.array(["a", "b"]), pa.array([3.0, 4.0])],
                                 names=["x", "y", "x"])
    name = ns.write_file("dupes", table)
    with pytest.raises(pa.ArrowInvalid, match="ambiguous"):
        fetch(client, name, columns=["x"])
    assert fetch(client, name, columns=["y"]).column("y").to_pylist() == ["a", "b"]
    assert fetch(client, name).equals(table)


def test_non_utf8_ticket_is_invalid_argument(client):
    with pytest.raises(pa.ArrowInvalid, match="not valid UTF-8"):
        _do_get(client, b"\xff\xfe\x00bad")


def test_oversized_ticket_is_invalid_argument(client):
    with pytest.raises(pa.ArrowInvalid, match="ticket is"):
        _do_get(client, b"{" + b" " * (1 << 20) + b"}")


# --------------------------------------------------------------------------------------------
# Invalid names: INVALID_ARGUMENT, wherever a name is accepted
# --------------------------------------------------------------------------------------------

INVALID_NAMES = {
    "dot-dot": ("..", "'..' segments are not allowed"),
    "dot-dot-inside": ("a/../b", "'..' segments are not allowed"),
    "dot": ("./a", "'.' segments are not allowed"),
    "absolute": ("/etc/passwd", "must not start with '/'"),
    "empty-segment": ("a//b", "empty path segment"),
    "trailing-slash": ("a/", "empty path segment"),
    "backslash": ("a\\b", "not allowed"),
    "control-character": ("a\nb", "control characters"),
    "too-long": ("x" * 1025, "at most 1024"),
}


@pytest.mark.parametrize("case", list(INVALID_NAMES))
def test_invalid_name_in_bare_ticket(client, case):
    name, message = INVALID_NAMES[case]
    with pytest.raises(pa.ArrowInvalid, match=re.escape(message)):
        _do_get(client, name.encode())


@pytest.mark.parametrize("case", list(INVALID_NAMES))
def test_invalid_name_in_json_ticket(client, case):
    name, message = INVALID_NAMES[case]
    with pytest.raises(pa.ArrowInvalid, match=re.escape(message)):
        _do_get(client, json.dumps({"dataset": name}).encode())


@pytest.mark.parametrize("segments", [("..", "x"), ("a", "", "b"), ("a", "..")], ids=str)
def test_invalid_path_descriptor(client, segments):
    with pytest.raises(pa.ArrowInvalid, match="invalid dataset name"):
        client.get_flight_info(flight.FlightDescriptor.for_path(*segments), options=CALL_OPTIONS)
    with pytest.raises(pa.ArrowInvalid, match="invalid dataset name"):
        client.get_schema(flight.FlightDescriptor.for_path(*segments), options=CALL_OPTIONS)


def test_absolute_path_to_a_real_file_is_refused(client, ns):
    # Even when it names an existing Arrow file, an absolute path is not a dataset name.
    ns.write_file("real", numbers_table(3))
    with pytest.raises(pa.ArrowInvalid, match="must not start with '/'"):
        _do_get(client, str(ns.path("real")).encode())


def test_parent_traversal_to_a_real_file_is_refused(client, ns):
    ns.write_file("real", numbers_table(3))
    with pytest.raises(pa.ArrowInvalid, match="'..' segments"):
        _do_get(client, f"{ns.prefix}/../{ns.prefix}/real".encode())


# --------------------------------------------------------------------------------------------
# Unknown datasets: NOT_FOUND naming the dataset
# --------------------------------------------------------------------------------------------

def test_unknown_dataset_is_not_found(client, ns):
    missing = ns.name("no/such/dataset")
    pattern = re.escape(f"dataset '{missing}' not found")
    with pytest.raises(pa.ArrowKeyError, match=pattern):
        _do_get(client, missing.encode())
    with pytest.raises(pa.ArrowKeyError, match=pattern):
        _do_get(client, json.dumps({"dataset": missing, "columns": ["a"], "batches": [0, 1]}).encode())
    with pytest.raises(pa.ArrowKeyError, match=pattern):
        flight_info(client, missing)
    with pytest.raises(pa.ArrowKeyError, match=pattern):
        client.get_schema(flight.FlightDescriptor.for_path(*missing.split("/")), options=CALL_OPTIONS)
    with pytest.raises(pa.ArrowKeyError, match=pattern):
        command_info(client, {"dataset": missing})


def test_directory_is_not_a_dataset(client, ns):
    ns.write_file("dir/inner", numbers_table(2))
    with pytest.raises(pa.ArrowKeyError, match="not found"):
        fetch(client, ns.name("dir"))


# --------------------------------------------------------------------------------------------
# Broken files: INTERNAL naming the dataset; everything else keeps working
# --------------------------------------------------------------------------------------------

def _valid_file_bytes(table, **kwargs) -> bytes:
    sink = pa.BufferOutputStream()
    with ipc.new_file(sink, table.schema, **kwargs) as writer:
        writer.write_table(table, max_chunksize=10)
    return sink.getvalue().to_pybytes()


def _valid_stream_bytes(table) -> bytes:
    sink = pa.BufferOutputStream()
    with ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table, max_chunksize=10)
    return sink.getvalue().to_pybytes()


def _corrupt_footer_length(data: bytes) -> bytes:
    # Keep both magics, but claim a footer longer than the file.
    return data[:-10] + (len(data) * 4).to_bytes(4, "little", signed=True) + data[-6:]


def _garbage_footer(data: bytes) -> bytes:
    footer_length = int.from_bytes(data[-10:-6], "little")
    start = len(data) - 10 - footer_length
    return data[:start] + bytes([0xAB]) * footer_length + data[-10:]


def _first_half(data: bytes) -> bytes:
    return data[: len(data) // 2]


def _destroy_schema_message(data: bytes) -> bytes:
    # Destroys the schema message right after the 8-byte file header.
    return data[:8] + b"\xff\xff\xff\xff" + b"\x7f" * 64 + data[8 + 4 + 64:]


def _feather_v1_bytes(table) -> bytes:
    # Feather v1 predates the Arrow IPC file format and is not Arrow IPC: the server cannot serve it.
    sink = pa.BufferOutputStream()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        feather.write_feather(table, sink, version=1)
    return sink.getvalue().to_pybytes()


BROKEN_FILES = {
    "garbage": ("x.arrow", lambda t: b"this is certainly not an Arrow IPC file" * 10, "not an Arrow IPC file"),
    "empty": ("x.arrow", lambda t: b"", "x.arrow"),
    "magic-only": ("x.arrow", lambda t: b"ARROW1\0\0", "truncated"),
    "footer-cut-off": ("x.arrow", lambda t: _valid_file_bytes(t)[:-40], "truncated or incomplete"),
    "half-a-file": ("x.arrow", lambda t: _first_half(_valid_file_bytes(t)), "x.arrow"),
    "footer-length-too-big": ("x.arrow", lambda t: _corrupt_footer_length(_valid_file_bytes(t)), "footer"),
    "garbage-footer": ("x.arrow", lambda t: _garbage_footer(_valid_file_bytes(t)), "x.arrow"),
    "stream-cut-mid-body": ("x.arrows", lambda t: _valid_stream_bytes(t)[:-30], "truncated Arrow stream"),
    "stream-garbage": ("x.arrows", lambda t: b"\x00" * 64, "not an Arrow IPC file"),
    "feather-garbage": ("x.feather", lambda t: b"FEA1" + b"\x00" * 100, "x.feather"),
    "feather-v1": ("x.feather", lambda t: _feather_v1_bytes(t), "not an Arrow IPC file"),
}


@pytest.mark.parametrize("case", list(BROKEN_FILES))
def test_broken_file_is_internal_error_naming_the_dataset(client, ns, good, case):
    file_name, make, detail = BROKEN_FILES[case]
    ns.write_bytes(file_name, make(numbers_table(40)))
    broken = ns.name("x")
    for attempt in range(2):  # the same clear error every time (it is remembered, not re-parsed)
        with pytest.raises(flight.FlightInternalError) as error:
            fetch(client, broken)
        message = str(error.value)
        assert f"dataset '{broken}'" in message, message
        assert detail in message, message
    with pytest.raises(flight.FlightInternalError, match=re.escape(f"dataset '{broken}'")):
        flight_info(client, broken)
    # pyarrow's get_schema surfaces INTERNAL as a plain OSError (not FlightInternalError, unlike
    # get_flight_info for the very same status); the status is still in the message.
    with pytest.raises(OSError, match="internal error.*" + re.escape(f"dataset '{broken}'")):
        client.get_schema(flight.FlightDescriptor.for_path(broken), options=CALL_OPTIONS)
    with pytest.raises(flight.FlightInternalError, match=re.escape(f"dataset '{broken}'")):
        fetch(client, broken, columns=["id"], batches=[0, 1])
    # Others keep working, and the listing leaves the broken one out instead of failing.
    good_name, good_table = good
    assert_tables_equal(fetch(client, good_name), good_table)
    assert set(list_names(client, (ns.prefix + "/").encode())) == {good_name}
    assert "doget_streams_active" in server_stats(client)


def test_file_with_a_damaged_leading_schema_message_is_served_from_its_footer(client, ns):
    # File-format readers take the schema from the footer (some writers, polars among them, do not
    # even write a proper message at offset 8), so the server does too when that message is unusable.
    table = numbers_table(40)
    ns.write_bytes("x.arrow", _destroy_schema_message(_valid_file_bytes(table)))
    assert_tables_equal(fetch(client, ns.name("x")), table)
    assert_tables_equal(fetch(client, ns.name("x"), columns=["id"]), table.select(["id"]))


# --------------------------------------------------------------------------------------------
# Actions and ListFlights criteria
# --------------------------------------------------------------------------------------------

def test_unknown_action_is_unimplemented(client):
    with pytest.raises(pa.ArrowNotImplementedError, match="unknown action 'reboot'"):
        list(client.do_action(flight.Action("reboot", b""), options=CALL_OPTIONS))


def test_list_actions_includes_stats(client):
    actions = {action.type: action.description for action in client.list_actions(options=CALL_OPTIONS)}
    assert "stats" in actions and actions["stats"]


def test_invalid_glob_is_invalid_argument(client):
    with pytest.raises(pa.ArrowInvalid, match="invalid glob"):
        list(client.list_flights(b"sales/[2024", options=CALL_OPTIONS))
    with pytest.raises(pa.ArrowInvalid, match="invalid glob"):
        list(client.list_flights(b"sales/{a,b", options=CALL_OPTIONS))


def test_empty_descriptors_are_invalid_argument(client):
    with pytest.raises(pa.ArrowInvalid, match="ticket is empty"):
        client.get_flight_info(flight.FlightDescriptor.for_command(b""), options=CALL_OPTIONS)
    with pytest.raises(pa.ArrowInvalid, match="no segments"):
        client.get_flight_info(flight.FlightDescriptor.for_path(), options=CALL_OPTIONS)
