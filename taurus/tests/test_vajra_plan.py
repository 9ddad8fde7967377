"""Unit tests of the Taurus → vajra translation (no bzt run, no engine)."""

import pytest
from bzt import TaurusConfigError

from bzt_vajra.vajra_plan import load_flags, load_section, plan_from_scenario

# What Taurus does when a scenario does not say: follow redirects (as many as JMeter, 20),
# keep connections alive, keep cookies.
TAURUS_DEFAULTS = {"follow-redirects": 20, "keepalive": True, "store-cookie": True}


def load(**given):
    raw = {key: None for key in ("concurrency", "throughput", "ramp-up", "hold-for", "iterations",
                                 "steps")}
    raw.update({key.replace("_", "-"): value for key, value in given.items()})
    return raw


def translate(scenario, name="s"):
    headed = []

    def headed_csv(path, names, delimiter):
        headed.append((path, names, delimiter))
        return "headed/" + path

    plan = plan_from_scenario(name, scenario, lambda path: "/abs/" + path, headed_csv)
    return plan, headed


def rejected(scenario, *fragments):
    with pytest.raises(TaurusConfigError) as error:
        translate(scenario)
    for fragment in fragments:
        assert fragment in str(error.value)
    return str(error.value)


def one(request, **scenario):
    return dict({"default-address": "http://h", "requests": [request]}, **scenario)


# --- load ---------------------------------------------------------------------------------

def test_no_load_given_is_one_user_one_iteration_as_in_taurus():
    assert load_section(load()) == {"concurrency": 1, "iterations": 1}
    assert load_section(load(), defaults=False) == {}


def test_concurrency_alone_is_the_closed_model_with_ramp_and_hold():
    assert load_section(load(concurrency=10, ramp_up="10s", hold_for="1m")) == {
        "concurrency": 10, "duration": "70000ms", "ramp-duration": "10000ms"}
    assert load_section(load(concurrency="4", iterations=5)) == {"concurrency": 4, "iterations": 5}


def test_throughput_keeps_fractions_and_picks_the_pattern():
    assert load_section(load(throughput=2.5, hold_for="90")) == {
        "pattern": "static", "tps": 2.5, "duration": "90000ms"}
    assert load_section(load(throughput="7.5", ramp_up="2s")) == {
        "pattern": "ramp", "tps": 7.5, "ramp-duration": "2000ms"}
    assert load_section(load(throughput=10, concurrency=3, ramp_up="1s", hold_for="2s")) == {
        "pattern": "ramp-sustain", "tps": 10.0, "ramp-duration": "1000ms", "duration": "3000ms",
        "concurrency": 3}


def test_steps_follow_taurus_stepped_ramp_then_hold():
    section = load_section(load(throughput=30, ramp_up="3s", hold_for="2s", steps=3))
    assert section == {"pattern": "step", "steps": [
        {"tps": 10.0, "duration": "1000ms"}, {"tps": 20.0, "duration": "1000ms"},
        {"tps": 30.0, "duration": "1000ms"}, {"tps": 30.0, "duration": "2000ms"}]}
    assert load_flags(section) == ["--pattern", "step", "--steps",
                                   "10.0:1000ms,20.0:1000ms,30.0:1000ms,30.0:2000ms"]


@pytest.mark.parametrize("given, fragment", [
    (dict(throughput=5), "add hold-for"),
    (dict(throughput=5, hold_for="1s", iterations=3), "remove iterations"),
    (dict(concurrency=5, ramp_up="3s", steps=3), "not in steps"),
    (dict(throughput=5, hold_for="3s", steps=3), "need a ramp-up"),
    (dict(concurrency="many"), "concurrency: 'many'"),
    (dict(throughput=5, hold_for="soon"), "hold-for: 'soon'"),
    (dict(throughput=5, hold_for="inf"), "hold-for: 'inf'"),
])
def test_load_that_vajra_cannot_run_is_rejected_with_the_key(given, fragment):
    with pytest.raises(TaurusConfigError) as error:
        load_section(load(**given))
    assert fragment in str(error.value)


def test_flags_only_carry_what_the_execution_sets():
    assert load_flags(load_section(load(throughput=2.5, hold_for="3s"), defaults=False)) == [
        "--pattern", "static", "--tps", "2.5", "--duration", "3000ms"]
    assert load_flags(load_section(load(hold_for="3s"), defaults=False)) == ["--duration", "3000ms"]


# --- scenario -----------------------------------------------------------------------------

def test_requests_headers_and_defaults_map_one_to_one():
    plan, _ = translate({
        "default-address": "http://h:8080/api",
        "headers": {"X-On": True, "X-Num": 7},
        "timeout": "2s",
        "requests": ["http://other/abs",
                     {"url": "/x", "label": "ex", "method": "delete", "timeout": "500ms",
                      "headers": {"X-On": "override"}}]})
    assert plan == {
        "name": "s", "base-url": "http://h:8080/api",
        "defaults": dict({"headers": {"X-On": "True", "X-Num": "7"}, "timeout": "2000ms"},
                         **TAURUS_DEFAULTS),
        "requests": [
            {"label": "http://other/abs", "method": "GET", "url": "http://other/abs"},
            {"label": "ex", "method": "DELETE", "url": "/x", "headers": {"X-On": "override"},
             "timeout": "500ms"}]}


