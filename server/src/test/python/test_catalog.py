"""The catalog as clients see it: which files are datasets and under which names, ListFlights with
prefixes and globs, FlightInfo contents, endpoints, and changes on disk picked up without a restart."""

from __future__ import annotations

import os

import pyarrow as pa
import pyarrow.flight as flight
import pytest

from quiver_support import (
    CALL_OPTIONS, Namespace, assert_tables_equal, command_info, descriptor_path, endpoint_ticket, fetch,
    flight_info, list_names, read_endpoints,
)
from sample_tables import big_table, core_table, numbers_table


def _tagged(tag: str, rows: int = 3) -> pa.Table:
    """A small table whose content says which file it came from."""
    return pa.table({"source": [tag] * rows, "n": list(range(rows))})


def _names_under(client, ns, criteria: bytes = b"") -> set[str]:
    """Names ListFlights returns, restricted to this test's namespace (the root is shared)."""
    return {n for n in list_names(client, criteria) if n.startswith(ns.prefix + "/")}


# --------------------------------------------------------------------------------------------
# Names and files
# --------------------------------------------------------------------------------------------

def test_nested_directories_give_slash_separated_names(client, ns):
    ns.write_file("sales/2024", _tagged("2024"))
    ns.write_file("sales/eu/2024/q1", _tagged("q1"))
    ns.write_stream("top", _tagged("top"))
    assert _names_under(client, ns) == {ns.name("sales/2024"), ns.name("sales/eu/2024/q1"), ns.name("top")}
    assert fetch(client, ns.name("sales/eu/2024/q1")).column("source").to_pylist() == ["q1"] * 3


def test_names_with_spaces_and_unicode(client, ns):
    for relative in ("données/été 2024", "with space", "日本/東京", "a+b=c,d;e@f#g"):
        table = _tagged(relative)
        name = ns.write_file(relative, table)
        assert name in _names_under(client, ns)
        assert_tables_equal(fetch(client, name), table)
        assert flight_info(client, *name.split("/")).total_records == 3


def test_path_descriptor_segments_or_one_slashed_segment(client, ns):
    table = numbers_table(10)
    ns.write_file("sales/2024", table, max_chunksize=4)
    split = flight_info(client, ns.prefix, "sales", "2024")
    joined = flight_info(client, ns.name("sales/2024"))
    for info in (split, joined):
        assert info.schema.equals(table.schema)
        assert info.total_records == 10
        assert [endpoint_ticket(e) for e in info.endpoints] == [{"dataset": ns.name("sales/2024"),
                                                                "batches": [0, 3]}]
    # The descriptor is echoed as the client sent it.
    assert descriptor_path(split) == [ns.prefix, "sales", "2024"]
    assert descriptor_path(joined) == [ns.name("sales/2024")]
    schema = client.get_schema(flight.FlightDescriptor.for_path(ns.prefix, "sales", "2024"),
                               options=CALL_OPTIONS).schema
    assert schema.equals(table.schema)


def test_extension_preference_order(client, ns):
    # .arrow beats .feather beats .ipc beats .arrows; removing the winner promotes the next.
    ns.write_stream("a", _tagged("arrows"), ext=".arrows")
    ns.write_file("a", _tagged("ipc"), ext=".ipc")
    ns.write_feather("a", _tagged("feather"))
    ns.write_file("a", _tagged("arrow"), ext=".arrow")
    assert _names_under(client, ns) == {ns.name("a")}
    for winner, file_name in [("arrow", "a.arrow"), ("feather", "a.feather"), ("ipc", "a.ipc"),
                              ("arrows", "a.arrows")]:
        assert fetch(client, ns.name("a")).column("source")[0].as_py() == winner
        listed = [info for info in client.list_flights(ns.name("a").encode(), options=CALL_OPTIONS)]
        assert len(listed) == 1
        os.remove(ns.path(file_name))
    with pytest.raises(pa.ArrowKeyError, match="not found"):
        fetch(client, ns.name("a"))


def test_arrow_content_with_unknown_extension_is_served_under_full_file_name(client, ns):
    ns.write_file("data", _tagged("bin"), ext=".bin")
    ns.write_stream("events", _tagged("log"), ext=".log")
    ns.write_file("no_extension", _tagged("none"), ext="")
    assert _names_under(client, ns) == {ns.name("data.bin"), ns.name("events.log"), ns.name("no_extension")}
    assert fetch(client, ns.name("data.bin")).column("source")[0].as_py() == "bin"
    assert fetch(client, ns.name("events.log")).column("source")[0].as_py() == "log"
    assert fetch(client, ns.name("no_extension")).column("source")[0].as_py() == "none"
    # The extension-less name of such a file is not an alias.
    with pytest.raises(pa.ArrowKeyError, match="not found"):
        fetch(client, ns.name("data"))


