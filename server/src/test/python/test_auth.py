"""Authentication and authorization as pyarrow sees them: a server started with --auth-file, basic
credentials exchanged for a bearer token with `authenticate_basic_token`, static API tokens in call
headers, and the pyarrow error each refusal raises (FlightUnauthenticatedError for missing or wrong
credentials, FlightUnauthorizedError for a call the principal's scopes do not allow)."""

from __future__ import annotations

import json
import subprocess
import time

import pyarrow as pa
import pyarrow.flight as flight
import pytest

from quiver_support import CALL_TIMEOUT_SECONDS, Namespace, java_executable, server_jar

PASSWORDS = {"alice": "alice-s3cret", "reader": "reader-s3cret", "boss": "boss-s3cret", "limited": "limited-s3cret"}
SCOPES = {"alice": ["read", "write:uploads/*"], "reader": ["read"], "boss": ["admin"], "limited": ["read:sales/*"]}
ALL = ["other", "sales/2024", "uploads/old"]
TABLE = pa.table({"x": pa.array([1, 2, 3], pa.int64())})


def _jar(*args, stdin=None, timeout=60):
    return subprocess.run([java_executable(), "-jar", str(server_jar()), *args], input=stdin,
                          capture_output=True, text=True, timeout=timeout)


def _hash_password(password: str) -> str:
    result = _jar("hash-password", "--cost", "10", stdin=password + "\n")
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def _new_token(name: str, *scopes: str) -> tuple[str, dict]:
    result = _jar("hash-token", "--name", name, *[f"--scope={s}" for s in scopes])
    assert result.returncode == 0, result.stderr
    token, entry = result.stdout.splitlines()
    return token, json.loads(entry)


@pytest.fixture(scope="module")
def tokens():
    """Two API tokens made with `hash-token`: their values and auth file entries."""
    ci, ci_entry = _new_token("ci", "admin")
    uploader, uploader_entry = _new_token("uploader", "write:uploads/*", "read:uploads/**")
    return {"ci": ci, "uploader": uploader, "entries": [ci_entry, uploader_entry]}


@pytest.fixture(scope="module")
def auth_file(tmp_path_factory, tokens):
    users = [{"name": name, "password": _hash_password(PASSWORDS[name]), "scopes": SCOPES[name]} for name in PASSWORDS]
    path = tmp_path_factory.mktemp("quiver-auth") / "auth.json"
    path.write_text(json.dumps({"users": users, "tokens": tokens["entries"]}, indent=2))
    return path


@pytest.fixture(scope="module")
def auth_data(tmp_path_factory):
    data = tmp_path_factory.mktemp("quiver-auth-data")
    root = Namespace(data, "")
    for name in ALL:
        root.write_file(name, TABLE)
    return data


@pytest.fixture(scope="module")
def secured(start_server, auth_data, auth_file):
    return start_server(auth_data, "--auth-file", str(auth_file))


@pytest.fixture
def conn(secured):
    client = secured.connect()
    yield client
    client.close()


def options(*headers) -> flight.FlightCallOptions:
    return flight.FlightCallOptions(timeout=CALL_TIMEOUT_SECONDS, headers=list(headers))


def login(client: flight.FlightClient, user: str, password: str | None = None) -> flight.FlightCallOptions:
    pair = client.authenticate_basic_token(user, password if password is not None else PASSWORDS[user],
                                           options=options())
    assert pair[0] == b"authorization" and pair[1].startswith(b"Bearer qvr_"), pair
    return options(pair)


def bearer(token: str) -> flight.FlightCallOptions:
    return options((b"authorization", f"Bearer {token}".encode()))


def names(client: flight.FlightClient, opts: flight.FlightCallOptions, criteria: bytes = b"") -> list[str]:
    return sorted("/".join(p.decode() if isinstance(p, bytes) else p for p in info.descriptor.path)
                  for info in client.list_flights(criteria, options=opts))


def read(client: flight.FlightClient, dataset: str, opts: flight.FlightCallOptions) -> pa.Table:
    return client.do_get(flight.Ticket(dataset.encode()), options=opts).read_all()


def action(client: flight.FlightClient, name: str, body: dict, opts: flight.FlightCallOptions) -> dict:
    results = list(client.do_action(flight.Action(name, json.dumps(body).encode()), options=opts))
    return json.loads(results[0].body.to_pybytes())


