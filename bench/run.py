#!/usr/bin/env python3
"""Side-by-side benchmark: vajra vs wrk, oha and h2load against nginx on 127.0.0.1.

Method (docs/measuring.md): one run, tools interleaved (A B C A B C ...), at least
5 repetitions, medians and best; generator CPU per successful request from /usr/bin/time is the
steadiest figure. nginx is pinned to core 0 and the tools to core 1.

Usage: python3 bench/run.py [--reps 5] [--seconds 10] [--only MODE,...]
       [--vajra NAME=PATH ...] [--rates 1000,5000,20000,50000]

Modes (--only):
  closed        closed loop over HTTP/1.1, 100 connections: wrk, oha, vajra
  open          fixed rates over http: oha, vajra
  open-https    fixed rates over https (HTTP/1.1 by ALPN): oha, vajra
  closed-https  closed loop over https (HTTP/1.1), 100 connections: oha, vajra
  h2            closed loop over HTTP/2 on https, the same streams: h2load -c C -m M, oha -c C -p M,
                vajra with C×M users (default 1 connection × 100 streams, vajra's own shape)
  rss           vajra's RSS sampled every second at 20k/s over --rss-seconds (flat or not)
  scenario      the cost of a JSONPath extractor and a JSONPath assertion on each request: vajra
                with both beside vajra without, same JSON answer, at 5k/s (--scenario-rate)
  metrics       the cost of live metrics: vajra at 20k/s with --metrics-addr, scraped every second,
                beside vajra without, interleaved (--metrics-rate)

--vajra NAME=PATH (repeatable) puts several vajra builds in the same interleaved run, e.g. a
build from before a change beside one from after it (copy target/release/vajra aside first).
Without it, the script builds target/release/vajra and runs it as "vajra".

A mode whose tool cannot run (not installed, or vajra refuses the plan) is reported as failed
with the reason, and the other modes still run.

Needs: nginx (Debian nginx-light has ssl and http_v2), wrk, h2load (nghttp2-client), openssl,
/usr/bin/time, taskset, and oha (cargo install oha --locked, or /work/tools/bin/oha). Every load
goes to 127.0.0.1 only and each command is bounded by `timeout`.
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
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NGINX_CONF = ROOT / "bench" / "nginx.conf"
NGINX_DIR = Path("/tmp/perfbench-nginx")
TLS_DIR = NGINX_DIR / "tls"
HTTP = "http://127.0.0.1:18080/"
HTTPS = "https://127.0.0.1:18443/"
CONNECTIONS = 100
FIXED_RATE_TOLERANCE = 0.005


class ToolMissing(Exception):
    pass


class RunFailed(Exception):
    pass


def which(name, extra=()):
    for candidate in [*extra, shutil.which(name)]:
        if candidate and Path(candidate).exists():
            return str(candidate)
    raise ToolMissing(f"{name} not found: install it first (see the docstring)")


def oha_path():
    return which("oha", ["/work/tools/bin/oha", str(Path.home() / ".cargo/bin/oha")])


# --- the target ---------------------------------------------------------------------------


def make_certs():
    """A throwaway CA and a server certificate for 127.0.0.1/localhost, made with openssl."""
    TLS_DIR.mkdir(parents=True, exist_ok=True)
    openssl = which("openssl")
    ca_key, ca, key, csr, crt = (TLS_DIR / n for n in ("ca.key", "ca.pem", "server.key", "server.csr", "server.crt"))
    ext = TLS_DIR / "server.ext"
    ext.write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n"
                   "keyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n")
    quiet = {"check": True, "capture_output": True}
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    subprocess.run([openssl, "req", "-x509", *ec, "-keyout", ca_key, "-out", ca, "-days", "2",
                    "-subj", "/CN=vajra bench CA"], **quiet)
    subprocess.run([openssl, "req", *ec, "-keyout", key, "-out", csr, "-subj", "/CN=127.0.0.1"], **quiet)
    subprocess.run([openssl, "x509", "-req", "-in", csr, "-CA", ca, "-CAkey", ca_key, "-CAcreateserial",
                    "-out", crt, "-days", "2", "-extfile", ext], **quiet)
    return ca


def start_nginx():
    NGINX_DIR.mkdir(parents=True, exist_ok=True)
    proc = subprocess.Popen(["taskset", "-c", "0", which("nginx", ["/usr/sbin/nginx"]), "-c", str(NGINX_CONF)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    time.sleep(0.5)
    if proc.poll() is not None:
        sys.exit(f"nginx did not start: {proc.stderr.read()[-2000:]}")
    return proc


def nginx_counters(master):
    """(CPU seconds, voluntary context switches) of nginx's workers so far (the master's
    children). A worker that sleeps in epoll_wait between requests switches once per sleep, so
    switches per request say whether nginx is kept busy or woken for each request."""
    cpu = switches = 0
    try:
        children = Path(f"/proc/{master.pid}/task/{master.pid}/children").read_text().split()
    except OSError:
        return None
    for pid in children:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            cpu += int(fields[11]) + int(fields[12])
            status = Path(f"/proc/{pid}/status").read_text()
            switches += int(re.search(r"^voluntary_ctxt_switches:\s+(\d+)", status, re.M).group(1))
        except (OSError, IndexError, ValueError, AttributeError):
            pass
    return cpu / os.sysconf("SC_CLK_TCK"), switches


def machine_counters():
    """(busy CPU seconds of all cores, steal seconds) so far, from /proc/stat."""
    fields = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    user, nice, system, idle, iowait, irq, softirq, steal = (fields + [0] * 8)[:8]
    tick = os.sysconf("SC_CLK_TCK")
    return (user + nice + system + irq + softirq) / tick, steal / tick


# --- running one tool ---------------------------------------------------------------------


def timed(cmd, seconds, nginx, ok_codes=(0,)):
    """Runs cmd pinned to core 1 under /usr/bin/time. Returns stdout and the costs: CPU s, peak
    RSS MB, voluntary/involuntary context switches, and nginx's CPU s meanwhile."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as tf:
        full = ["timeout", str(seconds + 30), "/usr/bin/time", "-f", "%U %S %M %w %c", "-o", tf.name,
                "taskset", "-c", "1", *cmd]
        before, machine_before, started = nginx_counters(nginx), machine_counters(), time.time()
        out = subprocess.run(full, capture_output=True, text=True)
        after, machine_after, wall = nginx_counters(nginx), machine_counters(), time.time() - started
        if out.returncode not in ok_codes:
            raise RunFailed(f"{Path(cmd[0]).name} exited {out.returncode}: {last_lines(out.stderr or out.stdout)}")
        user, system, rss_kb, voluntary, involuntary = tf.read().split()[-5:]
        cpu = float(user) + float(system)
        nginx_cpu = None if before is None or after is None else after[0] - before[0]
        # What else ran on the machine meanwhile (other builds, other tests): CPU neither the tool
        # nor nginx used, as a share of one core, and the hypervisor's steal. A rep with much of
        # either is noisy, whatever the tool did.
        others = (machine_after[0] - machine_before[0] - cpu - (nginx_cpu or 0)) / wall
        steal = (machine_after[1] - machine_before[1]) / wall
        return out.stdout, {"exit": out.returncode, "cpu": cpu, "user": float(user), "sys": float(system), "rss": int(rss_kb) / 1024,
                            "others": max(0.0, others), "steal": steal, "wall": wall,
                            "vcsw": int(voluntary), "ivcsw": int(involuntary),
                            "nginx_cpu": nginx_cpu,
                            "nginx_vcsw": None if before is None or after is None else after[1] - before[1]}


