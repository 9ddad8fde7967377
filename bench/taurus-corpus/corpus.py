#!/usr/bin/env python3
"""The Taurus corpus: every non-browser `requests` scenario in a Taurus checkout, the features
it uses, and whether vajra loads and runs it.

    corpus.py TAURUS_CHECKOUT [--vajra BIN] [--markdown docs/taurus-corpus.md] [--json FILE]

TAURUS_CHECKOUT is a Taurus work tree, or a git directory without one (its files are read with
`git cat-file`; blobs it lacks are skipped): only its `examples/` and `tests/resources/` are
read. Any other directory is read whole. Everything is read into a scratch copy, so the
checkout is never written to.

For each config (YAML, and JSON, which is YAML too) the documents are merged as Taurus merges
them, and each scenario with `requests` is listed, unless only browser-style executors run it
(selenium, apiritif, playwright), it has a `script`, or its requests drive a browser
(`actions`). Scenarios left out are counted by reason.

With a vajra binary that has `vajra validate`, each scenario is then
1. loaded: its execution (the file's own one that runs it, else `scenario: NAME`) alone in a
   copy of the config beside the original, checked with `vajra validate COPY --execution 0`;
2. run: a second copy with every `scheme://host[:port]` rewritten to a local target on
   127.0.0.1, think times and pauses cut to 10ms and the load cut to one user and one
   iteration, run with `vajra run COPY --execution 0 --out DIR` under a time limit. When
   `unshare -rn` works, the run is also shut in a network namespace that has only loopback,
   so a URL the rewrite missed cannot leave the machine.
"""

import argparse
import collections
import http.server
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import yaml

CORPUS_DIRS = ("examples", "tests/resources")
CONFIG_SUFFIXES = (".yml", ".yaml", ".json")
# Executors whose `requests` are browser or Python-codegen steps, out of vajra's scope.
SKIPPED_EXECUTORS = {"selenium", "apiritif", "playwright"}
DEFAULT_EXECUTOR = "jmeter"
BLOCKS = ("transaction", "if", "loop", "while", "foreach", "once", "include-scenario", "action",
          "set-variables", "setup", "teardown")
# Keys of a block that hold nested steps.
NESTED_STEPS = ("do", "then", "else", "once", "requests", "setup", "teardown")
LOAD_KEYS = ("concurrency", "throughput", "ramp-up", "hold-for", "iterations", "steps")
EXTRACTORS = ("extract-jsonpath", "extract-regexp", "extract-boundary", "extract-css-jquery",
              "extract-xpath")
ASSERTIONS = ("assert", "assert-jsonpath", "assert-xpath")
# `${__name(` or `${__name}`: a JMeter function in a template.
FUNCTION = re.compile(r"\$\{(__\w+)")
ABSOLUTE_URL = re.compile(r"(?i)\b(?:https?|wss?)://[^/\s\"'?#]+")
# One user, one iteration; hold-for ends a `loop: forever` or a `while` that runs on.
# The top-level keys of a config the corpus hands to vajra with the execution.
KEPT_KEYS = ("scenarios", "settings")
RUN_LOAD = {"concurrency": 1, "iterations": 1, "hold-for": "5s"}
RUN_PAUSE = "10ms"
RUN_TIMEOUT_S = 30
VALIDATE_TIMEOUT_S = 30


# ---------------------------------------------------------------- reading the checkout