def test_non_arrow_files_without_dataset_extension_are_not_datasets(client, ns):
    ns.write_file("real", _tagged("real"))
    ns.write_bytes("notes.txt", b"just some text, long enough to be sniffed\n")
    ns.write_bytes("tiny", b"AR")
    ns.write_bytes("almost", b"ARROW2" + b"\0" * 32)
    assert _names_under(client, ns) == {ns.name("real")}
    for name in ("notes.txt", "tiny", "almost", "notes"):
        with pytest.raises(pa.ArrowKeyError, match="not found"):
            fetch(client, ns.name(name))


def test_hidden_files_and_directories_are_never_datasets(client, ns):
    ns.write_file("visible", _tagged("v"))
    ns.write_file(".hidden", _tagged("h"))
    ns.write_file(".staging/upload", _tagged("s"))
    ns.write_file("dir/.secret", _tagged("x"))
    assert _names_under(client, ns) == {ns.name("visible")}
    for name in (".hidden", ".staging/upload", "dir/.secret"):
        with pytest.raises(pa.ArrowKeyError, match="not found"):
            fetch(client, ns.name(name))


def test_symlinks_inside_the_root_are_followed(client, ns):
    ns.write_file("target", _tagged("t"))
    os.symlink(ns.path("target.arrow"), ns.path("alias.arrow"))
    assert ns.name("alias") in _names_under(client, ns)
    assert fetch(client, ns.name("alias")).column("source")[0].as_py() == "t"


def test_symlinks_leading_outside_the_root_are_not_served(client, ns, tmp_path):
    outside = Namespace(tmp_path, "outside")  # tmp_path is not under the data root
    outside.write_file("secret", _tagged("secret"))
    os.symlink(outside.path("secret.arrow"), ns.path("escape.arrow"))
    os.symlink(outside.directory, ns.path("escape_dir"))
    ns.write_file("inside", _tagged("in"))
    assert _names_under(client, ns) == {ns.name("inside")}
    for name in ("escape", "escape_dir/secret"):
        with pytest.raises(pa.ArrowKeyError, match=f"dataset '{ns.name(name)}' not found"):
            fetch(client, ns.name(name))
        with pytest.raises(pa.ArrowKeyError, match="not found"):
            flight_info(client, ns.name(name))


def test_symlink_loop_does_not_break_listing(client, ns):
    ns.write_file("fine", _tagged("fine"))
    os.symlink(ns.directory, ns.path("loop"))  # ns/loop -> ns: a cycle for a walker following links
    names = _names_under(client, ns)
    assert ns.name("fine") in names
    assert_tables_equal(fetch(client, ns.name("fine")), _tagged("fine"))


def test_fifos_are_not_datasets_and_do_not_block(client, ns):
    # Opening a FIFO to sniff it would block until a writer appears; it must simply be ignored.
    ns.write_file("fine", _tagged("fine"))
    os.mkfifo(ns.path("pipe"))
    os.mkfifo(ns.path("pipe2.arrow"))
    assert _names_under(client, ns) == {ns.name("fine")}
    for name in ("pipe", "pipe2"):
        with pytest.raises(pa.ArrowKeyError, match="not found"):
            fetch(client, ns.name(name))


# --------------------------------------------------------------------------------------------
# ListFlights
# --------------------------------------------------------------------------------------------

@pytest.fixture
def sales_tree(ns):
    for name in ("sales/2024", "sales/2025", "sales/eu/2024", "salesman", "other", "archive/2024"):
        ns.write_file(name, _tagged(name))
    ns.write_bytes("broken.arrow", b"not arrow at all, but named like it")
    return ns


def test_empty_criteria_lists_everything(client, sales_tree):
    ns = sales_tree
    # The broken file is left out; the listing itself does not fail because of it.
    assert _names_under(client, ns) == {ns.name(n) for n in (
        "sales/2024", "sales/2025", "sales/eu/2024", "salesman", "other", "archive/2024")}