def last_lines(text, n=3):
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return " | ".join(lines[-n:])[-600:] or "no output"


def write_plan(directory, name, base_url, http_version=None, ca=None):
    plan = Path(directory) / f"{name}.yaml"
    text = f"name: bench-{name}\nbase-url: {base_url.rstrip('/')}\n"
    if http_version:
        text += f"http-version: {http_version}\n"
    if ca:
        text += f"tls:\n  ca-file: {ca}\n"
    plan.write_text(text + "requests:\n  - label: root\n    url: /\n")
    return plan


def run_vajra(binary, plan, args, seconds, out, nginx):
    shutil.rmtree(out, ignore_errors=True)
    # Exit 3 is a run vajra judged invalid (it could not hold the rate): its results are still
    # written, and the achieved rate is what the table should show.
    _, costs = timed([str(binary), "run", str(plan), "--quiet", "--threads", "1", "--out", str(out), *args],
                     seconds, nginx, ok_codes=(0, 3))
    summary = json.loads((Path(out) / "summary.json").read_text())
    costs["invalid"] = (summary.get("verdict") or {}).get("result") == "invalid"
    total = summary["total"]
    ok = total["samples"] - total["errors"]
    service = total.get("service_time_ms") or {}
    return {"rps": ok / seconds, "ok": ok, **costs,
            "p99": total["response_time_ms"]["p99"], "service_p99": service.get("p99")}