def materialise(checkout, dest):
    """Copies the corpus directories of ``checkout`` (a work tree or a bare git dir) into
    ``dest``; returns the number of files it could not copy (blobs absent from the git dir)."""
    checkout = Path(checkout)
    if any((checkout / d).is_dir() for d in CORPUS_DIRS):
        for name in CORPUS_DIRS:
            if (checkout / name).is_dir():
                shutil.copytree(checkout / name, dest / name, symlinks=True)
        return 0
    if not ((checkout / "HEAD").is_file() and (checkout / "objects").is_dir()):
        # A plain directory of configs (such as the plugin's own test corpus).
        shutil.copytree(checkout, dest, symlinks=True, dirs_exist_ok=True)
        return 0
    listing = subprocess.run(["git", "-C", str(checkout), "ls-tree", "-r", "HEAD", "--"]
                             + list(CORPUS_DIRS), capture_output=True, text=True, check=True)
    blobs = []
    for line in listing.stdout.splitlines():
        meta, path = line.split("\t", 1)
        _mode, kind, sha = meta.split()
        if kind == "blob":
            blobs.append((sha, path))
    batch = subprocess.run(["git", "-C", str(checkout), "cat-file", "--batch"],
                           input="".join(sha + "\n" for sha, _ in blobs).encode(),
                           capture_output=True, check=True).stdout
    missing, at = 0, 0
    for _sha, path in blobs:
        end = batch.index(b"\n", at)
        head = batch[at:end].decode().split()
        if head[-1] == "missing":
            missing += 1
            at = end + 1
            continue
        size = int(head[2])
        target = dest / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(batch[end + 1:end + 1 + size])
        at = end + 1 + size + 1
    return missing


def config_files(root):
    return [path for path in sorted(root.rglob("*"))
            if path.is_file() and path.suffix in CONFIG_SUFFIXES]


def merge(into, other):
    """Taurus's merge of config documents: mappings merge key by key, lists are extended,
    anything else is replaced."""
    for key, value in other.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            merge(into[key], value)
        elif isinstance(value, list) and isinstance(into.get(key), list):
            into[key].extend(value)
        else:
            into[key] = value
    return into


def load_config(path):
    """The merged config of a file, or None when it is not a Taurus config (not YAML, or no
    document is a mapping)."""
    try:
        documents = list(yaml.safe_load_all(path.read_text(encoding="utf-8")))
    except (yaml.YAMLError, UnicodeDecodeError):
        return None
    config = {}
    for document in documents:
        if isinstance(document, dict):
            merge(config, document)
    return config or None


# ---------------------------------------------------------------- finding scenarios


def executions(config):
    items = config.get("execution") or []
    if isinstance(items, dict):
        items = [items]
    return [item for item in items if isinstance(item, dict)]


def requests_scenarios(config):
    """Every scenario with `requests`: (name, scenario, [(execution index, execution)]) where
    the executions are those that run it. An inline scenario is named ``execution[i]``."""
    named = config.get("scenarios")
    named = named if isinstance(named, dict) else {}
    users = collections.defaultdict(list)
    found = []
    for index, execution in enumerate(executions(config)):
        scenario = execution.get("scenario")
        if isinstance(scenario, dict):
            if "requests" in scenario:
                found.append(("execution[%d]" % index, scenario, [(index, execution)]))
        elif scenario is not None:
            users[str(scenario)].append((index, execution))
    for name, scenario in named.items():
        if isinstance(scenario, dict) and "requests" in scenario:
            found.append((str(name), scenario, users.get(str(name), [])))
    return found


def out_of_scope(config, name, scenario, runs):
    """Why a requests scenario is not in the corpus, or None when it is."""
    default = ((config.get("settings") or {}).get("default-executor")) or DEFAULT_EXECUTOR
    used_by = {str(execution.get("executor") or default) for _, execution in runs}
    if used_by and used_by <= SKIPPED_EXECUTORS:
        return "run by %s" % ", ".join(sorted(used_by))
    if "script" in scenario:
        return "script scenario"
    if any(isinstance(step, dict) and "actions" in step for step in walk_steps(scenario)):
        return "browser actions"
    if not scenario.get("requests"):
        return "no requests (empty converter output)"
    if not runs and name in included_names(config):
        return "only included by another scenario (counted there)"
    return None


def included_names(config):
    """The scenario names any scenario of the config includes."""
    names = set()
    for _, scenario, _ in requests_scenarios(config):
        for step in walk_steps(scenario):
            if isinstance(step, dict) and "url" not in step and step.get("include-scenario"):
                names.add(str(step["include-scenario"]))
    return names


def walk_steps(scenario):
    """Every step (request or block, nested ones too) of a scenario, outer ones first."""
    pending = list(scenario.get("requests") or [])
    while pending:
        step = pending.pop(0)
        yield step
        if isinstance(step, dict) and "url" not in step:
            for key in NESTED_STEPS:
                if isinstance(step.get(key), list):
                    pending.extend(step[key])


