"""Shared fixtures: a loopback HTTP target that logs every request, and a real bzt runner.

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
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import yaml

TAURUS_DIR = Path(__file__).resolve().parent.parent
REPO = TAURUS_DIR.parent
PLUGIN_FILES = ["__init__.py", "vajra_executor.py", "vajra_plan.py", "bzt-configs.json",
                "20-vajra.yml"]
BZT_TIMEOUT = 90
# Unit tests import the plugin from this source tree (bzt runs use the installed copy).
sys.path.insert(0, str(TAURUS_DIR))


class Target:
    """A threaded HTTP/1.1 server on 127.0.0.1 that logs each request it gets.

    Header names are logged in lower case. Paths: ``/fail`` answers 500; ``/flaky`` answers 500 to every 5th request it gets; anything
    else answers 200 with the body ``hello ok <path>``.
    """

    def __init__(self):
        self.log = []
        self.lock = threading.Lock()
        target = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def handle_one(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode("utf-8") if length else ""
                with target.lock:
                    target.log.append({"method": self.command, "path": self.path,
                                       "headers": {k.lower(): v for k, v in self.headers.items()}, "body": body})
                    flaky_count = sum(1 for r in target.log if r["path"] == "/flaky")
                failing = self.path == "/fail" or (self.path == "/flaky" and flaky_count % 5 == 0)
                payload = ("hello ok %s" % self.path).encode()
                self.send_response(500 if failing else 200)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_DELETE = handle_one

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = "http://127.0.0.1:%d" % self.server.server_address[1]
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

    def plan(self):
        return yaml.safe_load((self.artifacts / "vajra-plan.yaml").read_text())


@pytest.fixture
def bzt(tmp_path, vajra_bin, installed_plugin):
    """Starts bzt on a config (a dict); returns the BztRun, or the Popen with ``wait=False``."""

    def run(config, path_dirs=(vajra_bin.parent,), cwd=None, config_name="taurus.yml",
            wait=True, reporting=None):
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