def run_wrk(url, seconds, nginx):
    stdout, costs = timed([which("wrk"), "-t2", f"-c{CONNECTIONS}", f"-d{seconds}s", url], seconds, nginx)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", stdout).group(1))
    total = int(re.search(r"(\d+) requests in", stdout).group(1))
    errors = sum(int(n) for n in re.findall(r"Non-2xx or 3xx responses: (\d+)", stdout))
    return {"rps": rps, "ok": total - errors, **costs, "p99": None}


def run_oha(url, args, seconds, nginx):
    stdout, costs = timed([oha_path(), "--no-tui", "--output-format", "json", "-z", f"{seconds}s",
                           *args, url], seconds, nginx)
    data = json.loads(stdout)
    ok = data["statusCodeDistribution"].get("200", 0)
    p99 = data["latencyPercentiles"]["p99"]
    return {"rps": ok / seconds, "ok": ok, **costs, "p99": p99 * 1000 if p99 is not None else None}


def run_h2load(url, clients, streams, seconds, nginx):
    stdout, costs = timed([which("h2load"), "-t1", f"-c{clients}", f"-m{streams}", f"-D{seconds}", url],
                          seconds, nginx)
    done = re.search(r"requests: \d+ total, \d+ started, (\d+) done, (\d+) succeeded", stdout)
    if not done:
        raise RunFailed(f"h2load printed no request counts: {last_lines(stdout)}")
    ok = int(done.group(2))
    return {"rps": ok / seconds, "ok": ok, **costs, "p99": None}


class Tools:
    """The tools of one mode, run interleaved; a tool that fails is kept with its reason."""

    def __init__(self, names):
        self.runs = {name: [] for name in names}
        self.failed = {}

    def run(self, name, fn):
        if name in self.failed:
            return
        try:
            self.runs[name].append(fn())
        except (ToolMissing, RunFailed, OSError, ValueError, KeyError, AttributeError,
                json.JSONDecodeError) as e:
            self.failed[name] = f"{type(e).__name__}: {e}"
            print(f"  {name} failed: {self.failed[name]}", file=sys.stderr)

    def progress(self, what):
        print(f"  {what}: " + ", ".join(f"{k} {v[-1]['rps']:,.0f}/s" for k, v in self.runs.items() if v),
              file=sys.stderr)


# --- tables -------------------------------------------------------------------------------


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def fmt(value, pattern="{:,.0f}"):
    return "—" if value is None else pattern.format(value)