# ---------------------------------------------------------------- features


def features(scenario, execution):
    """The sorted features a scenario (and the execution that runs it) uses, as
    ``kind:name`` strings: scenario keys, request keys, blocks, assertion and extractor
    options, body shapes, random think times, https, JMeter functions and load keys."""
    found = set()
    for key in scenario:
        if key != "requests":
            found.add("scenario:" + key)
    for source in scenario.get("data-sources") or []:
        if isinstance(source, dict):
            found.update("data-sources:" + key for key in source if key != "path")
    for key in LOAD_KEYS:
        if execution and execution.get(key) is not None:
            found.add("load:" + key)
    for step in walk_steps(scenario):
        if isinstance(step, str):
            found.add("request:url-only")
            continue
        if not isinstance(step, dict):
            continue
        block = next((key for key in BLOCKS if key in step), None) if "url" not in step else None
        if block:
            found.add("block:" + block)
            if block == "loop" and str(step.get("loop")).lower() == "forever":
                found.add("block:loop-forever")
            found.update("block:%s.%s" % (block, key) for key in step
                         if key not in BLOCKS and key not in NESTED_STEPS)
            continue
        found.update("request:" + key for key in step if key not in ("url", "label", "method"))
        found.update(_request_details(step))
    for text in _strings(scenario):
        found.update("function:" + name for name in FUNCTION.findall(text))
        if re.search(r"(?i)\bhttps://", text):
            found.add("url:https")
    for name in ("think-time",):
        for value in [scenario.get(name)] + [s.get(name) for s in walk_steps(scenario)
                                             if isinstance(s, dict)]:
            if isinstance(value, str) and "(" in value:
                found.add("think-time:" + value.split("(")[0].strip())
    return sorted(found)


def _request_details(step):
    found = set()
    body = step.get("body")
    if isinstance(body, dict):
        nested = any(isinstance(value, (dict, list)) for value in body.values())
        found.add("body:json" if nested else "body:mapping")
    elif isinstance(body, list):
        found.add("body:json")
    for key in ASSERTIONS:
        items = step.get(key)
        items = items if isinstance(items, list) else [items] if items else []
        for item in items:
            if isinstance(item, dict):
                for option, value in item.items():
                    if option == "subject":
                        found.add("%s:subject=%s" % (key, value))
                    elif option not in ("contains", "jsonpath", "xpath") and value not in (None, False):
                        found.add("%s:%s" % (key, option))
    for key in EXTRACTORS:
        extractors = step.get(key)
        if isinstance(extractors, dict):
            for spec in extractors.values():
                if isinstance(spec, dict):
                    found.update("%s:%s" % (key, option) for option in spec
                                 if option not in ("jsonpath", "regexp", "expression", "xpath"))
    return found


def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(key)
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


# ---------------------------------------------------------------- the copies vajra reads


def isolated_config(config, name, scenario, runs):
    """What the plugin hands vajra for this scenario: one execution, the one that runs it (the
    file's own first one, else `scenario: NAME`) with `executor: vajra`, as a user switching
    to vajra writes it, the scenarios, and the settings (their `env` is the config's
    variables). Services and reporting stay with Taurus."""
    copy = {key: json.loads(json.dumps(config[key], default=str))
            for key in KEPT_KEYS if key in config}
    if runs:
        execution = json.loads(json.dumps(runs[0][1], default=str))
    else:
        execution = {"scenario": name}
    if name.startswith("execution["):
        execution["scenario"] = json.loads(json.dumps(scenario, default=str))
    execution["executor"] = "vajra"
    copy["execution"] = [execution]
    return copy


def local_run_config(isolated, base_url):
    """``isolated`` bounded for a local run: absolute URLs sent to ``base_url``, think times
    and pauses at RUN_PAUSE, one user and one iteration."""
    copy = json.loads(json.dumps(isolated))
    copy = _rewrite(copy, base_url)
    execution = copy["execution"][0]
    for key in LOAD_KEYS:
        execution.pop(key, None)
    execution.update(RUN_LOAD)
    return copy


