"""The package `vajra package` builds runs under the real Taurus as a BlazeMeter engine runs it:
unzipped into a scratch directory, one location's execution of its taurus.yml run by
`python -m bzt.cli` in that directory, with the flat plugin (`vajra_executor.py`) and the
`vajra` binary found beside the config, not installed anywhere. The samples must match the
TPS share that location was given.

Needs $VAJRA_BIN (default target/debug/vajra), `strip` (the debug binary is over BlazeMeter's
50 MB limit; a stripped copy is the same program) and bzt ($BZT_PYTHON, else
target/venv-bzt or /work/venv-bzt); skips, saying why, without bzt.
"""

import os
import pathlib
import shutil
import subprocess
import sys
import zipfile

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[3]
VAJRA = os.environ.get("VAJRA_BIN", str(ROOT / "target" / "debug" / "vajra"))
BZT_TIMEOUT_S = 120


def find_bzt_python():
    candidates = [os.environ.get("BZT_PYTHON"), str(ROOT / "target" / "venv-bzt" / "bin" / "python"),
                  "/work/venv-bzt/bin/python", sys.executable]
    for python in filter(None, candidates):
        if pathlib.Path(python).exists() and subprocess.run(
                [python, "-c", "import bzt, yaml"], capture_output=True).returncode == 0:
            return python
    return None


BZT_PYTHON = find_bzt_python()
if BZT_PYTHON is None:
    pytest.skip("bzt is not installed (set BZT_PYTHON, or run scripts/test.sh)", allow_module_level=True)

import yaml  # noqa: E402  (bzt's venv has PyYAML; imported after the skip check)

# 30 TPS split 2:1 with 10 TPS per engine: us-east4-a 20 TPS on 2 engines, europe-west1-b
# 10 TPS on 1 engine.
PLAN = (
    "name: engine-check\n"
    "target: embedded\n"
    "requests:\n"
    "  - {label: fast, url: \"/fast?user=${user}\"}\n"
    "  - {label: slow, url: /slow?ms=1}\n"
    "data:\n"
    "  - file: data/users.csv\n"
    "thresholds: ['errors>50%']\n"
)


@pytest.fixture(scope="module")
def package(tmp_path_factory):
    src = tmp_path_factory.mktemp("src")
    (src / "data").mkdir()
    (src / "data" / "users.csv").write_text("user\nalice\nbob\ncarol\n")
    (src / "plan.yaml").write_text(PLAN)
    small = src / "vajra-small"
    subprocess.run(["strip", "-o", str(small), VAJRA], check=True)
    built = subprocess.run(
        [VAJRA, "package", "plan.yaml", "--locations", "us-east4-a=2,europe-west1-b=1",
         "--tps", "30", "--duration", "3s", "--engine-capacity-tps", "10",
         "--vajra-binary", str(small), "-o", "test.zip"],
        cwd=src, capture_output=True, text=True, timeout=60)
    assert built.returncode == 0, built.stderr
    engine = tmp_path_factory.mktemp("engine")
    with zipfile.ZipFile(src / "test.zip") as archive:
        archive.extractall(engine)
        mode = archive.getinfo("vajra").external_attr >> 16
    # zipfile does not restore permissions; the archive carries them (0755) as unzip uses them.
    assert mode & 0o777 == 0o755
    os.chmod(engine / "vajra", 0o755)
    return engine


def engine_config(package, location):
    """taurus.yml as one engine of `location` gets it: that location's execution alone."""
    config = yaml.safe_load((package / "taurus.yml").read_text())
    [execution] = [e for e in config["execution"] if location in e["locations"]]
    assert execution["locations"][location] == 1, "a one-engine location runs its whole share"
    execution = {k: v for k, v in execution.items() if k not in ("locations", "locations-weighted")}
    config["execution"] = [execution]
    config["settings"] = {"check-updates": False, "artifacts-dir": str(package / "artifacts")}
    config["reporting"] = []
    config["~services"] = []
    (package / "engine.yml").write_text(yaml.safe_dump(config))
    return execution


def test_one_location_runs_its_exact_share_under_real_bzt(package, tmp_path):
    execution = engine_config(package, "europe-west1-b")
    assert execution["executor"] == "vajra"
    assert execution["throughput"] == 10
    assert execution["hold-for"] == "3s"
    home = tmp_path / "home"
    home.mkdir()
    (home / ".bzt-rc").write_text("settings:\n  check-updates: false\n")
    # No vajra on PATH: the plugin must find the binary beside the config, as on an engine.
    path = os.pathsep.join(p for p in os.environ.get("PATH", "").split(os.pathsep)
                           if p and not (pathlib.Path(p) / "vajra").exists())
    env = dict(os.environ, HOME=str(home), PATH=path)
    env.pop("PYTHONPATH", None)
    done = subprocess.run(
        [BZT_PYTHON, "-m", "bzt.cli", "engine.yml", "-o", "modules.console.disable=true"],
        cwd=package, env=env, capture_output=True, text=True, timeout=BZT_TIMEOUT_S)
    print(done.stdout[-3000:], done.stderr[-3000:])
    assert done.returncode == 0
    jtl = package / "artifacts" / "vajra" / "results.jtl"
    rows = jtl.read_text().splitlines()[1:]
    # 10 arrivals/s for 3 s, two requests each.
    assert len(rows) == 60
    labels = sorted(row.split(",")[2] for row in rows)
    assert labels.count("fast") == 30 and labels.count("slow") == 30
    # The plan inside the package reads its data by base name; the thresholds stay with the
    # client (they are checked on the cloud aggregate), so the engine's plan has none.
    packaged = yaml.safe_load((package / "plan.yaml").read_text())
    assert packaged["data"][0]["file"] == "users.csv"
    assert "thresholds" not in packaged and "load" not in packaged
    assert shutil.which("vajra", path=path) is None
