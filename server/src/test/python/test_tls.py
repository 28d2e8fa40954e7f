"""TLS and mutual TLS from pyarrow: `flight.connect("grpc+tls://...", tls_root_certs=...)` lists and
reads; with --tls-client-ca, only a client presenting a certificate the CA signed (cert_chain,
private_key) gets in.

The certificates are generated when the suite runs, with the openssl command line (no private key
is committed): a CA, a server certificate for localhost/127.0.0.1 and a client certificate it
signed, and a client certificate from an unrelated CA.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.flight as flight
import pytest

from quiver_support import CALL_OPTIONS, Namespace, QuiverServer, assert_tables_equal, list_names

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="the openssl command is needed")

# Connection failures must fail fast, not wait for the suite's 60 s call deadline.
SHORT = flight.FlightCallOptions(timeout=10)


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True, timeout=60)


def _ca(directory: Path, name: str) -> None:
    _openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
             "-keyout", f"{name}.key", "-out", f"{name}.pem", "-days", "2", "-subj", f"/O=Quiver tests/CN={name}",
             "-addext", "basicConstraints=critical,CA:TRUE",
             "-addext", "keyUsage=critical,keyCertSign,cRLSign", cwd=directory)


def _leaf(directory: Path, name: str, ca: str, extensions: str) -> None:
    _openssl("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
             "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj", f"/O=Quiver tests/CN={name}", cwd=directory)
    (directory / f"{name}.ext").write_text(extensions)
    _openssl("x509", "-req", "-in", f"{name}.csr", "-CA", f"{ca}.pem", "-CAkey", f"{ca}.key", "-CAcreateserial",
             "-out", f"{name}.pem", "-days", "2", "-sha256", "-extfile", f"{name}.ext", cwd=directory)


@dataclass(frozen=True)
class Certificates:
    directory: Path

    def path(self, name: str) -> Path:
        return self.directory / name

    def read(self, name: str) -> bytes:
        return self.path(name).read_bytes()


@pytest.fixture(scope="module")
def certs(tmp_path_factory) -> Certificates:
    directory = tmp_path_factory.mktemp("certificates")
    _ca(directory, "ca")
    _leaf(directory, "server", "ca", "basicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n"
                                     "subjectAltName=DNS:localhost,IP:127.0.0.1\n")
    _leaf(directory, "client", "ca", "basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n")
    _ca(directory, "other-ca")
    _leaf(directory, "other-client", "other-ca", "basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n")
    # What --tls-key expects: unencrypted PKCS#8 (OpenSSL 3 writes it by default; older ones did not).
    assert certs_key_is_pkcs8(directory / "server.key")
    return Certificates(directory)


def certs_key_is_pkcs8(key: Path) -> bool:
    return key.read_text().startswith("-----BEGIN PRIVATE KEY-----")


TABLE = pa.table({"id": pa.array(range(1000), pa.int64()), "name": [f"row-{i}" for i in range(1000)]})


@pytest.fixture(scope="module")
def tls_data(tmp_path_factory):
    data = tmp_path_factory.mktemp("tls-data")
    Namespace(data, "secure").write_file("table", TABLE)
    return data


@pytest.fixture(scope="module")
def tls_server(start_server, tls_data, certs):
    return start_server(tls_data, "--tls-cert", str(certs.path("server.pem")), "--tls-key",
                        str(certs.path("server.key")))


@pytest.fixture(scope="module")
def mtls_server(start_server, tls_data, certs):
    return start_server(tls_data, "--tls-cert", str(certs.path("server.pem")), "--tls-key",
                        str(certs.path("server.key")), "--tls-client-ca", str(certs.path("ca.pem")))


def _lists_and_reads(client: flight.FlightClient) -> None:
    assert list_names(client) == ["secure/table"]
    info = client.get_flight_info(flight.FlightDescriptor.for_path("secure", "table"), CALL_OPTIONS)
    assert info.total_records == TABLE.num_rows
    table = client.do_get(info.endpoints[0].ticket, CALL_OPTIONS).read_all()
    assert_tables_equal(table, TABLE)


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1"])
def test_tls_client_trusting_the_ca_lists_and_reads(tls_server, certs, host):
    with flight.connect(f"grpc+tls://{host}:{tls_server.port}", tls_root_certs=certs.read("ca.pem")) as client:
        _lists_and_reads(client)


def test_plain_client_cannot_use_the_tls_port(tls_server):
    with flight.connect(f"grpc://127.0.0.1:{tls_server.port}") as client:
        with pytest.raises(flight.FlightUnavailableError):
            client.get_flight_info(flight.FlightDescriptor.for_path("secure", "table"), SHORT)


def test_tls_client_trusting_another_ca_refuses_the_server(tls_server, certs):
    with flight.connect(f"grpc+tls://localhost:{tls_server.port}",
                        tls_root_certs=certs.read("other-ca.pem")) as client:
        with pytest.raises(flight.FlightUnavailableError):
            client.get_flight_info(flight.FlightDescriptor.for_path("secure", "table"), SHORT)


def test_mtls_client_with_a_certificate_from_the_ca_lists_and_reads(mtls_server, certs):
    with flight.connect(f"grpc+tls://localhost:{mtls_server.port}", tls_root_certs=certs.read("ca.pem"),
                        cert_chain=certs.read("client.pem"), private_key=certs.read("client.key")) as client:
        _lists_and_reads(client)


def test_mtls_client_without_a_certificate_is_refused(mtls_server, certs):
    with flight.connect(f"grpc+tls://localhost:{mtls_server.port}", tls_root_certs=certs.read("ca.pem")) as client:
        with pytest.raises(flight.FlightUnavailableError):
            client.get_flight_info(flight.FlightDescriptor.for_path("secure", "table"), SHORT)


def test_mtls_client_with_a_certificate_from_another_ca_is_refused(mtls_server, certs):
    with flight.connect(f"grpc+tls://localhost:{mtls_server.port}", tls_root_certs=certs.read("ca.pem"),
                        cert_chain=certs.read("other-client.pem"),
                        private_key=certs.read("other-client.key")) as client:
        with pytest.raises(flight.FlightUnavailableError):
            client.get_flight_info(flight.FlightDescriptor.for_path("secure", "table"), SHORT)


def test_a_key_of_another_certificate_stops_start_up(tmp_path, certs, tls_data):
    server = QuiverServer(tls_data, tmp_path / "work", ["--tls-cert", str(certs.path("server.pem")),
                                                         "--tls-key", str(certs.path("client.key"))])
    with pytest.raises(RuntimeError, match="exited with code 2") as failure:
        server.start()
    assert "--tls-key" in str(failure.value) and str(certs.path("client.key")) in str(failure.value)
    assert "does not match" in str(failure.value)


def test_a_missing_certificate_stops_start_up_naming_it(tmp_path, certs, tls_data):
    missing = tmp_path / "absent.pem"
    server = QuiverServer(tls_data, tmp_path / "work", ["--tls-cert", str(missing),
                                                         "--tls-key", str(certs.path("server.key"))])
    with pytest.raises(RuntimeError, match="exited with code 2") as failure:
        server.start()
    assert f"--tls-cert {missing}: no such file" in str(failure.value)