def _rewrite(value, base_url):
    if isinstance(value, str):
        return ABSOLUTE_URL.sub(base_url, value)
    if isinstance(value, list):
        return [_rewrite(item, base_url) for item in value]
    if isinstance(value, dict):
        result = {}
        for key, item in value.items():
            if key in ("think-time", "pause-duration") and item not in (None, ""):
                result[key] = RUN_PAUSE
            else:
                result[key] = _rewrite(item, base_url)
        return result
    return value


# ---------------------------------------------------------------- checking with vajra


def first_error_line(text):
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    picked = next((line for line in lines if line.lower().startswith("error")), None)
    return (picked or (lines[0] if lines else "no output"))[:300]


def validate(vajra, path):
    """(True, "") when vajra loads the config, else (False, its error)."""
    try:
        done = subprocess.run([vajra, "validate", str(path), "--execution", "0"],
                              capture_output=True, text=True, timeout=VALIDATE_TIMEOUT_S,
                              cwd=path.parent)
    except subprocess.TimeoutExpired:
        return False, "validate timed out"
    if done.returncode == 0:
        return True, ""
    return False, first_error_line(done.stderr + "\n" + done.stdout)


def run_locally(vajra, path, out_dir):
    """Runs the bounded copy; returns (ran, samples, errors, note)."""
    command = [vajra, "run", str(path), "--execution", "0", "--out", str(out_dir), "--quiet"]
    try:
        done = subprocess.run(command, capture_output=True,
                              text=True, timeout=RUN_TIMEOUT_S, cwd=path.parent)
    except subprocess.TimeoutExpired:
        return False, 0, 0, "run timed out after %ds" % RUN_TIMEOUT_S
    summary_path = out_dir / "summary.json"
    if not summary_path.is_file():
        return False, 0, 0, "exit %d: %s" % (done.returncode,
                                             first_error_line(done.stderr + done.stdout))
    total = json.loads(summary_path.read_text()).get("total", {})
    samples, errors = int(total.get("samples", 0)), int(total.get("errors", 0))
    # Exit 3 is a threshold or criterion met: the scenario ran.
    ran = done.returncode in (0, 3) and samples > 0
    note = "" if ran else "exit %d, %d samples: %s" % (
        done.returncode, samples, first_error_line(done.stderr + done.stdout))
    return ran, samples, errors, note


def has_validate(vajra):
    done = subprocess.run([vajra, "validate", "--help"], capture_output=True, text=True)
    return done.returncode == 0


class LocalTarget:
    """A loopback HTTP server answering 200 with a small JSON body to any request."""

    BODY = json.dumps({"ok": True, "id": 1, "token": "t", "items": [{"id": 1}]}).encode()

    def __init__(self):
        body = self.BODY

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def answer(self):
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = answer

            def log_message(self, *args):
                pass

        class Server(http.server.ThreadingHTTPServer):
            daemon_threads = True

        self.server = Server(("127.0.0.1", 0), Handler)
        self.url = "http://127.0.0.1:%d" % self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


# ---------------------------------------------------------------- the corpus


def survey(root):
    """(entries, skipped counts, unreadable files) for the corpus copied under ``root``."""
    entries, skipped, unreadable = [], collections.Counter(), []
    for path in config_files(root):
        config = load_config(path)
        if config is None:
            unreadable.append(str(path.relative_to(root)))
            continue
        for name, scenario, runs in requests_scenarios(config):
            reason = out_of_scope(config, name, scenario, runs)
            if reason:
                skipped[reason] += 1
                continue
            found = features(scenario, runs[0][1] if runs else None)
            if (config.get("settings") or {}).get("env"):
                # Taurus renders ${NAME} from settings.env (and the OS) across the config.
                found = sorted(found + ["config:settings.env"])
            entries.append({
                "file": str(path.relative_to(root)), "scenario": name,
                "features": found,
                "config": config, "scenario_data": scenario, "runs": runs})
    return entries, skipped, unreadable


