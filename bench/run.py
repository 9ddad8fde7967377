#!/usr/bin/env python3
"""Side-by-side benchmark: vajra vs wrk and oha against nginx on 127.0.0.1:18080.

Method (docs/measuring.md): one run, tools interleaved (A B C A B C ...), at least
5 repetitions, medians and best; generator CPU per successful request from /usr/bin/time is the
steadiest figure. nginx is pinned to core 0 and the tools to core 1.

Usage: python3 bench/run.py [--reps 5] [--seconds 10] [--only closed,open,rss]
Needs: nginx, wrk, /usr/bin/time (Debian packages) and oha (cargo install oha --locked), and a
release build of vajra (the script builds it). Every load goes to 127.0.0.1 only and each
command is bounded by `timeout`.
"""
import argparse
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NGINX_CONF = ROOT / "bench" / "nginx.conf"
TARGET = "http://127.0.0.1:18080/"
VAJRA = ROOT / "target" / "release" / "vajra"


def which(name, extra=()):
    for candidate in [*extra, shutil.which(name)]:
        if candidate and Path(candidate).exists():
            return str(candidate)
    sys.exit(f"{name} not found: install it first (see the docstring)")


def timed(cmd, seconds, cwd=None):
    """Runs cmd pinned to core 1 under /usr/bin/time; returns (stdout, cpu_seconds, max_rss_mb)."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as tf:
        full = ["timeout", str(seconds + 30), "/usr/bin/time", "-f", "%U %S %M", "-o", tf.name,
                "taskset", "-c", "1", *cmd]
        out = subprocess.run(full, capture_output=True, text=True, cwd=cwd)
        if out.returncode != 0:
            raise RuntimeError(f"{cmd[0]} failed ({out.returncode}): {out.stderr[-2000:]}")
        user, system, rss_kb = tf.read().split()[-3:]
        return out.stdout, float(user) + float(system), int(rss_kb) / 1024


def write_plan(directory):
    plan = Path(directory) / "bench.yaml"
    plan.write_text(f"name: bench\nbase-url: {TARGET.rstrip('/')}\nrequests:\n  - label: root\n    url: /\n")
    return plan


def run_vajra(plan, args, seconds, out):
    shutil.rmtree(out, ignore_errors=True)
    _, cpu, rss = timed([str(VAJRA), "run", str(plan), "--quiet", "--threads", "1",
                         "--out", str(out), *args], seconds)
    summary = json.loads((Path(out) / "summary.json").read_text())
    total = summary["total"]
    ok = total["samples"] - total["errors"]
    service = total.get("service_time_ms") or {}
    return {"rps": ok / seconds, "ok": ok, "cpu": cpu, "rss": rss,
            "p99": total["response_time_ms"]["p99"], "service_p99": service.get("p99")}


def run_wrk(seconds):
    stdout, cpu, rss = timed([which("wrk"), "-t2", "-c100", f"-d{seconds}s", TARGET], seconds)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", stdout).group(1))
    total = int(re.search(r"(\d+) requests in", stdout).group(1))
    errors = sum(int(n) for n in re.findall(r"Non-2xx or 3xx responses: (\d+)", stdout))
    return {"rps": rps, "ok": total - errors, "cpu": cpu, "rss": rss, "p99": None}


def run_oha(args, seconds):
    oha = which("oha", ["/work/tools/bin/oha", str(Path.home() / ".cargo/bin/oha")])
    stdout, cpu, rss = timed([oha, "--no-tui", "--output-format", "json", "-z", f"{seconds}s",
                              *args, TARGET], seconds)
    data = json.loads(stdout)
    ok = data["statusCodeDistribution"].get("200", 0)
    p99 = data["latencyPercentiles"]["p99"]
    return {"rps": ok / seconds, "ok": ok, "cpu": cpu, "rss": rss,
            "p99": p99 * 1000 if p99 is not None else None}


def start_nginx():
    os.makedirs("/tmp/perfbench-nginx", exist_ok=True)
    proc = subprocess.Popen(["taskset", "-c", "0", which("nginx", ["/usr/sbin/nginx"]), "-c",
                             str(NGINX_CONF)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(0.5)
    return proc


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def fmt(value, pattern="{:,.0f}"):
    return "—" if value is None else pattern.format(value)


def summarize(name, runs):
    """One table row: medians (best req/s in brackets)."""
    cpu_per_req = [r["cpu"] / r["ok"] * 1e6 for r in runs if r["ok"]]
    return {"tool": name, "rps": median([r["rps"] for r in runs]),
            "best": max(r["rps"] for r in runs), "cpu_us": median(cpu_per_req),
            "rss": median([r["rss"] for r in runs]), "p99": median([r["p99"] for r in runs]),
            "service_p99": median([r.get("service_p99") for r in runs])}


def closed_loop(plan, reps, seconds, tmp):
    runs = {"wrk": [], "oha": [], "vajra": []}
    for rep in range(reps):
        runs["wrk"].append(run_wrk(seconds))
        runs["oha"].append(run_oha(["-c", "100"], seconds))
        runs["vajra"].append(run_vajra(plan, ["--concurrency", "100", "--duration", f"{seconds}s"],
                                       seconds, Path(tmp) / "closed"))
        print(f"  closed rep {rep + 1}/{reps}: " + ", ".join(
            f"{k} {v[-1]['rps']:,.0f}/s" for k, v in runs.items()), file=sys.stderr)
    rows = [summarize(k, v) for k, v in runs.items()]
    wrk = rows[0]
    print(f"\n### Closed loop, 100 connections, {seconds} s, {reps} reps (pinned: nginx core 0, tool core 1)\n")
    print("| tool | req/s median (best) | CPU µs/req | peak RSS MB | vs wrk req/s | vs wrk CPU/req |")
    print("|---|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['tool']} | {fmt(r['rps'])} ({fmt(r['best'])}) | {fmt(r['cpu_us'], '{:.1f}')} | "
              f"{fmt(r['rss'], '{:.1f}')} | {r['rps'] / wrk['rps']:.2f}× | {r['cpu_us'] / wrk['cpu_us']:.2f}× |")


def open_loop(plan, reps, seconds, tmp, rates):
    print(f"\n### Fixed rate, {seconds} s, {reps} reps (pinned)\n")
    print("| rate | tool | achieved req/s | off target | CPU µs/req | p99 ms (vajra: from intended start / service) | peak RSS MB | vajra CPU/req vs oha |")
    print("|---:|---|---:|---:|---:|---:|---:|---:|")
    for rate in rates:
        runs = {"oha": [], "vajra": []}
        for rep in range(reps):
            runs["oha"].append(run_oha(["-c", "100", "-q", str(rate)], seconds))
            runs["vajra"].append(run_vajra(plan, ["--tps", str(rate), "--duration", f"{seconds}s"],
                                           seconds, Path(tmp) / "open"))
            print(f"  {rate}/s rep {rep + 1}/{reps}: " + ", ".join(
                f"{k} {v[-1]['rps']:,.0f}/s" for k, v in runs.items()), file=sys.stderr)
        oha, vajra = summarize("oha", runs["oha"]), summarize("vajra", runs["vajra"])
        for r in (oha, vajra):
            p99 = fmt(r["p99"], "{:.2f}")
            if r["service_p99"] is not None:
                p99 += f" / {r['service_p99']:.2f}"
            ratio = f"{vajra['cpu_us'] / oha['cpu_us']:.2f}×" if r is vajra else ""
            print(f"| {rate:,} | {r['tool']} | {fmt(r['rps'], '{:,.1f}')} | {100 * (r['rps'] - rate) / rate:+.2f} % | "
                  f"{fmt(r['cpu_us'], '{:.1f}')} | {p99} | {fmt(r['rss'], '{:.1f}')} | {ratio} |")


def rss_over_time(plan, seconds, tmp, rate=20000):
    """Samples vajra's RSS every second during one long fixed-rate run."""
    out = Path(tmp) / "rss"
    # taskset execs vajra, so proc.pid is vajra's own pid (no `timeout` wrapper in between).
    proc = subprocess.Popen(["taskset", "-c", "1", str(VAJRA), "run",
                             str(plan), "--quiet", "--threads", "1", "--out", str(out), "--tps", str(rate),
                             "--duration", f"{seconds}s"], stdout=subprocess.DEVNULL)
    deadline = time.time() + seconds + 30
    samples = []
    while proc.poll() is None:
        if time.time() > deadline:
            proc.kill()
            break
        try:
            status = Path(f"/proc/{proc.pid}/status").read_text()
            samples.append(int(re.search(r"VmRSS:\s+(\d+)", status).group(1)) / 1024)
        except (FileNotFoundError, AttributeError):
            pass
        time.sleep(1)
    print(f"\n### Memory at {rate:,}/s over {seconds} s (RSS sampled every second)\n")
    if samples:
        tenth = max(1, len(samples) // 10)
        print(f"- peak {max(samples):.1f} MB; first 10 % median {statistics.median(samples[:tenth]):.1f} MB; "
              f"last 10 % median {statistics.median(samples[-tenth:]):.1f} MB ({len(samples)} samples)")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--rss-seconds", type=int, default=60)
    parser.add_argument("--rates", default="1000,5000,20000")
    parser.add_argument("--only", default="closed,open,rss")
    args = parser.parse_args()
    subprocess.run(["cargo", "build", "--release", "-p", "vajra"], cwd=ROOT, check=True)
    nginx = start_nginx()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            plan = write_plan(tmp)
            only = args.only.split(",")
            print(f"# vajra benchmark {time.strftime('%Y-%m-%d %H:%M')} ({os.cpu_count()} cores)")
            if "closed" in only:
                closed_loop(plan, args.reps, args.seconds, tmp)
            if "open" in only:
                open_loop(plan, args.reps, args.seconds, tmp, [int(r) for r in args.rates.split(",")])
            if "rss" in only:
                rss_over_time(plan, args.rss_seconds, tmp)
    finally:
        nginx.send_signal(signal.SIGQUIT)
        nginx.wait(timeout=10)


if __name__ == "__main__":
    main()
