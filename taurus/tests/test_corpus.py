"""The Taurus corpus script (bench/taurus-corpus/corpus.py): its survey logic, the plugin's own
small corpus (always), and Taurus's examples and test resources when a checkout is at hand.

Taurus's checkout is ``$TAURUS_CHECKOUT``, else the machine's mirror of it; without either the
test of the real corpus is skipped, saying so.
"""

import importlib.util
import json
import os
import re
from pathlib import Path

import pytest
import yaml

from conftest import REPO, TAURUS_DIR

SCRIPT = REPO / "bench" / "taurus-corpus" / "corpus.py"
OWN_CORPUS = TAURUS_DIR / "tests" / "corpus"
MIRRORED_CHECKOUT = Path("/work/.mirror/Blazemeter+taurus/repo")
# The share of Taurus's non-browser requests scenarios that must load. Issue 11 aims at 90 %;
# this floor is what loads today (57 of 66, docs/taurus-corpus.md lists the rest and why), so a
# regression fails; raise it as the mapping grows.
LOAD_FLOOR = 57 / 66

_spec = importlib.util.spec_from_file_location("taurus_corpus", SCRIPT)
corpus = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(corpus)


def taurus_checkout():
    given = os.environ.get("TAURUS_CHECKOUT")
    if given:
        return Path(given)
    return MIRRORED_CHECKOUT if MIRRORED_CHECKOUT.exists() else None


def run_script(tmp_path, checkout, vajra_bin):
    results = tmp_path / "corpus.json"
    markdown = tmp_path / "corpus.md"
    code = corpus.main([str(checkout), "--vajra", str(vajra_bin), "--json", str(results),
                        "--markdown", str(markdown)])
    assert code == 0
    return json.loads(results.read_text()), markdown.read_text()


def require_validate(vajra_bin):
    if not corpus.has_validate(str(vajra_bin)):
        pytest.skip("%s has no `vajra validate` command yet" % vajra_bin)


# ---------------------------------------------------------------- survey logic


def test_documents_merge_as_taurus_merges_them():
    merged = corpus.merge({"execution": [{"scenario": "a"}], "scenarios": {"a": {"x": 1}}},
                          {"execution": [{"scenario": "b"}], "scenarios": {"b": {"y": 2}}})
    assert merged == {"execution": [{"scenario": "a"}, {"scenario": "b"}],
                      "scenarios": {"a": {"x": 1}, "b": {"y": 2}}}


def test_scenarios_are_found_named_and_inline_with_the_executions_that_run_them():
    config = {"execution": [{"scenario": "api", "concurrency": 2},
                            {"scenario": {"requests": ["http://a/"]}},
                            {"executor": "selenium", "scenario": "ui"}],
              "scenarios": {"api": {"requests": ["/x"]}, "ui": {"requests": ["/y"]},
                            "jmx": {"script": "t.jmx"}}}
    found = {name: [index for index, _ in runs]
             for name, _, runs in corpus.requests_scenarios(config)}
    assert found == {"execution[1]": [1], "api": [0], "ui": [2]}


@pytest.mark.parametrize("config, scenario, expected", [
    ({"execution": [{"executor": "selenium", "scenario": "s"}]}, {"requests": ["/a"]},
     "run by selenium"),
    ({"execution": [{"executor": "apiritif", "scenario": "s"},
                    {"executor": "playwright", "scenario": "s"}]}, {"requests": ["/a"]},
     "run by apiritif, playwright"),
    ({"execution": [{"executor": "selenium", "scenario": "s"}, {"scenario": "s"}]},
     {"requests": ["/a"]}, None),
    ({"settings": {"default-executor": "selenium"}, "execution": [{"scenario": "s"}]},
     {"requests": ["/a"]}, "run by selenium"),
    ({}, {"requests": ["/a"], "script": "a.jmx"}, "script scenario"),
    ({}, {"requests": [{"transaction": "t", "do": [{"url": "/", "actions": ["click()"]}]}]},
     "browser actions"),
    ({}, {"requests": []}, "no requests (empty converter output)"),
    ({"scenarios": {"main": {"requests": [{"once": [{"include-scenario": "s"}]}]}}},
     {"requests": ["/a"]}, "only included by another scenario (counted there)"),
    ({"execution": [{"scenario": "s"}],
      "scenarios": {"main": {"requests": [{"include-scenario": "s"}]}}},
     {"requests": ["/a"]}, None),
    ({}, {"requests": ["/a"]}, None),
])
def test_browser_script_empty_and_included_scenarios_are_out_of_scope(config, scenario,
                                                                      expected):
    config.setdefault("scenarios", {})["s"] = scenario
    _, _, runs = next(s for s in corpus.requests_scenarios(config) if s[0] == "s")
    assert corpus.out_of_scope(config, "s", scenario, runs) == expected