def check_all(entries, root, vajra):
    target = LocalTarget()
    try:
        for number, entry in enumerate(entries):
            path = root / entry["file"]
            isolated = isolated_config(entry["config"], entry["scenario"],
                                       entry["scenario_data"], entry["runs"])
            as_is = path.parent / (".vajra-corpus-%d.yml" % number)
            as_is.write_text(yaml.safe_dump(isolated, sort_keys=False))
            loads, reason = validate(vajra, as_is)
            entry["loads"] = loads
            # Paths in messages as the checkout names them, not the scratch copy.
            entry["reason"] = reason.replace(str(root) + os.sep, "")
            if not loads:
                continue
            local = path.parent / (".vajra-corpus-%d-local.yml" % number)
            local.write_text(yaml.safe_dump(local_run_config(isolated, target.url),
                                            sort_keys=False))
            out_dir = root / ".runs" / str(number)
            ran, samples, errors, note = run_locally(vajra, local, out_dir)
            entry.update(runs_ok=ran, samples=samples, errors=errors,
                         reason=note.replace(str(root) + os.sep, ""))
    finally:
        target.close()


def verdict(entry):
    if "loads" not in entry:
        return "not checked"
    if not entry["loads"]:
        return "rejected: " + entry["reason"]
    if not entry.get("runs_ok"):
        return "loads; run failed: " + entry["reason"]
    return "runs (%d samples, %d failed)" % (entry["samples"], entry["errors"])


def rejection_kind(reason):
    """A rejection message without its file, line, scenario and step, to count alike ones
    together: the field's last key and the message."""
    text = re.sub(r"\S*\.vajra-corpus-\d+\.yml(:\d+)*(:)?", "", reason)
    text = re.sub(r"line \d+(, column \d+)?", "", text)
    text = re.sub(r"^\s*error:\s*", "", text.strip(" :,"))
    field, _, message = text.partition(": ")
    if not message:
        return text[:110]
    key = re.sub(r"\[\d+\]", "", field.rsplit(".", 1)[-1])
    return "%s: %s" % (key, message[:110])


def markdown(entries, skipped, unreadable, source, checked):
    total = len(entries)
    lines = ["# Taurus corpus: the non-browser `requests` scenarios of Taurus's examples and "
             "test resources", "",
             "Every YAML (and JSON) config under `examples/` and `tests/resources/`, its "
             "documents merged as Taurus merges them.",
             "",
             "Made by `bench/taurus-corpus/corpus.py` from %s. Each scenario was loaded with "
             "`vajra validate FILE --execution 0` (its own execution alone, with `executor: "
             "vajra`, in a copy of its config) and, when it loads, run once (one user, one "
             "iteration, at most 5 s, think times cut to %s) with every absolute URL rewritten "
             "to a local target on 127.0.0.1." % (source, RUN_PAUSE), "",
             "Regenerate: `python3 bench/taurus-corpus/corpus.py TAURUS_CHECKOUT --vajra "
             "target/debug/vajra --markdown docs/taurus-corpus.md` (a Taurus work tree or git "
             "directory; `taurus/tests/test_corpus.py` runs it too).", ""]
    if checked:
        loads = sum(1 for e in entries if e.get("loads"))
        runs = sum(1 for e in entries if e.get("runs_ok"))
        lines += ["**%d scenarios; %d load (%.0f %%), %d run against the local target "
                  "(%.0f %%).**" % (total, loads, 100.0 * loads / max(total, 1), runs,
                                    100.0 * runs / max(total, 1)), ""]
        reasons = collections.Counter(rejection_kind(e["reason"]) for e in entries
                                      if "loads" in e and not e["loads"])
        if reasons:
            lines += ["Rejections, by message:", ""]
            lines += ["- %d × %s" % (count, text) for text, count in reasons.most_common()]
            lines.append("")
    else:
        lines += ["**%d scenarios** (not checked: no `vajra validate` in the binary given)."
                  % total, ""]
    lines += ["Left out: %s; %d files are not YAML configs (%s)." % (
        ", ".join("%d %s" % (n, r) for r, n in sorted(skipped.items())) or "none",
        len(unreadable), ", ".join(unreadable) or "-"), ""]
    counts = collections.Counter(f for e in entries for f in e["features"])
    lines += ["## Features, by the number of scenarios using them", "",
              "| feature | scenarios |", "|---|---|"]
    lines += ["| `%s` | %d |" % (name, count)
              for name, count in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]
    lines += ["", "## Scenarios", "", "| file | scenario | features | verdict |",
              "|---|---|---|---|"]
    for entry in entries:
        lines.append("| %s | %s | %s | %s |" % (
            entry["file"], entry["scenario"].replace("|", "\\|"),
            " ".join("`%s`" % f for f in entry["features"]) or "-",
            verdict(entry).replace("|", "\\|").replace("\n", " ")))
    return "\n".join(lines) + "\n"


