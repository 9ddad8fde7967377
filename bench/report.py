#!/usr/bin/env python3
"""Side-by-side benchmark: `vajra report` vs Taurus aggregating the same JTL file.

Generates a JMeter-default JTL (17 columns; lognormal response times with a median near 34 ms,
5 % failures over 3 error kinds, 50 threads, consecutive timestamps at --rps, --labels labels;
the generator of docs/jtl-and-taurus.md §4), then in one run, interleaved, --reps
times:

- `vajra report FILE --format json` (release build, pinned to one core);
- Taurus: `bzt` with `external-results-loader` and `final-stats` dumping CSV
  (docs/jtl-and-taurus.md §5), console off.

For each: wall time, rows/s, CPU seconds and peak RSS (/usr/bin/time -v), medians over the
repetitions; then a check that both agree on samples, failures and the p50/p90/p95/p99 of "ALL"
within HdrHistogram precision (3 significant digits: 0.1 %, plus 1 ms for JTL's whole ms).
Targets (issue #3): >= 2M rows/s on one core, >= 40x Taurus, RSS <= 50 MB at any file size.

Usage: python3 bench/report.py [--rows 1000000] [--big] [--reps 3] [--no-taurus]
  --big adds a 10,000,000-row file (vajra only unless --taurus-big: Taurus takes minutes).
Needs /usr/bin/time (Debian `time`), taskset (util-linux), and for Taurus a venv with bzt:
$VAJRA_TEST_VENV or target/venv-bzt (scripts/test.sh creates it). The script builds vajra in
release mode first unless --no-build ($VAJRA_BIN overrides the binary, e.g. to try the script
quickly with a debug build). Nothing here makes network requests.
"""
import argparse
import csv
import json
import math
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VAJRA = Path(os.environ.get("VAJRA_BIN", ROOT / "target" / "release" / "vajra"))
HEADER = ("timeStamp,elapsed,label,responseCode,responseMessage,threadName,dataType,success,"
          "failureMessage,bytes,sentBytes,grpThreads,allThreads,URL,Latency,IdleTime,Connect\n")
ERRORS = [
    ("500", "Internal Server Error", ""),
    ("404", "Not Found", ""),
    ("Non HTTP response code: java.net.SocketTimeoutException",
     "Non HTTP response message: Read timed out", ""),
]
PERCENTILES = [50, 90, 95, 99]


def generate(path, rows, rps, labels, seed=1):
    """Writes the JTL; deterministic for a given seed."""
    rng = random.Random(seed)
    mu, sigma = math.log(34.0), 0.55
    start_ms = 1_700_000_000_000
    names = [f"label-{i:02d}" for i in range(labels)]
    with open(path, "w", newline="") as out:
        out.write(HEADER)
        batch = []
        for i in range(rows):
            elapsed = int(rng.lognormvariate(mu, sigma))
            label = names[i % labels]
            thread = i % 50 + 1
            if rng.random() < 0.05:
                code, message, failure = ERRORS[i % 3]
                success = "false"
            else:
                code, message, failure, success = "200", "OK", "", "true"
            latency = elapsed * 3 // 4
            batch.append(
                f"{start_ms + i * 1000 // rps},{elapsed},{label},{code},{message},"
                f"Thread Group 1-{thread},text,{success},{failure},{1500 + i % 700},120,50,50,"
                f"http://127.0.0.1:8080/{label},{latency},0,{elapsed % 5}\n")
            if len(batch) == 50_000:
                out.writelines(batch)
                batch.clear()
        out.writelines(batch)