def summarize(name, runs):
    """One table row: medians, the best req/s and every rep's req/s (to show a bimodal tool)."""
    if not runs:
        return None
    per_req = [r["cpu"] / r["ok"] * 1e6 for r in runs if r["ok"]]
    user_per_req = [r["user"] / r["ok"] * 1e6 for r in runs if r["ok"]]
    sys_per_req = [r["sys"] / r["ok"] * 1e6 for r in runs if r["ok"]]
    nginx_per_req = [r["nginx_cpu"] / r["ok"] * 1e6 for r in runs if r["ok"] and r["nginx_cpu"] is not None]
    return {"tool": name, "rps": median([r["rps"] for r in runs]), "best": max(r["rps"] for r in runs),
            "reps": [r["rps"] for r in runs], "cpu_us": median(per_req), "nginx_us": median(nginx_per_req),
            "user_us": median(user_per_req), "sys_us": median(sys_per_req),
            "others": [r["others"] for r in runs], "steal": median([r["steal"] for r in runs]),
            "rss": median([r["rss"] for r in runs]), "p99": median([r["p99"] for r in runs]),
            "service_p99": median([r.get("service_p99") for r in runs]),
            "vcsw_per_req": median([r["vcsw"] / r["ok"] for r in runs if r["ok"]]),
            "nginx_vcsw_per_req": median([r["nginx_vcsw"] / r["ok"] for r in runs
                                          if r["ok"] and r["nginx_vcsw"] is not None])}


def ratio(a, b):
    return f"{a / b:.2f}×" if a is not None and b else "—"


def closed_table(title, tools, reference):
    print(f"\n### {title}\n")
    print("\nOthers' CPU: what else ran on the machine during the rep (other builds and tests), as a share "
          "of one core; reps with much of it are noisy.\n")
    print(f"| tool | req/s median (best) | every rep (others' CPU) | CPU µs/req (user + sys) | nginx CPU µs/req "
          f"| sleeps/req tool, nginx | peak RSS MB | vs {reference} req/s | vs {reference} CPU/req |")
    print("|---|---:|---|---:|---:|---:|---:|---:|---:|")
    rows = {name: summarize(name, runs) for name, runs in tools.runs.items()}
    ref = rows.get(reference)
    for name, r in rows.items():
        if r is None:
            print(f"| {name} | failed: {tools.failed.get(name, 'no runs')} | | | | | | | |")
            continue
        reps = ", ".join(f"{v / 1000:.0f}k ({o:.0%})" for v, o in zip(r["reps"], r["others"]))
        sleeps = f"{fmt(r['vcsw_per_req'], '{:.3f}')}, {fmt(r['nginx_vcsw_per_req'], '{:.3f}')}"
        print(f"| {name} | {fmt(r['rps'])} ({fmt(r['best'])}) | {reps} | {fmt(r['cpu_us'], '{:.1f}')} "
              f"({fmt(r['user_us'], '{:.1f}')} + {fmt(r['sys_us'], '{:.1f}')}) | "
              f"{fmt(r['nginx_us'], '{:.1f}')} | {sleeps} | {fmt(r['rss'], '{:.1f}')} | "
              f"{ratio(r['rps'], ref and ref['rps'])} | {ratio(r['cpu_us'], ref and ref['cpu_us'])} |")