def test_think_time_before_a_request_becomes_the_pause_after_the_one_before():
    plan, _ = translate({"default-address": "http://h", "think-time": "1s", "requests": [
        {"url": "/a"}, {"url": "/b", "think-time": "200ms"}, {"url": "/c"}]})
    pauses = [request.get("think-time") for request in plan["requests"]]
    # /b waits 200 ms before it, /a and /c wait 1 s: vajra pauses after /a 200 ms, after /b and
    # after /c (before the next iteration's /a) 1 s.
    assert pauses == ["200ms", "1000ms", "1000ms"]


def test_bodies_are_sent_as_taurus_would_send_them():
    plan, _ = translate({"default-address": "http://h", "requests": [
        {"url": "/json", "method": "POST", "headers": {"Content-Type": "application/json"},
         "body": {"a": [1, 2]}},
        {"url": "/form", "method": "POST", "body": {"q": "a b", "v": "${v}"}},
        {"url": "/get", "body": {"q": "1"}},
        {"url": "/file", "method": "PUT", "body-file": "data/p.bin"},
        {"url": "/nested", "method": "POST", "body": {"a": {"b": 1}}}]})
    json_req, form, get, upload, nested = plan["requests"]
    assert json_req["body"] == '{"a": [1, 2]}'
    assert form["body"] == "q=a+b&v=${v}"
    assert form["headers"] == {"Content-Type": "application/x-www-form-urlencoded"}
    assert get["url"] == "/get?q=1" and "body" not in get
    assert upload["body-file"] == "/abs/data/p.bin"
    assert nested["body"] == '{"a": {"b": 1}}'


def test_simple_assertions_map_to_status_and_body_contains():
    plan, _ = translate(one({"url": "/a", "assert": [
        "plain text", {"contains": ["a.b(c"], "regexp": False},
        {"contains": 201, "subject": "http-code"}]}))
    assert plan["requests"][0]["assert"] == {"status": [201],
                                             "body-contains": ["plain text", "a.b(c"]}
    plan, _ = translate(one({"url": "/a", "assert": [
        {"contains": ["404"], "subject": "http-code", "assume-success": True}]}))
    assert plan["requests"][0]["assert"] == {"status": [404]}


@pytest.mark.parametrize("assertion, fragment", [
    ({"contains": ["a.*b"]}, "is a regular expression"),
    ({"contains": ["x"], "not": True}, "negated assertions"),
    ({"contains": ["x"], "subject": "headers"}, "assertions on `headers`"),
    ({"contains": ["404"], "subject": "http-code"}, "assume-success: true"),
    ({"contains": ["2.."], "subject": "http-code", "regexp": False}, "not a status code"),
    ({"contains": ["x"], "assume-success": True}, "assume-success: true` on a body"),
])
def test_assertions_vajra_cannot_check_are_rejected(assertion, fragment):
    rejected(one({"url": "/a", "label": "la", "assert": [assertion]}),
             "request 'la': assert[0]", fragment)


def test_two_different_expected_codes_can_never_pass():
    rejected(one({"url": "/a", "assert": [{"contains": [200], "subject": "http-code"},
                                          {"contains": [201], "subject": "http-code"}]}),
             "[200, 201] all at once")


def test_data_sources_map_and_header_less_files_get_a_header():
    plan, headed = translate(one({"url": "/a"}, **{"data-sources": [
        "users.csv",
        {"path": "skus.tsv", "delimiter": "tab", "variable-names": "sku, colour", "loop": False}]}))
    assert plan["data"] == [
        {"file": "/abs/users.csv", "on-eof": "recycle"},
        {"file": "headed//abs/skus.tsv", "on-eof": "stop", "delimiter": "\t"}]
    assert headed == [("/abs/skus.tsv", ["sku", "colour"], "\t")]


@pytest.mark.parametrize("source, fragment", [
    ({"path": "a.csv", "random-order": True}, "random-order"),
    ({"path": "a.csv", "encoding": "latin-1"}, "encoding latin-1"),
    ({"path": "a.csv", "delimiter": "::"}, "one character"),
    ({"path": "a.csv", "shared": True}, "shared not supported"),
    ({"delimiter": ","}, "needs a path"),
])
def test_data_sources_vajra_cannot_read_are_rejected(source, fragment):
    rejected(one({"url": "/a"}, **{"data-sources": [source]}), "data-sources[0]", fragment)


@pytest.mark.parametrize("block", ["transaction", "if", "loop", "while", "foreach", "once",
                                   "include-scenario", "action", "set-variables"])