def put(client: flight.FlightClient, dataset: str, opts: flight.FlightCallOptions) -> None:
    writer, reader = client.do_put(flight.FlightDescriptor.for_path(*dataset.split("/")), TABLE.schema, options=opts)
    writer.write_table(TABLE)
    writer.done_writing()
    reader.read()
    writer.close()


# ---- authentication ------------------------------------------------------------------------------

def test_without_credentials_every_call_is_unauthenticated(conn):
    with pytest.raises(flight.FlightUnauthenticatedError, match="no credentials.*authorization: Bearer <token>"):
        names(conn, options())
    with pytest.raises(flight.FlightUnauthenticatedError):
        read(conn, "other", options())
    with pytest.raises(flight.FlightUnauthenticatedError):
        conn.get_flight_info(flight.FlightDescriptor.for_path("other"), options=options())
    with pytest.raises(flight.FlightUnauthenticatedError):
        action(conn, "stats", {}, options())
    with pytest.raises(flight.FlightUnauthenticatedError):
        put(conn, "uploads/anonymous", options())


def test_authenticate_basic_token_then_bearer_header(conn):
    opts = login(conn, "reader")
    assert names(conn, opts) == ALL
    assert read(conn, "sales/2024", opts).equals(TABLE)
    # Another handshake gives another token; both work.
    assert names(conn, login(conn, "reader")) == ALL
    assert names(conn, opts) == ALL


def test_wrong_password_and_unknown_user_are_unauthenticated(conn, secured):
    with pytest.raises(flight.FlightUnauthenticatedError, match="wrong user name or password"):
        conn.authenticate_basic_token("alice", "not-her-password", options=options())
    with pytest.raises(flight.FlightUnauthenticatedError, match="wrong user name or password"):
        conn.authenticate_basic_token("mallory", PASSWORDS["alice"], options=options())
    log = secured.log()
    assert "authentication failed: user=alice" in log
    assert "user=mallory" in log
    assert "not-her-password" not in log


def test_basic_credentials_on_each_call_work_too(conn):
    import base64
    basic = base64.b64encode(f"limited:{PASSWORDS['limited']}".encode())
    assert names(conn, options((b"authorization", b"Basic " + basic))) == ["sales/2024"]


def test_static_api_tokens_in_call_headers(conn, tokens):
    assert names(conn, bearer(tokens["ci"])) == ALL
    assert names(conn, bearer(tokens["uploader"])) == ["uploads/old"]


def test_unknown_tokens_are_unauthenticated(conn, tokens):
    with pytest.raises(flight.FlightUnauthenticatedError, match="unknown token") as refused:
        names(conn, bearer(tokens["ci"] + "x"))
    assert tokens["ci"] not in str(refused.value)
    with pytest.raises(flight.FlightUnauthenticatedError, match="unknown token"):
        names(conn, bearer("qvr_made-up"))
    with pytest.raises(flight.FlightUnauthenticatedError, match="neither 'Bearer <token>' nor 'Basic"):
        names(conn, options((b"authorization", tokens["ci"].encode())))


def test_issued_tokens_expire(start_server, auth_data, auth_file):
    short = start_server(auth_data, "--auth-file", str(auth_file), "--token-ttl", "1500ms")
    client = short.connect()
    try:
        opts = login(client, "reader")
        assert names(client, opts) == ALL
        time.sleep(1.7)
        with pytest.raises(flight.FlightUnauthenticatedError, match="token expired: authenticate again"):
            names(client, opts)
        assert names(client, login(client, "reader")) == ALL
    finally:
        client.close()


# ---- authorization -------------------------------------------------------------------------------

def test_list_flights_shows_only_what_the_caller_may_read(conn):
    assert names(conn, login(conn, "reader")) == ALL
    assert names(conn, login(conn, "limited")) == ["sales/2024"]
    assert names(conn, login(conn, "limited"), b"other") == []
    assert names(conn, login(conn, "boss")) == ALL