def summary(entries, skipped):
    return {"scenarios": len(entries),
            "loads": sum(1 for e in entries if e.get("loads")),
            "runs": sum(1 for e in entries if e.get("runs_ok")),
            "skipped": dict(skipped),
            "entries": [{"file": e["file"], "scenario": e["scenario"], "features": e["features"],
                         "verdict": verdict(e)} for e in entries]}


def describe(checkout):
    """The checkout's commit, when it is a git checkout, else its directory name."""
    done = subprocess.run(["git", "-C", str(checkout), "rev-parse", "--short=12", "HEAD"],
                          capture_output=True, text=True)
    looks_like_taurus = (Path(checkout) / "examples").is_dir() or (Path(checkout) / "objects").is_dir()
    if done.returncode == 0 and looks_like_taurus:
        return "Taurus commit %s" % done.stdout.strip()
    return os.path.basename(os.path.abspath(checkout))


def network_isolation():
    """A command prefix that runs a command with loopback only, or [] when unavailable."""
    prefix = ["unshare", "-rn", "sh", "-c", 'ip link set lo up && exec "$@"', "isolated"]
    try:
        done = subprocess.run(prefix + ["true"], capture_output=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return []
    return prefix if done.returncode == 0 else []


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("checkout", help="a Taurus work tree or git directory")
    parser.add_argument("--vajra", help="the vajra binary (without it, only the survey)")
    parser.add_argument("--markdown", help="write the table here (docs/taurus-corpus.md)")
    parser.add_argument("--json", help="write the results as JSON here")
    parser.add_argument("--source", help="how the markdown names the checkout")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="taurus-corpus-") as scratch:
        root = Path(scratch)
        missing = materialise(args.checkout, root)
        entries, skipped, unreadable = survey(root)
        checked = bool(args.vajra) and has_validate(args.vajra)
        if args.vajra and not checked:
            print("%s has no `validate` command: survey only" % args.vajra, file=sys.stderr)
        if checked:
            isolate = network_isolation()
            if not isolate:
                print("unshare -rn is not available: runs rely on the URL rewrite alone",
                      file=sys.stderr)
            # The run's target lives in this process; inside a namespace it would be out of
            # reach, so the namespace wraps the local target and vajra together.
            if isolate and os.environ.get("TAURUS_CORPUS_ISOLATED") != "1":
                return _rerun_isolated(isolate, argv)
            check_all(entries, root, os.path.abspath(args.vajra))
        source = args.source or describe(args.checkout)
        if missing:
            source += " (%d files absent from the checkout)" % missing
        if args.markdown:
            Path(args.markdown).write_text(markdown(entries, skipped, unreadable, source, checked))
        result = summary(entries, skipped)
        if args.json:
            Path(args.json).write_text(json.dumps(result, indent=1))
        print("%d scenarios, %d load, %d run; left out: %s" % (
            result["scenarios"], result["loads"], result["runs"], dict(skipped)))
    return 0


def _rerun_isolated(isolate, argv):
    env = dict(os.environ, TAURUS_CORPUS_ISOLATED="1")
    argv = sys.argv[1:] if argv is None else argv
    return subprocess.run(isolate + [sys.executable, os.path.abspath(__file__)] + list(argv),
                          env=env).returncode


if __name__ == "__main__":
    sys.exit(main())