def timed(cmd, env=None, cwd=None, pin=True):
    """Runs cmd under /usr/bin/time -v; returns (stdout, wall_s, cpu_s, max_rss_mb)."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as tf:
        prefix = ["taskset", "-c", "1"] if pin and shutil.which("taskset") else []
        full = ["/usr/bin/time", "-v", "-o", tf.name, *prefix, *cmd]
        started = time.perf_counter()
        done = subprocess.run(full, capture_output=True, text=True, env=env, cwd=cwd)
        wall = time.perf_counter() - started
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd[:3])} failed ({done.returncode}):\n"
                               f"{done.stderr[-3000:]}")
        report = tf.read()
    field = lambda name: float(re.search(rf"{name}: ([\d.]+)", report).group(1))
    cpu = field(r"User time \(seconds\)") + field(r"System time \(seconds\)")
    return done.stdout, wall, cpu, field(r"Maximum resident set size \(kbytes\)") / 1024


def run_vajra(jtl):
    stdout, wall, cpu, rss = timed([str(VAJRA), "report", "--format", "json", str(jtl)])
    total = json.loads(stdout)["aggregate"][0]
    assert total["labelId"] == "ALL", total
    numbers = {
        "samples": total["samples"],
        "failures": total["errorsCount"],
        "p50": total["medianResponseTime"],
        "p90": total["90line"],
        "p95": total["95line"],
        "p99": total["99line"],
    }
    return {"wall": wall, "cpu": cpu, "rss": rss, "numbers": numbers}


def find_bzt_venv():
    venv = Path(os.environ.get("VAJRA_TEST_VENV", ROOT / "target" / "venv-bzt"))
    return venv if (venv / "bin" / "bzt").exists() else None


def run_taurus(venv, jtl, work):
    """bzt loading the finished JTL with external-results-loader; final-stats dumps CSV."""
    work.mkdir(parents=True, exist_ok=True)
    dump = work / "final-stats.csv"
    dump.unlink(missing_ok=True)
    config = work / "load.yml"
    config.write_text(
        "execution:\n"
        "- executor: external-results-loader\n"
        f"  data-file: {jtl}\n"
        "  results-timeout: 1s\n"
        "settings:\n"
        "  check-updates: false\n"
        f"  artifacts-dir: {work}/artifacts/%Y-%m-%d_%H-%M-%S.%f\n"
        "~services: []\n"
        "~reporting:\n"
        "- module: final-stats\n"
        f"  dump-csv: {dump}\n"
        "modules:\n"
        "  console:\n"
        "    disable: true\n")
    home = work / "home"
    home.mkdir(exist_ok=True)
    env = {**os.environ, "HOME": str(home)}
    # `python -m bzt.cli`, not the `bzt` entry point (docs/jtl-and-taurus.md §6).
    _, wall, cpu, rss = timed([str(venv / "bin" / "python"), "-m", "bzt.cli", str(config),
                               "-o", "modules.console.disable=true"], env=env, cwd=work)
    with open(dump, newline="") as f:
        total = next(row for row in csv.DictReader(f) if row["label"] == "")
    succ, fail = int(total["succ"]), int(total["fail"])
    numbers = {"samples": succ + fail, "failures": fail}
    for p in PERCENTILES:
        numbers[f"p{p}"] = float(total[f"perc_{float(p)}"]) * 1000.0  # Taurus reports seconds
    return {"wall": wall, "cpu": cpu, "rss": rss, "numbers": numbers}


def agree(ours, theirs):
    """Differences beyond HdrHistogram precision, as readable lines (empty when they agree)."""
    problems = []
    for key in ("samples", "failures"):
        if ours[key] != theirs[key]:
            problems.append(f"{key}: vajra {ours[key]}, Taurus {theirs[key]}")
    for p in PERCENTILES:
        a, b = ours[f"p{p}"], theirs[f"p{p}"]
        if abs(a - b) > 1.0 + 0.001 * max(a, b):
            problems.append(f"p{p}: vajra {a} ms, Taurus {b} ms")
    return problems


def summarize(name, rows, runs):
    wall = statistics.median(r["wall"] for r in runs)
    cpu = statistics.median(r["cpu"] for r in runs)
    rss = max(r["rss"] for r in runs)
    print(f"  {name:<8} {rows / wall:>12,.0f} rows/s   wall {wall:7.2f} s   cpu {cpu:7.2f} s"
          f"   peak RSS {rss:7.1f} MB   (median of {len(runs)})")
    return rows / wall


def bench(jtl, rows, reps, venv, work):
    print(f"\n{rows:,} rows, {jtl.stat().st_size / 1e6:.0f} MB: {jtl}")
    vajra_runs, taurus_runs = [], []
    for _ in range(reps):  # interleaved, so drifts in machine load hit both
        vajra_runs.append(run_vajra(jtl))
        if venv:
            taurus_runs.append(run_taurus(venv, jtl, work / "taurus"))
    vajra_rate = summarize("vajra", rows, vajra_runs)
    ok = True
    if taurus_runs:
        taurus_rate = summarize("Taurus", rows, taurus_runs)
        print(f"  speed-up {vajra_rate / taurus_rate:.1f}x (target >= 40x)")
        problems = agree(vajra_runs[0]["numbers"], taurus_runs[0]["numbers"])
        print("  results:", vajra_runs[0]["numbers"])
        if problems:
            ok = False
            print("  DISAGREE:\n    " + "\n    ".join(problems))
        else:
            print("  vajra and Taurus agree on samples, failures and p50/p90/p95/p99")
    else:
        print("  results:", vajra_runs[0]["numbers"])
    print(f"  targets: >= 2,000,000 rows/s on one core: "
          f"{'met' if vajra_rate >= 2e6 else 'NOT met'}; RSS <= 50 MB: "
          f"{'met' if max(r['rss'] for r in vajra_runs) <= 50 else 'NOT met'}")
    return ok


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--labels", type=int, default=10)
    parser.add_argument("--rps", type=int, default=1000)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--big", action="store_true", help="also a 10,000,000-row file")
    parser.add_argument("--taurus-big", action="store_true", help="run Taurus on the big file")
    parser.add_argument("--no-taurus", action="store_true")
    parser.add_argument("--no-build", action="store_true")
    parser.add_argument("--workdir", type=Path, help="keep generated files here")
    args = parser.parse_args()

    if not Path("/usr/bin/time").exists():
        sys.exit("/usr/bin/time not found: apt-get install time")
    if not args.no_build:
        subprocess.run(["cargo", "build", "--release", "--locked", "-p", "vajra"], cwd=ROOT,
                       check=True)
    venv = None if args.no_taurus else find_bzt_venv()
    if not args.no_taurus and venv is None:
        sys.exit("no venv with bzt: run scripts/test.sh once, set VAJRA_TEST_VENV, "
                 "or pass --no-taurus")

    work = args.workdir or Path(tempfile.mkdtemp(prefix="vajra-report-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    ok = True
    try:
        sizes = [(args.rows, venv)]
        if args.big:
            sizes.append((10_000_000, venv if args.taurus_big else None))
        for rows, taurus in sizes:
            jtl = work / f"{rows}.jtl"
            if not jtl.exists():
                started = time.perf_counter()
                generate(jtl, rows, args.rps, args.labels)
                print(f"generated {jtl} in {time.perf_counter() - started:.1f} s")
            ok &= bench(jtl, rows, args.reps, taurus, work)
    finally:
        if not args.workdir:
            shutil.rmtree(work, ignore_errors=True)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