def test_control_blocks_are_rejected_by_name(block):
    rejected({"default-address": "http://h", "requests": [{"url": "/a"}, {block: "x", "do": []}]},
             "scenario 's': requests[1] is a `%s` block (x)" % block)


@pytest.mark.parametrize("request_, fragment", [
    ({"url": "/a", "jsr223": "vars.put('a', 'b')"}, "`jsr223` is not supported"),
    ({"url": "/a", "extract-regexp": {"v": "x(.)"}}, "`extract-regexp` is not supported"),
    ({"url": "/a", "follow-redirects": "sometimes"}, "follow-redirects: expected true or false"),
    ({"url": "/a", "keepalive": 0}, "keepalive: expected true or false, found 0"),
    ({"url": "/a", "store-cookie": True}, "`store-cookie` is not supported"),
    ({"url": "/a", "think-time": "uniform(1s, 200ms)"}, "random think times"),
    ({"url": "a/b", "label": "rel"}, None),
])
def test_request_settings_vajra_cannot_honour_are_rejected(request_, fragment):
    if fragment is None:  # a relative URL with no default-address
        rejected({"requests": [request_]}, "request 'rel'", "no default-address")
    else:
        rejected(one(request_), fragment)


@pytest.mark.parametrize("extra, fragment", [
    ({"retrieve-resources": True}, "does not fetch embedded resources"),
    ({"store-cookie": "yes"}, "store-cookie: expected true or false, found 'yes'"),
    ({"http-version": 3}, "http-version: expected 1.1, 2 or auto, found 3"),
    ({"tls": {"verify": False}}, "tls: verify not supported"),
    ({"tls": "insecure"}, "tls: expected a mapping"),
    ({"tls": {"insecure": "maybe"}}, "tls.insecure: expected true or false"),
    ({"variables": {"a": 1}}, "variables are not supported"),
    ({"properties": {"a": 1}}, "`properties` is not supported"),
    ({"requests": []}, "has no requests"),
])
def test_scenario_settings_vajra_cannot_honour_are_rejected(extra, fragment):
    rejected(dict(one({"url": "/a"}), **extra), "scenario 's'", fragment)


def test_without_switches_the_plan_does_what_taurus_does():
    plan, _ = translate(one({"url": "/a"}))
    assert plan["defaults"] == TAURUS_DEFAULTS
    assert plan["requests"] == [{"label": "/a", "method": "GET", "url": "/a"}]
    assert "tls" not in plan and "http-version" not in plan


def test_scenario_switches_become_the_plan_defaults():
    plan, _ = translate(one({"url": "/a"}, **{"follow-redirects": False, "keepalive": False,
                                             "store-cookie": False, "retrieve-resources": False}))
    assert plan["defaults"] == {"follow-redirects": False, "keepalive": False,
                                "store-cookie": False}
    plan, _ = translate(one({"url": "/a"}, **{"follow-redirects": "True", "store-cookie": "false"}))
    assert plan["defaults"] == {"follow-redirects": 20, "keepalive": True, "store-cookie": False}


def test_request_switches_stay_on_the_request_and_win_over_the_scenario():
    plan, _ = translate({"default-address": "http://h", "follow-redirects": False,
                         "keepalive": True, "requests": [
                             {"url": "/login", "follow-redirects": True, "keepalive": False},
                             {"url": "/plain"},
                             {"url": "/off", "follow-redirects": False}]})
    assert plan["defaults"]["follow-redirects"] is False
    login, plain, off = plan["requests"]
    assert (login["follow-redirects"], login["keepalive"]) == (20, False)
    assert "follow-redirects" not in plain and "keepalive" not in plain
    assert off["follow-redirects"] is False and "keepalive" not in off


def test_https_targets_pass_through_with_vajra_tls_settings():
    plan, _ = translate({"default-address": "https://api.example.com:8443/v1",
                         "http-version": 2,
                         "tls": {"ca-file": "certs/ca.pem", "client-cert": "me.pem",
                                 "client-key": "me.key", "server-name": "api.example.com",
                                 "min-version": 1.3, "insecure": False},
                         "requests": ["/users", "https://other.example.com/x"]})
    assert plan["base-url"] == "https://api.example.com:8443/v1"
    assert plan["http-version"] == "2"
    assert plan["tls"] == {"ca-file": "/abs/certs/ca.pem", "insecure": False,
                           "client-cert": "/abs/me.pem", "client-key": "/abs/me.key",
                           "server-name": "api.example.com", "min-version": "1.3"}
    assert [r["url"] for r in plan["requests"]] == ["/users", "https://other.example.com/x"]


def test_a_tls_file_taurus_cannot_find_is_named():
    with pytest.raises(TaurusConfigError) as error:
        plan_from_scenario("s", {"default-address": "https://h", "requests": ["/a"],
                                 "tls": {"ca-file": "missing.pem"}},
                           lambda path: path, None)  # bzt's find_file returns a miss as given
    assert "scenario 's': tls: ca-file: missing.pem is not found" in str(error.value)