def rep_details(tools):
    """Every rep of every tool: how busy the tool and nginx were, and the steal. A tool that is
    neither busy nor facing a busy nginx is waiting on wake-ups, not on CPU."""
    print("\n<details><summary>every rep</summary>\n")
    print("| tool | rep | req/s | CPU µs/req | tool busy | nginx busy | steal | others |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for name, runs in tools.runs.items():
        for i, r in enumerate(runs, 1):
            busy = r["cpu"] / r["wall"] if r.get("wall") else None
            nginx = r["nginx_cpu"] / r["wall"] if r.get("wall") and r["nginx_cpu"] is not None else None
            per_req = r["cpu"] / r["ok"] * 1e6 if r["ok"] else None
            print(f"| {name} | {i} | {fmt(r['rps'])} | {fmt(per_req, '{:.1f}')} | {fmt(busy, '{:.0%}')} | "
                  f"{fmt(nginx, '{:.0%}')} | {fmt(r['steal'], '{:.0%}')} | {fmt(r['others'], '{:.0%}')} |")
    print("\n</details>")


def interleave(reps, tools, steps, what):
    for rep in range(reps):
        for name, fn in steps:
            tools.run(name, fn)
        tools.progress(f"{what} rep {rep + 1}/{reps}")


# --- modes --------------------------------------------------------------------------------


def closed_loop(ctx):
    steps = [("wrk", lambda: run_wrk(HTTP, ctx.seconds, ctx.nginx)),
             ("oha", lambda: run_oha(HTTP, ["-c", str(CONNECTIONS)], ctx.seconds, ctx.nginx))]
    steps += [(name, vajra_closed(ctx, binary, ctx.plans["http"])) for name, binary in ctx.vajras]
    tools = Tools([name for name, _ in steps])
    interleave(ctx.reps, tools, steps, "closed")
    closed_table(f"Closed loop over HTTP/1.1, {CONNECTIONS} connections, {ctx.seconds} s, {ctx.reps} reps "
                 "(pinned: nginx core 0, tool core 1)", tools, "wrk")
    rep_details(tools)


def closed_https(ctx):
    steps = [("oha", lambda: run_oha(HTTPS, ["-c", str(CONNECTIONS), "--cacert", str(ctx.ca)], ctx.seconds,
                                     ctx.nginx))]
    steps += [(name, vajra_closed(ctx, binary, ctx.plans["https"])) for name, binary in ctx.vajras]
    tools = Tools([name for name, _ in steps])
    interleave(ctx.reps, tools, steps, "closed https")
    closed_table(f"Closed loop over https (HTTP/1.1), {CONNECTIONS} connections, {ctx.seconds} s, {ctx.reps} reps",
                 tools, "oha")


def h2(ctx):
    clients, streams = ctx.h2_clients, ctx.h2_streams
    steps = [("h2load", lambda: run_h2load(HTTPS, clients, streams, ctx.seconds, ctx.nginx)),
             ("oha", lambda: run_oha(HTTPS, ["--http2", "-c", str(clients), "-p", str(streams), "--cacert",
                                             str(ctx.ca)], ctx.seconds, ctx.nginx))]
    # vajra's lanes are users: clients × streams of them, multiplexed over the connections the
    # transport opens (it shares one per host up to the server's stream limit).
    steps += [(name, vajra_closed(ctx, binary, ctx.plans["h2"], users=clients * streams))
              for name, binary in ctx.vajras]
    tools = Tools([name for name, _ in steps])
    interleave(ctx.reps, tools, steps, "h2")
    closed_table(f"HTTP/2 over https, {clients} connections × {streams} streams, {ctx.seconds} s, {ctx.reps} reps",
                 tools, "h2load")


def vajra_closed(ctx, binary, plan, users=CONNECTIONS):
    return lambda: run_vajra(binary, plan, ["--concurrency", str(users), "--duration", f"{ctx.seconds}s"],
                             ctx.seconds, Path(ctx.tmp) / "closed", ctx.nginx)


def fixed_rates(ctx, scheme):
    url, plan = (HTTP, ctx.plans["http"]) if scheme == "http" else (HTTPS, ctx.plans["https"])
    oha_extra = [] if scheme == "http" else ["--cacert", str(ctx.ca)]
    print(f"\n### Fixed rate over {scheme}, {ctx.seconds} s, {ctx.reps} reps (pinned)\n")
    print("| rate | tool | achieved req/s | off target (worst rep) | every rep within 0.5 % | CPU µs/req "
          "| p99 ms (vajra: from intended start / service) | peak RSS MB | CPU/req vs oha |")
    print("|---:|---|---:|---:|---|---:|---:|---:|---:|")
    for rate in ctx.rates:
        steps = [("oha", lambda: run_oha(url, ["-c", str(CONNECTIONS), "-q", str(rate), *oha_extra], ctx.seconds,
                                         ctx.nginx))]
        steps += [(name, (lambda b=binary: run_vajra(b, plan, ["--tps", str(rate), "--duration", f"{ctx.seconds}s"],
                                                     ctx.seconds, Path(ctx.tmp) / "open", ctx.nginx)))
                  for name, binary in ctx.vajras]
        tools = Tools([name for name, _ in steps])
        interleave(ctx.reps, tools, steps, f"{scheme} {rate}/s")
        oha = summarize("oha", tools.runs["oha"])
        for name, runs in tools.runs.items():
            r = summarize(name, runs)
            if r is None:
                print(f"| {rate:,} | {name} | failed: {tools.failed.get(name, 'no runs')} | | | | | | |")
                continue
            offs = [(v - rate) / rate for v in r["reps"]]
            worst = max(offs, key=abs)
            within = "yes" if all(abs(o) <= FIXED_RATE_TOLERANCE for o in offs) else "**no**"
            invalid = sum(1 for run in runs if run.get("invalid"))
            if invalid:
                within += f" ({invalid} rep(s) invalid: rate not held)"
            p99 = fmt(r["p99"], "{:.2f}")
            if r["service_p99"] is not None:
                p99 += f" / {r['service_p99']:.2f}"
            vs = ratio(r["cpu_us"], oha and oha["cpu_us"]) if name != "oha" else ""
            print(f"| {rate:,} | {name} | {fmt(r['rps'], '{:,.1f}')} | {100 * worst:+.2f} % | {within} | "
                  f"{fmt(r['cpu_us'], '{:.1f}')} | {p99} | {fmt(r['rss'], '{:.1f}')} | {vs} |")


SCENARIO_PLAIN = """requests:
  - label: json
    url: /json
"""

SCENARIO_CHECKED = """requests:
  - label: json
    url: /json
    extract:
      token: {jsonpath: "$.token"}
    assert:
      jsonpath:
        - {path: "$.user.id", equals: 42}
"""


def scenario_cost(ctx):
    """CPU per request of a request with one JSONPath extractor and one JSONPath assertion,
    against the same request without them, interleaved in one run at one fixed rate."""
    rate = ctx.scenario_rate
    plans = {}
    for kind, body in (("plain", SCENARIO_PLAIN), ("checked", SCENARIO_CHECKED)):
        plan = Path(ctx.tmp) / f"scenario-{kind}.yaml"
        plan.write_text(f"name: bench-scenario-{kind}\nbase-url: {HTTP.rstrip('/')}\n" + body)
        plans[kind] = plan
    print(f"\n### Extractor + assertion cost at {rate:,}/s, {ctx.seconds} s, {ctx.reps} reps (pinned)\n")
    print("| build | plan | achieved req/s | CPU µs/req | p99 ms | checked / plain CPU |")
    print("|---|---|---:|---:|---:|---:|")
    steps = [(f"{name} {kind}", (lambda b=binary, p=plan: run_vajra(
                b, p, ["--tps", str(rate), "--duration", f"{ctx.seconds}s"], ctx.seconds,
                Path(ctx.tmp) / "scenario", ctx.nginx)))
             for name, binary in ctx.vajras for kind, plan in plans.items()]
    tools = Tools([name for name, _ in steps])
    interleave(ctx.reps, tools, steps, f"scenario {rate}/s")
    for name, _ in ctx.vajras:
        plain = summarize(f"{name} plain", tools.runs[f"{name} plain"])
        for kind in plans:
            r = summarize(f"{name} {kind}", tools.runs[f"{name} {kind}"])
            if r is None:
                print(f"| {name} | {kind} | failed: {tools.failed.get(f'{name} {kind}', 'no runs')} | | | |")
                continue
            vs = ratio(r["cpu_us"], plain and plain["cpu_us"]) if kind == "checked" else ""
            print(f"| {name} | {kind} | {fmt(r['rps'], '{:,.1f}')} | {fmt(r['cpu_us'], '{:.1f}')} | "
                  f"{fmt(r['p99'], '{:.2f}')} | {vs} |")


METRICS_PORT = 19464


def scraped(run, url, every=1.0):
    """Runs `run()` while a thread GETs `url` every `every` seconds, as Prometheus would; the
    result gets the number of scrapes answered. A run without a metrics server answers none."""
    done, answered = threading.Event(), [0]

    def loop():
        while not done.wait(every):
            try:
                with urllib.request.urlopen(url, timeout=1) as response:
                    response.read()
                answered[0] += 1
            except OSError:
                pass

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    try:
        result = run()
    finally:
        done.set()
        thread.join()
    result["scrapes"] = answered[0]
    return result


def metrics_cost(ctx):
    """CPU per request of vajra serving /metrics (scraped every second) against vajra without
    it, interleaved in one run at one fixed rate; vajra's own CPU includes answering the scrapes."""
    rate = ctx.metrics_rate
    url = f"http://127.0.0.1:{METRICS_PORT}/metrics"
    print(f"\n### Live metrics cost at {rate:,}/s, {ctx.seconds} s, {ctx.reps} reps (pinned, scraped every 1 s)\n")
    print("| build | run | achieved req/s | CPU µs/req | scrapes answered (median) | metrics / plain CPU |")
    print("|---|---|---:|---:|---:|---:|")
    kinds = {"plain": [], "metrics": ["--metrics-addr", f"127.0.0.1:{METRICS_PORT}", "--metrics-linger", "0s"]}
    steps = [(f"{name} {kind}", (lambda b=binary, e=extra: scraped(lambda: run_vajra(
                b, ctx.plans["http"], ["--tps", str(rate), "--duration", f"{ctx.seconds}s", *e],
                ctx.seconds, Path(ctx.tmp) / "metrics", ctx.nginx), url)))
             for name, binary in ctx.vajras for kind, extra in kinds.items()]
    tools = Tools([name for name, _ in steps])
    interleave(ctx.reps, tools, steps, f"metrics {rate}/s")
    for name, _ in ctx.vajras:
        plain = summarize(f"{name} plain", tools.runs[f"{name} plain"])
        for kind in kinds:
            runs = tools.runs[f"{name} {kind}"]
            r = summarize(f"{name} {kind}", runs)
            if r is None:
                print(f"| {name} | {kind} | failed: {tools.failed.get(f'{name} {kind}', 'no runs')} | | | |")
                continue
            vs = ratio(r["cpu_us"], plain and plain["cpu_us"]) if kind == "metrics" else ""
            print(f"| {name} | {kind} | {fmt(r['rps'], '{:,.1f}')} | {fmt(r['cpu_us'], '{:.2f}')} | "
                  f"{fmt(median([x['scrapes'] for x in runs]))} | {vs} |")
    rep_details(tools)


def rss_over_time(ctx, rate=20000):
    """Samples each vajra build's RSS every second during one long fixed-rate run."""
    print(f"\n### Memory at {rate:,}/s over {ctx.rss_seconds} s (RSS sampled every second)\n")
    for name, binary in ctx.vajras:
        out = Path(ctx.tmp) / "rss"
        shutil.rmtree(out, ignore_errors=True)
        # taskset execs vajra, so proc.pid is vajra's own pid (no `timeout` wrapper in between).
        proc = subprocess.Popen(["taskset", "-c", "1", str(binary), "run", str(ctx.plans["http"]), "--quiet",
                                 "--threads", "1", "--out", str(out), "--tps", str(rate),
                                 "--duration", f"{ctx.rss_seconds}s"], stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, text=True)
        deadline = time.time() + ctx.rss_seconds + 30
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
        if proc.returncode not in (0, None):
            print(f"- {name}: failed ({proc.returncode}): {last_lines(proc.stderr.read())}")
            continue
        if len(samples) < 10:
            print(f"- {name}: too few samples ({len(samples)})")
            continue
        print(f"- {name}: {rss_verdict(samples)}")


def rss_verdict(samples):
    """Peak, the median of the second tenth (after warm-up) and of the last tenth, and the slope
    of a least-squares line over the second half. Flat: the last tenth is within 10 % of the
    second (RSS swings as lanes open and retire, so the slope alone is noisy)."""
    tenth = max(1, len(samples) // 10)
    early = statistics.median(samples[tenth:2 * tenth])
    late = statistics.median(samples[-tenth:])
    half = samples[len(samples) // 2:]
    xs = range(len(half))
    mean_x, mean_y = statistics.mean(xs), statistics.mean(half)
    slope = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, half)) / sum((x - mean_x) ** 2 for x in xs)
    verdict = "flat" if late <= early * 1.1 else "**growing**"
    return (f"peak {max(samples):.1f} MB; second-tenth median {early:.1f} MB; last-tenth median {late:.1f} MB; "
            f"slope over the second half {slope * 60:+.2f} MB/min ({len(samples)} samples): {verdict}")


# --- main ---------------------------------------------------------------------------------


class Context:
    pass


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--rss-seconds", type=int, default=60)
    parser.add_argument("--rates", default="1000,5000,20000,50000")
    parser.add_argument("--scenario-rate", type=int, default=5000)
    parser.add_argument("--metrics-rate", type=int, default=20000)
    parser.add_argument("--only", default="closed,open,open-https,closed-https,h2,rss")
    # vajra's users share one HTTP/2 connection per origin up to the server's stream limit
    # (nginx: 128), so 100 users are 1 connection × 100 streams: the peers get the same shape.
    parser.add_argument("--h2-clients", type=int, default=1)
    parser.add_argument("--h2-streams", type=int, default=100)
    parser.add_argument("--vajra", action="append", default=[], metavar="NAME=PATH",
                        help="a vajra binary to run, under NAME (repeatable); default: build target/release/vajra")
    args = parser.parse_args()
    ctx = Context()
    ctx.reps, ctx.seconds, ctx.rss_seconds = args.reps, args.seconds, args.rss_seconds
    ctx.rates = [int(r) for r in args.rates.split(",")]
    ctx.scenario_rate = args.scenario_rate
    ctx.metrics_rate = args.metrics_rate
    ctx.h2_clients, ctx.h2_streams = args.h2_clients, args.h2_streams
    if args.vajra:
        ctx.vajras = [tuple(v.split("=", 1)) for v in args.vajra]
        for name, path in ctx.vajras:
            if not Path(path).is_file():
                sys.exit(f"--vajra {name}={path}: no such file")
    else:
        subprocess.run(["cargo", "build", "--release", "-p", "vajra"], cwd=ROOT, check=True)
        ctx.vajras = [("vajra", str(ROOT / "target" / "release" / "vajra"))]
    only = args.only.split(",")
    unknown = set(only) - {"closed", "open", "open-https", "closed-https", "h2", "rss", "scenario", "metrics"}
    if unknown:
        sys.exit(f"--only: unknown mode(s) {', '.join(sorted(unknown))}")
    ctx.ca = make_certs()
    ctx.nginx = start_nginx()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            ctx.tmp = tmp
            ctx.plans = {"http": write_plan(tmp, "http", HTTP),
                         "https": write_plan(tmp, "https", HTTPS, http_version="1.1", ca=ctx.ca),
                         "h2": write_plan(tmp, "h2", HTTPS, http_version="2", ca=ctx.ca)}
            print(f"# vajra benchmark {time.strftime('%Y-%m-%d %H:%M')} ({os.cpu_count()} cores; "
                  f"load average before: {os.getloadavg()[0]:.2f})")
            modes = {"closed": closed_loop, "open": lambda c: fixed_rates(c, "http"),
                     "open-https": lambda c: fixed_rates(c, "https"), "closed-https": closed_https,
                     "h2": h2, "rss": rss_over_time, "scenario": scenario_cost, "metrics": metrics_cost}
            for mode in only:
                modes[mode](ctx)
                sys.stdout.flush()
            print(f"\n(load average after: {os.getloadavg()[0]:.2f})")
    finally:
        ctx.nginx.send_signal(signal.SIGQUIT)
        ctx.nginx.wait(timeout=10)


if __name__ == "__main__":
    main()
