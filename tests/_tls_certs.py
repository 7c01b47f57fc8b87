"""Real certificates made in the test: a self-signed one, one from a private CA, an expired one, one for another host.

    certs = make_certificates(tmp_path)       # PEM files under tmp_path
    certs.server_context("self-signed")       # an ssl.SSLContext serving that certificate
    certs.ca_file                             # the private CA, for ca_bundle / SSL_CERT_FILE

Every certificate names 127.0.0.1 (and localhost) except "wrong-host", which names
other.example.com only; "expired" ended yesterday. Made with `cryptography` (a test dependency).
"""

from __future__ import annotations

import datetime
import ipaddress
import ssl
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

KINDS = ("self-signed", "private-ca", "expired", "wrong-host")


def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])


def _pem_key(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


@dataclass
class Certificates:
    folder: Path
    ca_file: Path

    def paths(self, kind: str) -> tuple[Path, Path]:
        return self.folder / f"{kind}.crt", self.folder / f"{kind}.key"

    def server_context(self, kind: str) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        cert, key = self.paths(kind)
        context.load_cert_chain(cert, key)
        return context


def make_certificates(folder: Path) -> Certificates:
    folder.mkdir(parents=True, exist_ok=True)
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (x509.CertificateBuilder().subject_name(_name("workbench test CA")).issuer_name(_name("workbench test CA"))
          .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
          .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=30))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .sign(ca_key, hashes.SHA256()))
    ca_file = folder / "ca.pem"
    ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    local = [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
    plans = {
        "self-signed": (None, local, now + datetime.timedelta(days=30)),
        "private-ca": (ca_key, local, now + datetime.timedelta(days=30)),
        "expired": (ca_key, local, now - datetime.timedelta(days=1)),
        "wrong-host": (ca_key, [x509.DNSName("other.example.com")], now + datetime.timedelta(days=30)),
    }
    for kind, (signer, names, until) in plans.items():
        key = ec.generate_private_key(ec.SECP256R1())
        subject = _name("127.0.0.1" if kind != "wrong-host" else "other.example.com")
        builder = (x509.CertificateBuilder().subject_name(subject)
                   .issuer_name(subject if signer is None else ca.subject).public_key(key.public_key())
                   .serial_number(x509.random_serial_number())
                   .not_valid_before(now - datetime.timedelta(days=10)).not_valid_after(until)
                   .add_extension(x509.SubjectAlternativeName(names), critical=False))
        cert = builder.sign(signer or key, hashes.SHA256())
        cert_path, key_path = folder / f"{kind}.crt", folder / f"{kind}.key"
        cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        key_path.write_bytes(_pem_key(key))
    return Certificates(folder, ca_file)