def test_prefix_criteria(client, sales_tree):
    ns = sales_tree
    assert set(list_names(client, ns.name("sales").encode())) == {
        ns.name(n) for n in ("sales/2024", "sales/2025", "sales/eu/2024", "salesman")}
    assert set(list_names(client, ns.name("sales/").encode())) == {
        ns.name(n) for n in ("sales/2024", "sales/2025", "sales/eu/2024")}
    assert list_names(client, ns.name("sales/2025").encode()) == [ns.name("sales/2025")]
    assert list_names(client, ns.name("nothing-here").encode()) == []


@pytest.mark.parametrize("pattern, expected", [
    ("*", ["salesman", "other"]),                       # '*' stays within one segment
    ("sales/*", ["sales/2024", "sales/2025"]),
    ("**", ["sales/2024", "sales/2025", "sales/eu/2024", "salesman", "other", "archive/2024"]),
    ("**/2024", ["sales/2024", "sales/eu/2024", "archive/2024"]),  # '**' crosses segments
    ("sales/202?", ["sales/2024", "sales/2025"]),
    ("sales/202[4]", ["sales/2024"]),
    ("{other,salesman}", ["other", "salesman"]),
    ("s*", ["salesman"]),
])
def test_glob_criteria(client, sales_tree, pattern, expected):
    ns = sales_tree
    assert set(list_names(client, f"{ns.prefix}/{pattern}".encode())) == {ns.name(n) for n in expected}


def test_listed_info_matches_get_flight_info(client, ns):
    table = core_table(20)
    ns.write_file("one", table, max_chunksize=6)
    [listed] = list(client.list_flights(ns.name("one").encode(), options=CALL_OPTIONS))
    direct = flight_info(client, ns.prefix, "one")
    assert descriptor_path(listed) == [ns.prefix, "one"]
    assert listed.schema.equals(table.schema, check_metadata=True)
    assert listed.total_records == direct.total_records == 20
    assert listed.total_bytes == direct.total_bytes > 0
    assert [endpoint_ticket(e) for e in listed.endpoints] == [endpoint_ticket(e) for e in direct.endpoints]
    assert all(list(e.locations) == [] for e in listed.endpoints)  # served by this same server
    assert listed.ordered


def test_total_bytes_approximates_the_data_sent(client, ns):
    table = numbers_table(100_000)
    name = ns.write_file("sized", table, max_chunksize=10_000)
    info = flight_info(client, name)
    assert info.total_records == 100_000
    # Uncompressed fixed-width data: at least the buffers themselves, at most the whole file.
    assert table.nbytes <= info.total_bytes <= os.path.getsize(ns.path("sized.arrow"))


# --------------------------------------------------------------------------------------------
# Changes on disk, seen without a restart
# --------------------------------------------------------------------------------------------

def test_new_file_appears_without_restart(client, ns):
    assert _names_under(client, ns) == set()
    ns.write_file("late", _tagged("late"))
    assert _names_under(client, ns) == {ns.name("late")}
    assert fetch(client, ns.name("late")).num_rows == 3


def test_replaced_file_is_seen_on_next_request(client, ns):
    name = ns.write_file("versioned", _tagged("v1", rows=3))
    assert fetch(client, name).column("source")[0].as_py() == "v1"
    assert flight_info(client, name).total_records == 3
    # Atomic replacement (write elsewhere, rename over): a new schema and size.
    v2 = pa.table({"other": pa.array([1.5, 2.5, 3.5, 4.5, 5.5])})
    ns.write_file("versioned", v2)
    assert_tables_equal(fetch(client, name), v2)
    info = flight_info(client, name)
    assert info.total_records == 5 and info.schema.equals(v2.schema)


def test_file_rewritten_in_place_is_seen_on_next_request(client, ns):
    # Rewritten through the same inode (no rename): size and modification time change.
    path = ns.path("inplace.arrow")
    v1 = numbers_table(10)
    with pa.ipc.new_file(path, v1.schema) as writer:
        writer.write_table(v1)
    assert_tables_equal(fetch(client, ns.name("inplace")), v1)
    v2 = numbers_table(1000)
    with pa.ipc.new_file(path, v2.schema) as writer:  # truncates and rewrites the same file
        writer.write_table(v2)
    assert_tables_equal(fetch(client, ns.name("inplace")), v2)


def test_deleted_file_is_not_found(client, ns):
    name = ns.write_file("doomed", _tagged("x"))
    assert fetch(client, name).num_rows == 3
    os.remove(ns.path("doomed.arrow"))
    with pytest.raises(pa.ArrowKeyError, match=f"dataset '{name}' not found"):
        fetch(client, name)
    with pytest.raises(pa.ArrowKeyError, match=f"dataset '{name}' not found"):
        flight_info(client, name)
    assert _names_under(client, ns) == set()


