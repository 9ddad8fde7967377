"""Unit tests of the effective execution the plugin hands to vajra (no bzt run, no engine):
which scenarios go with it, and which file paths are located and made absolute."""

import pytest
from bzt import TaurusConfigError

from bzt_vajra.vajra_executor import effective_config, scenario_files, scenarios_used

NO_LOAD = {key: None for key in ("concurrency", "throughput", "ramp-up", "hold-for",
                                 "iterations", "steps")}


def finder(existing):
    """Taurus's find_file over a set of known files (under /abs); a miss is given back as is."""
    return lambda path: "/abs/" + path if path in existing else path


@pytest.fixture
def found(monkeypatch):
    """os.path.exists for the paths finder() returns."""
    monkeypatch.setattr("os.path.exists", lambda path: path.startswith("/abs/"))


def test_the_scenario_goes_with_those_it_includes_at_any_depth_once_each():
    scenarios = {
        "main": {"requests": [
            {"include-scenario": "login"},
            {"transaction": "t", "do": [{"if": "true", "then": [{"include-scenario": "cart"}],
                                         "else": [{"include-scenario": "login"}]}]},
            {"once": [{"include-scenario": "setup"}]}]},
        "login": {"requests": [{"loop": 2, "do": [{"include-scenario": "token"}]}]},
        "token": {"requests": ["/t"]}, "cart": {"requests": ["/c"]},
        "setup": {"requests": [{"include-scenario": "main"}]},  # a cycle: vajra rejects it
        "unused": {"requests": ["/u"]}}
    assert scenarios_used(scenarios, "main") == ["main", "login", "setup", "cart", "token"]


def test_an_undefined_included_scenario_is_left_for_vajra_to_report():
    scenarios = {"main": {"requests": [{"include-scenario": "nowhere"}]}}
    assert scenarios_used(scenarios, "main") == ["main", "nowhere"]
    config = effective_config("main", scenarios, NO_LOAD, finder(set()))
    assert list(config["scenarios"]) == ["main"]


def test_the_execution_carries_the_given_load_keys_and_the_scenario(found):
    load = dict(NO_LOAD, throughput=2.5, **{"hold-for": "1m", "ramp-up": 30})
    config = effective_config("s", {"s": {"requests": ["/a"]}, "other": {}}, load, finder(set()))
    assert config == {"execution": [{"executor": "vajra", "scenario": "s", "throughput": 2.5,
                                     "ramp-up": 30, "hold-for": "1m"}],
                      "scenarios": {"s": {"requests": ["/a"]}}}


def test_every_file_is_located_and_made_absolute_in_the_scenarios_it_uses(found):
    scenarios = {
        "main": {"data-sources": ["users.csv", {"path": "skus.csv", "delimiter": ";"}],
                 "tls": {"ca-file": "ca.pem", "insecure": False},
                 "requests": [{"url": "/a", "body-file": "a.json"},
                              {"transaction": "t", "do": [{"url": "/b", "body-file": "b.json"}]},
                              {"url": "/c", "body-file": "${file}"},
                              {"include-scenario": "inc"}]},
        "inc": {"data-sources": [{"path": "inc.csv"}], "requests": ["/i"]}}
    files = {"users.csv", "skus.csv", "ca.pem", "a.json", "b.json", "inc.csv"}
    config = effective_config("main", scenarios, NO_LOAD, finder(files))
    main, inc = config["scenarios"]["main"], config["scenarios"]["inc"]
    assert main["data-sources"] == ["/abs/users.csv", {"path": "/abs/skus.csv", "delimiter": ";"}]
    assert main["tls"] == {"ca-file": "/abs/ca.pem", "insecure": False}
    assert main["requests"][0]["body-file"] == "/abs/a.json"
    assert main["requests"][1]["do"][0]["body-file"] == "/abs/b.json"
    assert main["requests"][2]["body-file"] == "${file}"  # a template: vajra renders it
    assert inc["data-sources"] == [{"path": "/abs/inc.csv"}]
    # The engine's config is not changed.
    assert scenarios["main"]["data-sources"][0] == "users.csv"
    assert scenario_files("main", scenarios) == [
        "users.csv", "skus.csv", "ca.pem", "a.json", "b.json", "inc.csv"]


@pytest.mark.parametrize("scenario, where", [
    ({"data-sources": ["gone.csv"], "requests": ["/a"]}, "scenario 's': data-sources[0]: gone.csv"),
    ({"data-sources": [{"path": "gone.csv"}], "requests": ["/a"]},
     "scenario 's': data-sources[0].path: gone.csv"),
    ({"requests": [{"url": "/up", "label": "up", "body-file": "gone.csv"}]},
     "scenario 's', request 'up': body-file: gone.csv"),
    ({"tls": {"client-key": "gone.csv"}, "requests": ["/a"]}, "scenario 's': tls.client-key: gone.csv"),
    ({"script": "gone.csv"}, "scenario 's': script: gone.csv"),
])
def test_a_file_taurus_cannot_find_is_a_config_error_naming_it(found, scenario, where):
    with pytest.raises(TaurusConfigError) as error:
        effective_config("s", {"s": scenario}, NO_LOAD, finder(set()))
    assert where + " is not found beside the config files" in str(error.value)