def test_reading_needs_read_on_the_name(conn, tokens):
    limited = login(conn, "limited")
    assert read(conn, "sales/2024", limited).equals(TABLE)
    with pytest.raises(flight.FlightUnauthorizedError, match="'limited' may not read dataset 'other'"):
        read(conn, "other", limited)
    with pytest.raises(flight.FlightUnauthorizedError):
        conn.get_flight_info(flight.FlightDescriptor.for_path("other"), options=limited)
    # pyarrow's get_schema raises a plain OSError for every status; the code is in its message.
    with pytest.raises(OSError, match="unauthorized error.*'limited' may not read dataset 'uploads/old'"):
        conn.get_schema(flight.FlightDescriptor.for_path("uploads", "old"), options=limited)
    with pytest.raises(flight.FlightUnauthorizedError):
        read(conn, "other", bearer(tokens["uploader"]))


def test_a_read_only_principal_cannot_write(conn, auth_data):
    reader = login(conn, "reader")
    with pytest.raises(flight.FlightUnauthorizedError, match="'reader' may not write"):
        put(conn, "uploads/by-reader", reader)
    with pytest.raises(flight.FlightUnauthorizedError):
        action(conn, "delete", {"dataset": "other"}, reader)
    with pytest.raises(flight.FlightUnauthorizedError):
        action(conn, "rename", {"from": "other", "to": "moved"}, reader)
    assert names(conn, reader) == ALL
    assert not (auth_data / "uploads" / "by-reader.arrow").exists()


def test_write_on_a_pattern_allows_uploads_under_it_only(conn, tokens):
    alice = login(conn, "alice")
    put(conn, "uploads/from-alice", alice)
    assert read(conn, "uploads/from-alice", alice).equals(TABLE)
    with pytest.raises(flight.FlightUnauthorizedError, match="may not write dataset 'sales/2026'"):
        put(conn, "sales/2026", alice)
    with pytest.raises(flight.FlightUnauthorizedError):
        action(conn, "rename", {"from": "uploads/from-alice", "to": "sales/stolen"}, alice)
    action(conn, "delete", {"dataset": "uploads/from-alice"}, alice)

    uploader = bearer(tokens["uploader"])
    put(conn, "uploads/from-token", uploader)
    assert names(conn, uploader) == ["uploads/from-token", "uploads/old"]
    with pytest.raises(flight.FlightUnauthorizedError):
        put(conn, "elsewhere", uploader)
    action(conn, "delete", {"dataset": "uploads/from-token"}, bearer(tokens["ci"]))


def test_server_wide_actions_need_admin(conn, tokens):
    assert "doget_bytes_sent" in action(conn, "stats", {}, login(conn, "boss"))
    assert "datasets" in action(conn, "refresh", {}, bearer(tokens["ci"]))
    for opts in (login(conn, "reader"), login(conn, "alice"), bearer(tokens["uploader"])):
        with pytest.raises(flight.FlightUnauthorizedError, match="needs scope admin on every dataset"):
            action(conn, "stats", {}, opts)
        with pytest.raises(flight.FlightUnauthorizedError):
            action(conn, "refresh", {}, opts)


def test_no_secret_reaches_the_log(conn, secured, tokens):
    login(conn, "alice")
    names(conn, bearer(tokens["ci"]))
    log = secured.log()
    assert "authentication on: 4 user(s) and 2 API token(s)" in log
    for secret in [*PASSWORDS.values(), tokens["ci"], tokens["uploader"], "qvr_"]:
        assert secret not in log


# ---- without authentication, and a bad auth file ---------------------------------------------------

def test_without_an_auth_file_the_handshake_succeeds_without_a_token(client):
    assert client.authenticate_basic_token("anyone", "anything", options=options()) == (b"", b"")


def test_a_plaintext_password_in_the_auth_file_is_refused_at_start_up(tmp_path):
    bad = tmp_path / "auth.json"
    bad.write_text(json.dumps({"users": [{"name": "bob", "password": "hunter2", "scopes": ["read"]}]}))
    result = _jar("--data", str(tmp_path), "--host", "127.0.0.1", "--port", "0", "--auth-file", str(bad))
    output = result.stdout + result.stderr
    assert result.returncode == 2, output
    assert f"auth file {bad}: users[0] ('bob'): \"password\" is not a bcrypt hash" in output
    assert "hunter2" not in output


def test_hash_password_refuses_a_weak_cost():
    result = _jar("hash-password", "--cost", "4", stdin="pw\n")
    assert result.returncode == 2
    assert "--cost must be between 10 and 31" in result.stderr