def test_broken_file_fixed_later_is_served(client, ns):
    ns.write_bytes("healed.arrow", b"garbage, for now")
    with pytest.raises(flight.FlightInternalError, match="healed"):
        fetch(client, ns.name("healed"))
    table = numbers_table(7)
    ns.write_file("healed", table)
    assert_tables_equal(fetch(client, ns.name("healed")), table)


# --------------------------------------------------------------------------------------------
# Endpoints: a server that splits datasets above 64 KiB
# --------------------------------------------------------------------------------------------

ENDPOINT_SIZE = 64 * 1024


@pytest.fixture(scope="module")
def split_server(start_server, tmp_path_factory):
    data = tmp_path_factory.mktemp("split-data")
    server = start_server(data, "--endpoint-size", "64KiB")
    client = server.connect()
    yield server, client, Namespace(data, "split")
    client.close()
    server.stop()


def _ranges(info):
    return [tuple(endpoint_ticket(e)["batches"]) for e in info.endpoints]


def test_large_dataset_is_split_into_contiguous_endpoints(split_server):
    _, client, space = split_server
    table = big_table(1 << 20)  # 1 MiB of int64s
    name = space.write_file("big", table, max_chunksize=table.num_rows // 64)  # 64 batches of 16 KiB
    info = flight_info(client, name)
    ranges = _ranges(info)
    assert 8 <= len(ranges) <= 17, ranges  # about 1 MiB / 64 KiB
    assert ranges[0][0] == 0 and ranges[-1][1] == 64
    assert all(a[1] == b[0] and a[0] < a[1] for a, b in zip(ranges, ranges[1:])), ranges
    for endpoint in info.endpoints:
        assert endpoint_ticket(endpoint)["dataset"] == name
        assert list(endpoint.locations) == []
    assert info.total_records == table.num_rows
    assert_tables_equal(read_endpoints(client, info), table)


def test_split_of_a_stream_file_with_projection(split_server):
    _, client, space = split_server
    table = core_table(3000)
    name = space.write_stream("core", table, max_chunksize=100)  # 30 batches
    columns = ["los", "id", "dict", "s"]
    info = command_info(client, {"dataset": name, "columns": columns})
    assert len(info.endpoints) > 1
    for endpoint in info.endpoints:
        assert endpoint_ticket(endpoint)["columns"] == columns
    assert info.schema.equals(table.select(columns).schema, check_metadata=True)
    assert_tables_equal(read_endpoints(client, info), table.select(columns))
    # The whole dataset, split by its own sizes, also reassembles.
    assert_tables_equal(read_endpoints(client, flight_info(client, name)), table)


def test_split_within_a_requested_batch_range(split_server):
    _, client, space = split_server
    table = big_table(1 << 20)
    batch_rows = table.num_rows // 64
    name = space.write_file("ranged", table, max_chunksize=batch_rows)
    info = command_info(client, {"dataset": name, "batches": [10, 30]})
    ranges = _ranges(info)
    assert len(ranges) > 1 and ranges[0][0] == 10 and ranges[-1][1] == 30
    assert info.total_records == 20 * batch_rows
    assert_tables_equal(read_endpoints(client, info), table.slice(10 * batch_rows, 20 * batch_rows))


def test_small_and_empty_datasets_have_one_endpoint(split_server):
    _, client, space = split_server
    small = space.write_file("small", numbers_table(100), max_chunksize=10)
    assert _ranges(flight_info(client, small)) == [(0, 10)]
    empty = space.write_file("empty", [], schema=numbers_table(0).schema)
    assert _ranges(flight_info(client, empty)) == [(0, 0)]
    # One batch bigger than the endpoint size cannot be split.
    one = space.write_file("one_big_batch", big_table(256 * 1024))
    assert _ranges(flight_info(client, one)) == [(0, 1)]


def test_listing_on_split_server_reports_endpoints(split_server):
    _, client, space = split_server
    table = big_table(512 * 1024)
    name = space.write_file("listed", table, max_chunksize=table.num_rows // 32)
    [info] = list(client.list_flights(name.encode(), options=CALL_OPTIONS))
    assert len(info.endpoints) > 1
    assert_tables_equal(read_endpoints(client, info), table)
