"""`executor: vajra` for Taurus: runs a Taurus scenario, or a vajra plan, on the vajra engine.

vajra reads Taurus configs itself (its mapping of executions and scenarios lives in the
engine), so this plugin does not translate anything:

* ``Vajra`` finds the binary (``modules.vajra.path``, else ``vajra`` on PATH, else a ``vajra``
  beside the config files, as on a BlazeMeter engine) and checks it with ``vajra --version``.
  It is never downloaded.
* ``VajraExecutor`` writes the effective execution (this executor's load, its scenario and the
  scenarios that one includes, with file paths made absolute the way Taurus finds files) to
  ``vajra-taurus.yml`` in the artifacts directory, checks it at ``prepare`` with
  ``vajra validate FILE --execution 0`` (vajra's message becomes a ``TaurusConfigError``), runs
  ``vajra run FILE --execution 0 --out DIR`` and feeds ``DIR/results.jtl`` to Taurus's own
  ``JTLReader``, so the aggregator, final-stats, passfail, the console and the BlazeMeter
  reporter see every sample. Taurus's ``$GRACEFUL`` file and SIGTERM stop vajra with every row
  flushed.
* ``AssertionMessages`` lets Taurus's error table show assertion texts: JTLReader reports a
  failed row's ``responseMessage``, and vajra (like JMeter) puts the assertion text in
  ``failureMessage``.

The module is one file, so it works installed (``bzt_vajra.vajra_executor``) and as a flat
file in the working directory (``vajra_executor``), which is how a BlazeMeter engine meets it.
"""

import os
import shutil
import subprocess

import yaml
from bzt import AutomatedShutdown, TaurusConfigError, ToolError
from bzt.modules import ScenarioExecutor
from bzt.modules.aggregator import ConsolidatingAggregator
from bzt.modules.console import ExecutorWidget
from bzt.modules.jmeter import JTLReader
from bzt.utils import CALL_PROBLEMS, RequiredTool, shutdown_process

# vajra's exit code when a plan's thresholds fail or the run is invalid (the generator missed
# more than 1 % of its arrivals); Taurus's code for "failure criteria met".
THRESHOLDS_FAILED = 3
# An execution's load keys, handed to vajra as the execution gives them.
LOAD_KEYS = ("concurrency", "throughput", "ramp-up", "hold-for", "iterations", "steps")
# Keys of a block whose value is a list of nested steps.
NESTED_STEPS = ("do", "then", "else")
# vajra's `tls:` keys that name files (vajra's own scenario key; Taurus has none).
TLS_FILES = ("ca-file", "client-cert", "client-key")


class Vajra(RequiredTool):
    """The vajra binary. ``search_dirs`` are where a bare binary may sit beside the config."""

    def __init__(self, config=None, search_dirs=(), **kwargs):
        explicit = (config or {}).get("path")
        if explicit:
            explicit = os.path.expanduser(str(explicit))
            self.looked_at = [explicit]
            path = shutil.which(explicit) or explicit
        else:
            beside = [os.path.join(d, "vajra") for d in search_dirs]
            self.looked_at = ["vajra on PATH"] + beside
            path = shutil.which("vajra") or next(
                (p for p in beside if os.path.isfile(p) and os.access(p, os.X_OK)), "vajra")
        super().__init__(tool_path=path, installable=False, **kwargs)

    def check_if_installed(self):
        try:
            out, _ = self.call([self.tool_path, "--version"])
        except CALL_PROBLEMS as exc:
            self.log.debug("%s --version failed: %s", self.tool_path, exc)
            return False
        self.version = out.strip()
        self.log.info("Found %s: %s", self.tool_path, self.version)
        return True

    def install(self):
        raise ToolError(
            "vajra isn't found or doesn't run (looked at: %s). Put the vajra binary on PATH or "
            "beside taurus.yml, or set modules.vajra.path; it is never downloaded."
            % ", ".join(self.looked_at))


class AssertionMessages:
    """Wraps a JTLReader's CSV reader: failed rows show their assertion text as the error."""

    def __init__(self, csvreader):
        self.csvreader = csvreader
        self.file = csvreader.file

    def read(self, last_pass=False):
        for row in self.csvreader.read(last_pass):
            if row.get("success") != "true" and row.get("failureMessage"):
                row["responseMessage"] = row["failureMessage"]
            yield row


