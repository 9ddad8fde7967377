"""`executor: vajra` for Taurus: runs a Taurus scenario, or a vajra plan, on the vajra engine.

* ``Vajra`` finds the binary (``modules.vajra.path``, else ``vajra`` on PATH, else a ``vajra``
  beside the config files, as on a BlazeMeter engine) and checks it with ``vajra --version``.
  It is never downloaded.
* ``VajraExecutor`` turns the scenario into a vajra plan (``vajra_plan``), runs
  ``vajra run PLAN --out DIR`` and feeds ``DIR/results.jtl`` to Taurus's own ``JTLReader``, so
  the aggregator, final-stats, passfail, the console and the BlazeMeter reporter see every
  sample. Taurus's ``$GRACEFUL`` file and SIGTERM stop vajra with every row flushed.
* ``AssertionMessages`` lets Taurus's error table show assertion texts: JTLReader reports a
  failed row's ``responseMessage``, and vajra (like JMeter) puts the assertion text in
  ``failureMessage``.

The module works installed (``bzt_vajra.vajra_executor``) and as a flat file beside
``vajra_plan.py`` in the working directory (``vajra_executor``), which is how a BlazeMeter
engine meets it.
"""

import os
import shutil

import yaml
from bzt import AutomatedShutdown, TaurusConfigError, ToolError
from bzt.modules import ScenarioExecutor
from bzt.modules.aggregator import ConsolidatingAggregator
from bzt.modules.console import ExecutorWidget
from bzt.modules.jmeter import JTLReader
from bzt.utils import CALL_PROBLEMS, RequiredTool, shutdown_process

if __package__:
    from .vajra_plan import (LOAD_KEYS, TLS_FILES, load_flags, load_section,
                             plan_from_scenario, script_scenario_extras)
else:  # flat layout: vajra_plan.py sits beside this file
    from vajra_plan import (LOAD_KEYS, TLS_FILES, load_flags, load_section, plan_from_scenario,
                            script_scenario_extras)

# vajra's exit code when a plan's thresholds fail or the run is invalid (the generator missed
# more than 1 % of its arrivals); Taurus's code for "failure criteria met".
THRESHOLDS_FAILED = 3


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


class VajraExecutor(ScenarioExecutor):
    def __init__(self):
        super().__init__()
        self.tool = None
        self.process = None
        self.plan_file = None
        self.flags = []
        self.out_dir = None

    def install_required_tools(self):
        search_dirs = [os.getcwd()] + list(self.engine.file_search_paths)
        self.tool = self._get_tool(Vajra, config=self.settings, search_dirs=search_dirs)
        if not self.tool.check_if_installed():
            self.tool.install()

    def prepare(self):
        super().prepare()
        self.install_required_tools()
        scenario = plain(self.get_scenario().data)
        raw_load = self.get_raw_load()
        load = dict(zip(LOAD_KEYS, (raw_load.concurrency, raw_load.throughput, raw_load.ramp_up,
                                    raw_load.hold, raw_load.iterations, raw_load.steps)))
        script = self.get_script_path()
        if script:
            extras = script_scenario_extras(scenario)
            if extras:
                raise TaurusConfigError(
                    "scenario '%s' runs the vajra plan %s, so %s belong in that plan"
                    % (self.label, script, ", ".join(extras)))
            self.plan_file = script
            self.flags = load_flags(load_section(load, defaults=False))
        else:
            plan = plan_from_scenario(self.label, scenario, self.engine.find_file,
                                      self._headed_csv)
            plan["load"] = load_section(load)
            self.plan_file = self.engine.create_artifact("vajra-plan", ".yaml")
            with open(self.plan_file, "w", encoding="utf-8") as fds:
                yaml.safe_dump(plan, fds, sort_keys=False, allow_unicode=True)
        self.out_dir = self.engine.create_artifact("vajra", "")
        self.stdout = open(self.engine.create_artifact("vajra", ".out"), "w")
        self.stderr = open(self.engine.create_artifact("vajra", ".err"), "w")
        self.reader = JTLReader(os.path.join(self.out_dir, "results.jtl"), self.log)
        self.reader.csvreader = AssertionMessages(self.reader.csvreader)
        if isinstance(self.engine.aggregator, ConsolidatingAggregator):
            self.engine.aggregator.add_underling(self.reader)

    def _headed_csv(self, path, names, delimiter):
        """A copy of the header-less CSV ``path`` with ``names`` as its first row."""
        copy = self.engine.create_artifact(os.path.splitext(os.path.basename(path))[0], ".csv")
        with open(path, encoding="utf-8") as source, open(copy, "w", encoding="utf-8") as target:
            target.write(delimiter.join(names) + "\n")
            shutil.copyfileobj(source, target)
        return copy

    def startup(self):
        cmdline = [self.tool.tool_path, "run", self.plan_file, "--out", self.out_dir] + self.flags
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
        """Files a cloud test must upload with the config: the plan or the scenario's files."""
        scenario = plain(self.get_scenario().data)
        if scenario.get("script"):
            return [scenario["script"]]
        files = []
        for source in scenario.get("data-sources") or []:
            files.append(source if isinstance(source, str) else source.get("path"))
        for request in scenario.get("requests") or []:
            if isinstance(request, dict) and request.get("body-file"):
                files.append(request["body-file"])
        tls = scenario.get("tls")
        if isinstance(tls, dict):
            files += [tls.get(key) for key in TLS_FILES]
        return [path for path in files if path]
