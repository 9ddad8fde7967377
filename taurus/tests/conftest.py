"""Shared fixtures: a loopback HTTP (or HTTPS) target that logs every request, a test CA made
with the ``openssl`` command, and a real bzt runner.

bzt runs as ``python -m bzt.cli`` (so SIGTERM is handled), offline (``check-updates: false``
in the config and in a scratch HOME's ``.bzt-rc``), with its console off. The plugin is the
pip-installed ``bzt_vajra`` (``scripts/test.sh`` installs it); ``installed_plugin`` checks that
the installed copy is this source tree's.
"""

import csv
import filecmp
import http.server
import json
import os
import ssl
import subprocess
import sys
import threading
from urllib.parse import parse_qs, urlsplit
from pathlib import Path

import pytest
import yaml

TAURUS_DIR = Path(__file__).resolve().parent.parent
REPO = TAURUS_DIR.parent
PLUGIN_FILES = ["__init__.py", "vajra_executor.py", "bzt-configs.json", "20-vajra.yml"]
BZT_TIMEOUT = 90
# Unit tests import the plugin from this source tree (bzt runs use the installed copy).
sys.path.insert(0, str(TAURUS_DIR))


class Target:
    """A threaded HTTP/1.1 server on 127.0.0.1 that logs each request it gets; HTTPS with the
    certificate and key of ``tls`` (a ``CertificateAuthority.server`` pair), offering only ``http/1.1`` by
    ALPN, since this server speaks nothing else.

    Header names are logged in lower case, with the connection's TLS version (``None`` on plain
    HTTP) and the client's port, which tells connections apart. Paths: ``/fail`` answers 500;
    ``/flaky`` answers 500 to every 5th request it gets; ``/redirect?to=PATH`` answers 302 to
    PATH; ``/set-cookie?name=value`` answers 200 and sets that cookie (``Path=/``);
    ``/json?name=value`` answers 200 with the JSON object of its parameters; anything else
    answers 200 with the body ``hello ok <path>``.
    """

    def __init__(self, tls=None):
        self.log = []
        self.lock = threading.Lock()
        target = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self):
                # The handshake runs here, in the connection's thread, not in the accept loop.
                if isinstance(self.request, ssl.SSLSocket):
                    self.request.do_handshake()
                super().setup()

            def handle_one(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode("utf-8") if length else ""
                tls_version = self.request.version() if isinstance(self.request, ssl.SSLSocket) \
                    else None
                with target.lock:
                    target.log.append({
                        "method": self.command, "path": self.path,
                        "headers": {k.lower(): v for k, v in self.headers.items()}, "body": body,
                        "tls": tls_version, "client_port": self.client_address[1]})
                    flaky_count = sum(1 for r in target.log if r["path"] == "/flaky")
                url = urlsplit(self.path)
                query = {key: values[0] for key, values in parse_qs(url.query).items()}
                failing = self.path == "/fail" or (self.path == "/flaky" and flaky_count % 5 == 0)
                payload = ("hello ok %s" % self.path).encode()
                if url.path == "/json":
                    payload = json.dumps(query).encode()
                if url.path == "/redirect":
                    self.send_response(302)
                    self.send_header("Location", query.get("to", "/"))
                else:
                    self.send_response(500 if failing else 200)
                if url.path == "/set-cookie":
                    for name, value in query.items():
                        self.send_header("Set-Cookie", "%s=%s; Path=/" % (name, value))
                if url.path == "/json":
                    self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_DELETE = handle_one

            def log_message(self, *args):
                pass

        class Server(http.server.ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request, client_address):
                # A client that refuses the certificate ends the handshake: expected in tests.
                if not isinstance(sys.exc_info()[1], (ssl.SSLError, ConnectionError)):
                    super().handle_error(request, client_address)

        self.server = Server(("127.0.0.1", 0), Handler)
        scheme = "http"
        if tls:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*tls)
            context.set_alpn_protocols(["http/1.1"])
            self.server.socket = context.wrap_socket(self.server.socket, server_side=True,
                                                     do_handshake_on_connect=False)
            scheme = "https"
        self.url = "%s://127.0.0.1:%d" % (scheme, self.server.server_address[1])
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def requests(self):
        with self.lock:
            return list(self.log)

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def target():
    server = Target()
    yield server
    server.close()