def plain(value):
    """Taurus's config containers (BetterDict, whose ``get`` inserts defaults) as plain data."""
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain(item) for item in value]
    return value


# ---------------------------------------------------------------- the effective execution


def steps_of(scenario):
    """Every step of a scenario's ``requests``, nested ones too, depth first."""
    pending = list(scenario.get("requests") or [])
    while pending:
        step = pending.pop(0)
        yield step
        if isinstance(step, dict) and "url" not in step:
            for key in NESTED_STEPS:
                if isinstance(step.get(key), list):
                    pending.extend(step[key])
            once = step.get("once")
            if isinstance(once, list):
                pending.extend(once)


def scenarios_used(scenarios, name):
    """``name`` and the scenarios it includes (directly or not), in the order first met. An
    included name that is not defined is kept, for vajra to report where it is used."""
    order, pending = [], [name]
    while pending:
        current = pending.pop(0)
        if current in order:
            continue
        order.append(current)
        scenario = scenarios.get(current)
        if not isinstance(scenario, dict):
            continue
        for step in steps_of(scenario):
            if isinstance(step, dict) and "url" not in step and step.get("include-scenario"):
                pending.append(str(step["include-scenario"]))
    return order


def file_fields(name, scenario):
    """The files a scenario names, as (where, container, key): ``container[key]`` is the path
    as written, and ``where`` names it for messages (``scenario 'x': data-sources[0]``)."""
    where = "scenario '%s'" % name
    fields = []
    if isinstance(scenario.get("script"), str):
        fields.append((where + ": script", scenario, "script"))
    sources = scenario.get("data-sources")
    for index, source in enumerate(sources if isinstance(sources, list) else []):
        at = "%s: data-sources[%d]" % (where, index)
        if isinstance(source, str):
            fields.append((at, sources, index))
        elif isinstance(source, dict) and isinstance(source.get("path"), str):
            fields.append((at + ".path", source, "path"))
    tls = scenario.get("tls")
    if isinstance(tls, dict):
        fields += [("%s: tls.%s" % (where, key), tls, key) for key in TLS_FILES
                   if isinstance(tls.get(key), str)]
    for step in steps_of(scenario):
        if isinstance(step, dict) and isinstance(step.get("body-file"), str):
            label = step.get("label", step.get("url"))
            fields.append(("%s, request '%s': body-file" % (where, label), step, "body-file"))
    return fields


def effective_config(name, scenarios, load, find_file):
    """The Taurus config vajra runs for one execution: the execution (``load``, the given load
    keys, and ``scenario: name``) and the scenarios it uses, with every file path located by
    ``find_file`` (Taurus's search beside the config files) and made absolute, since the file
    is read from the artifacts directory. A file that is not found is a TaurusConfigError."""
    used = {}
    for scenario_name in scenarios_used(scenarios, name):
        if scenario_name not in scenarios:
            continue
        scenario = plain(scenarios[scenario_name])
        for where, container, key in file_fields(scenario_name, scenario):
            given = container[key]
            if "${" in given:
                continue  # a template, rendered by vajra per row
            located = find_file(given)
            # find_file gives back the name as it was when it finds nothing.
            if not os.path.isabs(located) or not os.path.exists(located):
                raise TaurusConfigError("%s: %s is not found beside the config files or in the "
                                        "working directory" % (where, given))
            container[key] = located
        used[scenario_name] = scenario
    execution = {"executor": "vajra", "scenario": name}
    execution.update({key: value for key, value in load.items() if value is not None})
    return {"execution": [execution], "scenarios": used}


def scenario_files(name, scenarios):
    """Every file the scenario ``name`` and the scenarios it includes name, as written (a
    templated name is left out: which file it is depends on the run)."""
    files = []
    for scenario_name in scenarios_used(scenarios, name):
        scenario = scenarios.get(scenario_name)
        if isinstance(scenario, dict):
            for _, container, key in file_fields(scenario_name, plain(scenario)):
                if "${" not in container[key] and container[key] not in files:
                    files.append(container[key])
    return files