def test_the_isolated_copy_has_one_execution_run_by_vajra_the_scenarios_and_settings():
    config = {"execution": [{"executor": "jmeter", "scenario": "a", "concurrency": 3},
                            {"executor": "gatling", "scenario": "b"}],
              "scenarios": {"a": {"requests": ["/a"]}, "b": {"requests": ["/b"]}},
              "settings": {"env": {"host": "h"}},
              "services": [{"module": "shellexec"}], "reporting": [{"module": "passfail"}]}
    named = {name: (scenario, runs) for name, scenario, runs in corpus.requests_scenarios(config)}
    isolated = corpus.isolated_config(config, "b", *named["b"])
    assert isolated == {"scenarios": config["scenarios"], "settings": config["settings"],
                        "execution": [{"executor": "vajra", "scenario": "b"}]}
    unused = corpus.isolated_config({"scenarios": {"c": {"requests": ["/c"]}}}, "c",
                                    {"requests": ["/c"]}, [])
    assert unused["execution"] == [{"scenario": "c", "executor": "vajra"}]


def test_features_name_keys_blocks_options_and_functions():
    scenario = yaml.safe_load("""
        variables: {a: 1}
        requests:
        - https://example.com/${__UUID()}
        - transaction: t
          include-timers: true
          do:
          - url: /x
            think-time: uniform(1s, 100ms)
            body: {a: 1}
            assert: [{contains: [x], not: true, subject: headers}]
            extract-jsonpath: {v: {jsonpath: $.v, default: NONE}}
        - loop: forever
          do: [{include-scenario: other}]
        """)
    assert corpus.features(scenario, {"throughput": 5, "hold-for": "1m"}) == [
        "assert:not", "assert:subject=headers", "block:include-scenario", "block:loop",
        "block:loop-forever", "block:transaction", "block:transaction.include-timers",
        "body:mapping", "extract-jsonpath:default", "function:__UUID", "load:hold-for",
        "load:throughput", "request:assert", "request:body", "request:extract-jsonpath",
        "request:think-time", "request:url-only", "scenario:variables", "think-time:uniform",
        "url:https"]


def test_the_local_copy_sends_every_absolute_url_to_the_target_and_bounds_the_load():
    config = yaml.safe_load((OWN_CORPUS / "login-flow.yml").read_text())
    [(name, scenario, runs)] = corpus.requests_scenarios(config)
    isolated = corpus.isolated_config(config, name, scenario, runs)
    local = corpus.local_run_config(isolated, "http://127.0.0.1:9")
    texts = list(corpus._strings(local))
    hosts = {m for text in texts for m in re.findall(r"(?i)[a-z]+://([^/\s\"'?#]+)", text)}
    assert hosts == {"127.0.0.1:9"}
    assert local["execution"] == [dict({"executor": "vajra", "scenario": "shop"},
                                       **corpus.RUN_LOAD)]
    shop = local["scenarios"]["shop"]
    assert shop["think-time"] == corpus.RUN_PAUSE
    assert shop["requests"][1]["think-time"] == corpus.RUN_PAUSE
    assert shop["requests"][2]["url"] == "http://127.0.0.1:9/items/${first_id}?greeting=${greeting}"
    # The original is untouched.
    assert isolated["scenarios"]["shop"]["default-address"] == "https://shop.example.com"


def test_a_bare_git_directory_is_read_without_a_work_tree(tmp_path):
    import subprocess
    work = tmp_path / "work"
    (work / "examples").mkdir(parents=True)
    (work / "examples" / "a.yml").write_text("scenarios: {s: {requests: [/x]}}\n")
    (work / "other.yml").write_text("scenarios: {t: {requests: [/y]}}\n")
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run(git + ["init", "-q", str(work)], check=True)
    subprocess.run(git + ["-C", str(work), "add", "."], check=True)
    subprocess.run(git + ["-C", str(work), "commit", "-qm", "c"], check=True)
    bare = tmp_path / "bare.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(work), str(bare)], check=True)
    dest = tmp_path / "copy"
    dest.mkdir()
    assert corpus.materialise(bare, dest) == 0
    entries, _, _ = corpus.survey(dest)
    assert [(e["file"], e["scenario"]) for e in entries] == [("examples/a.yml", "s")]


# ---------------------------------------------------------------- corpora through vajra


def test_the_plugins_own_corpus_loads_and_runs_cleanly(tmp_path, vajra_bin):
    """Small configs covering what the Taurus corpus uses: each loads, runs against the local
    target, and every assertion in them holds there (no failed samples)."""
    require_validate(vajra_bin)
    results, _ = run_script(tmp_path, OWN_CORPUS, vajra_bin)
    assert results["scenarios"] == 3  # blocks.yml's login is counted within blocks
    verdicts = {(e["file"], e["scenario"]): e["verdict"] for e in results["entries"]}
    for key, text in verdicts.items():
        assert text.startswith("runs (") and text.endswith(", 0 failed)"), (key, text)


def test_taurus_examples_and_test_resources_load(tmp_path, vajra_bin):
    checkout = taurus_checkout()
    if checkout is None:
        pytest.skip("no Taurus checkout: set TAURUS_CHECKOUT to a Taurus work tree or git dir")
    require_validate(vajra_bin)
    results, markdown = run_script(tmp_path, checkout, vajra_bin)
    assert results["scenarios"] >= 60, results["scenarios"]
    share = results["loads"] / results["scenarios"]
    rejected = [e["verdict"] for e in results["entries"] if e["verdict"].startswith("rejected")]
    assert share >= LOAD_FLOOR, "%.0f %% load; rejected:\n%s" % (100 * share,
                                                                 "\n".join(rejected))
    assert "| file | scenario | features | verdict |" in markdown