class CertificateAuthority:
    """A certificate authority made for the test with the ``openssl`` command, and a server
    certificate it signed for 127.0.0.1 and localhost (ECDSA P-256, valid for two days)."""

    def __init__(self, directory):
        directory.mkdir(parents=True, exist_ok=True)
        self.ca_file = directory / "test-ca.pem"
        ca_key = directory / "test-ca.key"
        cert, key = directory / "server.pem", directory / "server.key"
        csr, extensions = directory / "server.csr", directory / "server.ext"
        extensions.write_text("basicConstraints=critical,CA:FALSE\n"
                              "keyUsage=critical,digitalSignature\n"
                              "extendedKeyUsage=serverAuth\n"
                              "subjectAltName=IP:127.0.0.1,DNS:localhost\n")
        ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        self._openssl(["req", "-x509"] + ec + [
            "-keyout", ca_key, "-out", self.ca_file, "-days", "2", "-subj", "/CN=vajra test CA",
            "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign"])
        self._openssl(["req"] + ec + ["-keyout", key, "-out", csr, "-subj", "/CN=127.0.0.1"])
        self._openssl(["x509", "-req", "-in", csr, "-CA", self.ca_file, "-CAkey", ca_key,
                       "-CAcreateserial", "-out", cert, "-days", "2", "-extfile", extensions])
        self.server = (str(cert), str(key))

    @staticmethod
    def _openssl(args):
        done = subprocess.run(["openssl"] + [str(arg) for arg in args], capture_output=True,
                              text=True)
        assert done.returncode == 0, "openssl %s failed:\n%s" % (args[0], done.stderr)


@pytest.fixture(scope="session")
def test_ca(tmp_path_factory):
    return CertificateAuthority(tmp_path_factory.mktemp("test-ca"))


@pytest.fixture
def https_target(test_ca):
    server = Target(tls=test_ca.server)
    yield server
    server.close()


@pytest.fixture(scope="session")
def vajra_bin():
    path = Path(os.environ.get("VAJRA_BIN") or REPO / "target" / "debug" / "vajra")
    assert path.is_file(), "no vajra binary at %s: run `cargo build -p vajra` or set VAJRA_BIN" % path
    return path.resolve()


@pytest.fixture(scope="session")
def installed_plugin():
    """The pip-installed plugin package, checked to be this source tree's."""
    probe = subprocess.run([sys.executable, "-c", "import bzt_vajra, os; "
                            "print(os.path.dirname(bzt_vajra.__file__))"],
                           capture_output=True, text=True, cwd="/", env=clean_env())
    assert probe.returncode == 0, "bzt_vajra is not installed: pip install ./taurus\n" + probe.stderr
    installed = Path(probe.stdout.strip())
    for name in PLUGIN_FILES:
        assert filecmp.cmp(installed / name, TAURUS_DIR / "bzt_vajra" / name, shallow=False), \
            "installed %s differs from the source: pip install ./taurus" % name
    return installed


def clean_env(path_dirs=()):
    """os.environ without PYTHONPATH, with ``path_dirs`` first on PATH."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "GRACEFUL")}
    env["PATH"] = os.pathsep.join([str(d) for d in path_dirs] + [env.get("PATH", "")])
    return env


class BztRun:
    """A finished (or running) bzt: exit code, output, and where its artifacts went."""

    def __init__(self, workdir):
        self.workdir = workdir
        self.artifacts = workdir / "artifacts"
        self.stats_csv = workdir / "final-stats.csv"
        self.returncode = None
        self.output = ""

    def final_stats(self):
        """Taurus's final-stats dump: label ('' for the total) to its row."""
        with open(self.stats_csv, newline="") as fds:
            return {row["label"]: row for row in csv.DictReader(fds)}

    def vajra_summary(self):
        return json.loads((self.artifacts / "vajra" / "summary.json").read_text())

    def jtl_rows(self):
        with open(self.artifacts / "vajra" / "results.jtl", newline="") as fds:
            return list(csv.DictReader(fds))

    def effective_config(self):
        """The config the plugin handed to vajra: one execution and the scenarios it uses."""
        return yaml.safe_load((self.artifacts / "vajra-taurus.yml").read_text())


@pytest.fixture
def bzt(tmp_path, vajra_bin, installed_plugin):
    """Starts bzt on a config (a dict) with ``options`` as its ``-o`` overrides; returns the
    BztRun, or the Popen with ``wait=False``."""

    def run(config, path_dirs=(vajra_bin.parent,), cwd=None, config_name="taurus.yml",
            wait=True, reporting=None, options=()):
        workdir = Path(cwd or tmp_path)
        home = tmp_path / "home"
        home.mkdir(exist_ok=True)
        (home / ".bzt-rc").write_text("settings:\n  check-updates: false\n")
        result = BztRun(workdir)
        config = dict(config)
        config.setdefault("settings", {}).update(
            {"check-updates": False, "artifacts-dir": str(result.artifacts)})
        config["~services"] = []
        config["~reporting"] = [{"module": "final-stats", "dump-csv": str(result.stats_csv)}] \
            + list(reporting or [])
        config_path = workdir / config_name
        config_path.write_text(yaml.safe_dump(config, sort_keys=False))
        env = clean_env(path_dirs)
        env["HOME"] = str(home)
        cmd = [sys.executable, "-m", "bzt.cli", str(config_path), "-o", "modules.console.disable=true"]
        for option in options:
            cmd += ["-o", option]
        proc = subprocess.Popen(cmd, cwd=workdir, env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, text=True)
        if not wait:
            return result, proc
        try:
            result.output, _ = proc.communicate(timeout=BZT_TIMEOUT)
        finally:
            proc.kill()
        result.returncode = proc.returncode
        return result

    return run