class VajraExecutor(ScenarioExecutor):
    def __init__(self):
        super().__init__()
        self.tool = None
        self.process = None
        self.config_file = None
        self.out_dir = None

    def install_required_tools(self):
        search_dirs = [os.getcwd()] + list(self.engine.file_search_paths)
        self.tool = self._get_tool(Vajra, config=self.settings, search_dirs=search_dirs)
        if not self.tool.check_if_installed():
            self.tool.install()

    def prepare(self):
        super().prepare()
        self.install_required_tools()
        self.get_scenario()  # names an inline scenario (self.label) and files it in `scenarios`
        raw_load = self.get_raw_load()
        load = dict(zip(LOAD_KEYS, (raw_load.concurrency, raw_load.throughput, raw_load.ramp_up,
                                    raw_load.hold, raw_load.iterations, raw_load.steps)))
        scenarios = self.engine.config.get("scenarios", {})
        config = effective_config(self.label, scenarios, load, self.engine.find_file)
        self.config_file = self.engine.create_artifact("vajra-taurus", ".yml")
        with open(self.config_file, "w", encoding="utf-8") as fds:
            yaml.safe_dump(config, fds, sort_keys=False, allow_unicode=True)
        self._validate()
        self.out_dir = self.engine.create_artifact("vajra", "")
        self.stdout = open(self.engine.create_artifact("vajra", ".out"), "w")
        self.stderr = open(self.engine.create_artifact("vajra", ".err"), "w")
        self.reader = JTLReader(os.path.join(self.out_dir, "results.jtl"), self.log)
        self.reader.csvreader = AssertionMessages(self.reader.csvreader)
        if isinstance(self.engine.aggregator, ConsolidatingAggregator):
            self.engine.aggregator.add_underling(self.reader)

    def _validate(self):
        """vajra's own check of the effective config: its error, naming the field and line of
        ``vajra-taurus.yml``, becomes Taurus's config error."""
        cmdline = [self.tool.tool_path, "validate", self.config_file, "--execution", "0"]
        try:
            done = subprocess.run(cmdline, capture_output=True, text=True, env=self.env.get(),
                                  stdin=subprocess.DEVNULL)
        except OSError as exc:
            raise ToolError("cannot start %s: %s" % (self.tool.tool_path, exc))
        if done.returncode != 0:
            message = (done.stderr.strip() or done.stdout.strip()
                       or "vajra validate exited with code %d" % done.returncode)
            raise TaurusConfigError("vajra cannot run scenario '%s' (effective config %s):\n%s"
                                    % (self.label, self.config_file, message))
        self.log.debug("vajra validate: %s", done.stdout.strip())

    def startup(self):
        cmdline = [self.tool.tool_path, "run", self.config_file, "--execution", "0",
                   "--out", self.out_dir]
        self.log.debug("Starting vajra: %s", cmdline)
        self.process = self._execute(cmdline)

    def check(self):
        code = self.process.poll()
        if code is None:
            return False
        if code == THRESHOLDS_FAILED:
            raise AutomatedShutdown("vajra: the plan's thresholds failed or the run was invalid; "
                                    "see the verdict in vajra's summary.json")
        if code != 0:
            raise ToolError("vajra exited with code %s" % code, self.get_error_diagnostics())
        return True

    def shutdown(self):
        shutdown_process(self.process, self.log)

    def has_results(self):
        return bool(self.reader and self.reader.read_records)

    def get_widget(self):
        if not self.widget:
            self.widget = ExecutorWidget(self, "vajra: %s" % self.label)
        return self.widget

    def get_error_diagnostics(self):
        diagnostics = []
        for name, stream in (("STDOUT", self.stdout), ("STDERR", self.stderr)):
            if stream is None:
                continue
            stream.flush()
            with open(stream.name, encoding="utf-8", errors="replace") as fds:
                contents = fds.read().strip()
            if contents:
                diagnostics.append("vajra %s:\n%s" % (name, contents))
        return diagnostics

    def resource_files(self):
        """Files a cloud test must upload with the config: the plan, or the files the scenario
        and the scenarios it includes name."""
        self.get_scenario()
        return scenario_files(self.label, plain(self.engine.config.get("scenarios", {})))
