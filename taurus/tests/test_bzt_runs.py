"""The plugin under the real bzt, against a loopback target: results, lifecycle, fidelity.

Each run is a few seconds. Numbers that Taurus reports (its final-stats dump, read from
vajra's JTL by Taurus's own JTLReader and aggregator) are checked against vajra's own
``summary.json`` and against what the target saw.
"""

import collections
import csv
import json
import os
import shutil
import signal
import subprocess
import time

import yaml

from conftest import REPO, TAURUS_DIR

PERCENTILES = {"perc_50.0": "median", "perc_90.0": "p90", "perc_95.0": "p95", "perc_99.0": "p99"}


def assert_taurus_agrees_with_vajra(run):
    """Samples and failures exactly, per label and in total; percentiles within one JTL
    millisecond (JTL times are whole ms) plus HDR precision (3 significant digits)."""
    stats = run.final_stats()
    summary = run.vajra_summary()
    entries = [("", summary["total"])] + [(label["label"], label) for label in summary["labels"]]
    assert set(stats) == {label for label, _ in entries}, (stats.keys(), entries)
    for label, mine in entries:
        theirs = stats[label]
        assert int(theirs["succ"]) + int(theirs["fail"]) == mine["samples"], label
        assert int(theirs["fail"]) == mine["errors"], label
        for column, key in PERCENTILES.items():
            taurus_ms = float(theirs[column]) * 1000
            vajra_ms = mine["response_time_ms"][key]
            assert abs(taurus_ms - vajra_ms) <= 1 + vajra_ms * 0.002, (label, column, taurus_ms, vajra_ms)


def scenario(target, **extra):
    return dict({"default-address": target.url,
                 "requests": [{"url": "/ok", "label": "ok"}, {"url": "/flaky", "label": "flaky"}]},
                **extra)


def test_throughput_run_keeps_fractional_rate_and_taurus_agrees_with_vajra(bzt, target):
    run = bzt({"execution": [{"executor": "vajra", "throughput": 12.5, "concurrency": 5,
                              "hold-for": "2s", "scenario": "api"}],
               "scenarios": {"api": scenario(target)}})
    assert run.returncode == 0, run.output
    # The execution goes to vajra as given: 12.5/s for 2 s is 25 arrivals of two requests
    # (Taurus's get_load() would have truncated the rate to 12/s).
    assert run.effective_config() == {
        "execution": [{"executor": "vajra", "scenario": "api", "concurrency": 5,
                       "throughput": 12.5, "hold-for": "2s"}],
        "scenarios": {"api": scenario(target)}}
    assert run.vajra_summary()["total"]["samples"] == 50
    assert len(target.requests()) == 50
    assert run.vajra_summary()["total"]["errors"] == 5  # every 5th /flaky
    assert_taurus_agrees_with_vajra(run)


def test_concurrency_run_is_a_closed_model_of_looping_users(bzt, target):
    run = bzt({"execution": [{"executor": "vajra", "concurrency": 3, "iterations": 4,
                              "scenario": "api"}],
               "scenarios": {"api": scenario(target)}})
    assert run.returncode == 0, run.output
    assert run.vajra_summary()["pattern"].startswith("closed model, 3 users")
    assert run.vajra_summary()["total"]["samples"] == 3 * 4 * 2
    rows = run.jtl_rows()
    assert len({row["threadName"] for row in rows}) == 3
    assert max(int(row["allThreads"]) for row in rows) <= 3
    assert int(run.final_stats()[""]["concurrency"]) <= 3
    assert_taurus_agrees_with_vajra(run)


def test_passfail_criteria_met_exits_3(bzt, target):
    run = bzt({"execution": [{"executor": "vajra", "concurrency": 2, "hold-for": "20s",
                              "scenario": "broken"}],
               "scenarios": {"broken": {"default-address": target.url,
                                        "requests": [{"url": "/fail", "think-time": "50ms"}]}}},
              reporting=[{"module": "passfail",
                          "criteria": ["fail>50% for 1s, stop as failed"]}])
    assert run.returncode == 3, run.output
    assert "Pass/Fail criterion triggered shutdown: Failed: fail>50% for 1 sec" in run.output
    # Stopped early, and the rows written until then were all aggregated.
    stats = run.final_stats()[""]
    assert 0 < int(stats["fail"]) == run.vajra_summary()["total"]["errors"]
    assert run.vajra_summary()["duration_s"] < 15


def test_a_scenario_vajra_rejects_is_a_config_error_at_prepare_with_vajras_message(bzt, target):
    run = bzt({"execution": [{"executor": "vajra", "concurrency": 1, "iterations": 1,
                              "scenario": "bad"}],
               "scenarios": {"bad": {"default-address": target.url,
                                     "requests": [{"url": "/users", "upload-files": [
                                         {"param": "file", "path": "report.txt"}]}]}}})
    assert run.returncode == 1, run.output
    assert "Config Error: vajra cannot run scenario 'bad'" in run.output
    assert "upload-files" in run.output and "vajra-taurus.yml" in run.output
    assert not (run.artifacts / "vajra").exists(), "rejected before anything ran"
    assert not target.requests()


def test_an_engine_that_fails_while_running_is_a_tool_error_showing_its_stderr(
        bzt, target, tmp_path, vajra_bin):
    # The real vajra checks the config; its run then fails the way a crash would.
    wrapper = tmp_path / "failing-vajra"
    wrapper.write_text('#!/bin/sh\nif [ "$1" = run ]; then echo "engine fell over" >&2; exit 7; fi\n'
                       'exec %s "$@"\n' % vajra_bin)
    wrapper.chmod(0o755)
    run = bzt({"execution": [{"executor": "vajra", "concurrency": 1, "iterations": 1,
                              "scenario": "api"}],
               "scenarios": {"api": scenario(target)},
               "modules": {"vajra": {"path": str(wrapper)}}})
    assert run.returncode == 1, run.output
    assert "vajra exited with code 7" in run.output
    assert "vajra STDERR" in run.output and "engine fell over" in run.output


def test_missing_tool_is_a_clear_error(bzt, target, tmp_path):
    config = {"execution": [{"executor": "vajra", "scenario": "api"}],
              "scenarios": {"api": scenario(target)}}
    run = bzt(config, path_dirs=())
    assert run.returncode == 1, run.output
    assert "vajra isn't found or doesn't run" in run.output
    assert "set modules.vajra.path" in run.output
    config["modules"] = {"vajra": {"path": str(tmp_path / "nowhere" / "vajra")}}
    run = bzt(config)
    assert run.returncode == 1, run.output
    assert str(tmp_path / "nowhere" / "vajra") in run.output
    assert not target.requests()


def test_explicit_path_is_used(bzt, target, vajra_bin):
    run = bzt({"execution": [{"executor": "vajra", "scenario": "api"}],
               "scenarios": {"api": scenario(target)},
               "modules": {"vajra": {"path": str(vajra_bin)}}}, path_dirs=())
    assert run.returncode == 0, run.output
    assert "Found %s: vajra " % vajra_bin in run.output
    # Taurus's defaults with no load given: one user, one iteration.
    assert len(target.requests()) == 2


def test_sigterm_to_bzt_stops_gracefully_with_every_row_aggregated(bzt, target):
    run, proc = bzt({"execution": [{"executor": "vajra", "throughput": 40, "hold-for": "60s",
                                    "scenario": "api"}],
                     "scenarios": {"api": scenario(target)}}, wait=False)
    jtl = run.artifacts / "vajra" / "results.jtl"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and len(target.requests()) < 60:
        time.sleep(0.1)
    assert len(target.requests()) >= 60, "the run did not get going"
    proc.send_signal(signal.SIGTERM)
    try:
        run.output, _ = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 2, run.output  # Taurus's code for a manual shutdown
    summary = run.vajra_summary()
    assert summary["duration_s"] < 30
    rows = len(jtl.read_text().splitlines()) - 1
    assert summary["total"]["samples"] == rows == len(target.requests())
    stats = run.final_stats()[""]
    assert int(stats["succ"]) + int(stats["fail"]) == rows
    assert "Terminating process" not in (run.artifacts / "bzt.log").read_text(), \
        "vajra should stop on $GRACEFUL, before Taurus resorts to SIGTERM"


def test_scenario_maps_request_by_request(bzt, target, tmp_path):
    (tmp_path / "users.csv").write_text("user,token\nann,t1\nbob,t2\n")
    (tmp_path / "skus.csv").write_text("sku;colour\ns-1;red\ns-2;blue\ns-3;green\n")
    (tmp_path / "payload.json").write_text('{"order": "${sku}"}')
    config = {
        "execution": [{"executor": "vajra", "concurrency": 1, "iterations": 3, "scenario": "shop"}],
        "scenarios": {"shop": {
            "default-address": target.url + "/api",
            "headers": {"X-Common": True, "X-Team": "core"},
            "timeout": "5s",
            "data-sources": ["users.csv",
                             {"path": "skus.csv", "delimiter": ";"}],
            "requests": [
                {"url": "/users/${user}", "label": "user",
                 "headers": {"Authorization": "Bearer ${token}", "X-Team": "web"},
                 "assert": [{"contains": ["hello ok"], "regexp": False},
                            {"contains": [200], "subject": "http-code"}]},
                {"url": "/orders", "method": "post", "label": "order",
                 "headers": {"Content-Type": "application/json"}, "body-file": "payload.json"},
                {"url": "/form", "method": "POST", "label": "form", "body": {"colour": "${colour}"}},
                {"url": "/text", "method": "PUT", "label": "text", "body": "raw ${user}",
                 "assert": ["nope"]},
            ]}}}
    run = bzt(config)
    assert run.returncode == 0, run.output
    users = ["ann", "bob", "ann"]
    tokens = ["t1", "t2", "t1"]
    skus = ["s-1", "s-2", "s-3"]
    colours = ["red", "blue", "green"]
    seen = target.requests()
    assert [(r["method"], r["path"]) for r in seen] == [
        step for i in range(3) for step in [
            ("GET", "/api/users/" + users[i]), ("POST", "/api/orders"), ("POST", "/api/form"),
            ("PUT", "/api/text")]]
    for i in range(3):
        user, order, form, text = seen[4 * i:4 * i + 4]
        for request in (user, order, form, text):
            assert request["headers"]["x-common"] == "True"
        assert user["headers"]["x-team"] == "web"
        assert order["headers"]["x-team"] == "core"
        assert user["headers"]["authorization"] == "Bearer " + tokens[i]
        assert json.loads(order["body"]) == {"order": skus[i]}
        assert order["headers"]["content-type"] == "application/json"
        assert form["body"] == "colour=" + colours[i]
        assert form["headers"]["content-type"] == "application/x-www-form-urlencoded"
        assert text["body"] == "raw " + users[i]
    stats = run.final_stats()
    assert int(stats["user"]["fail"]) == 0
    assert int(stats["text"]["fail"]) == 3
    # The assertion's own text reaches Taurus's error table, not the HTTP "OK".
    assert "Test failed: text expected to contain /nope/" in run.output
    assert_taurus_agrees_with_vajra(run)


def test_what_vajra_cannot_do_is_rejected_by_name_in_an_included_scenario_too(bzt, target):
    run = bzt({"execution": [{"executor": "vajra", "scenario": "main"}],
               "scenarios": {"main": {"default-address": target.url, "requests": [
                   {"url": "/ok"}, {"include-scenario": "xml"}]},
                   "xml": {"requests": [{"url": "/ok", "upload-files": [
                       {"param": "f", "path": "a.txt"}]}]}}})
    assert run.returncode == 1, run.output
    assert "vajra cannot run scenario 'main'" in run.output
    assert "upload-files" in run.output and "multipart" in run.output
    assert not target.requests()


def test_a_vajra_plan_runs_as_it_is_with_taurus_load_on_top(bzt, target, tmp_path):
    plan = tmp_path / "plan.yaml"
    plan.write_text("base-url: %s\nrequests:\n  - label: direct\n    url: /ok\n"
                    "load: { tps: 100, duration: 30s }\n" % target.url)
    run = bzt({"execution": [{"executor": "vajra", "throughput": 10, "hold-for": "2s",
                              "scenario": {"script": str(plan)}}]})
    assert run.returncode == 0, run.output
    assert run.vajra_summary()["total"]["samples"] == 20
    assert set(run.final_stats()) == {"", "direct"}
    assert_taurus_agrees_with_vajra(run)


def test_a_plan_whose_thresholds_fail_makes_bzt_exit_3(bzt, target, tmp_path):
    plan = tmp_path / "plan.yaml"
    plan.write_text("base-url: %s\nrequests:\n  - label: failing\n    url: /fail\n"
                    "thresholds:\n  - \"errors>50%%\"\n" % target.url)
    run = bzt({"execution": [{"executor": "vajra", "throughput": 10, "hold-for": "1s",
                              "scenario": {"script": str(plan)}}]})
    assert run.returncode == 3, run.output
    assert "the plan's thresholds failed" in (run.artifacts / "bzt.log").read_text()
    # Every row still reached Taurus before the failure was reported.
    assert int(run.final_stats()[""]["fail"]) == run.vajra_summary()["total"]["errors"] == 10


def test_flat_directory_beside_taurus_yml_without_pip_install(bzt, target, tmp_path, vajra_bin):
    flat = tmp_path / "engine"
    flat.mkdir()
    shutil.copy(TAURUS_DIR / "bzt_vajra" / "vajra_executor.py", flat / "vajra_executor.py")
    os.symlink(vajra_bin, flat / "vajra")
    run = bzt({"execution": [{"executor": "vajra", "concurrency": 2, "iterations": 2,
                              "scenario": "api"}],
               "scenarios": {"api": scenario(target)},
               "modules": {"vajra": {"class": "vajra_executor.VajraExecutor"}}},
              path_dirs=(), cwd=flat)
    assert run.returncode == 0, run.output
    assert "Found %s: vajra " % (flat / "vajra") in run.output
    log = (run.artifacts / "bzt.log").read_text()
    assert "Importing module: vajra_executor" in log
    assert run.vajra_summary()["total"]["samples"] == 8
    assert_taurus_agrees_with_vajra(run)


def test_a_script_scenario_rejects_scenario_settings(bzt, target, tmp_path):
    plan = tmp_path / "plan.yaml"
    plan.write_text("base-url: %s\nrequests:\n  - url: /ok\n" % target.url)
    run = bzt({"execution": [{"executor": "vajra", "hold-for": "1s", "throughput": 1,
                              "scenario": {"script": str(plan), "headers": {"A": "b"}}}]})
    assert run.returncode == 1, run.output
    assert "`headers` beside `script`" in run.output


# --- https, redirects, cookies, keep-alive ------------------------------------------------
# These need vajra's TLS, redirect and cookie support in the runner: they fail on an engine
# without it (an https plan fails at its first request, a redirect is not followed).

def test_an_https_scenario_runs_through_bzt_with_the_test_ca(bzt, https_target, test_ca,
                                                             tmp_path):
    shutil.copy(test_ca.ca_file, tmp_path / "test-ca.pem")
    run = bzt({"execution": [{"executor": "vajra", "concurrency": 2, "iterations": 3,
                              "scenario": "secure"}],
               "scenarios": {"secure": {
                   "default-address": https_target.url,
                   "tls": {"ca-file": "test-ca.pem"},  # found beside taurus.yml, as data files are
                   "requests": [{"url": "/ok", "label": "ok"},
                                {"url": "/flaky", "label": "flaky"}]}}})
    assert run.returncode == 0, run.output
    secure = run.effective_config()["scenarios"]["secure"]
    assert secure["default-address"] == https_target.url
    assert secure["tls"] == {"ca-file": str(tmp_path / "test-ca.pem")}
    seen = https_target.requests()
    assert len(seen) == run.vajra_summary()["total"]["samples"] == 2 * 3 * 2
    assert all(request["tls"] in ("TLSv1.2", "TLSv1.3") for request in seen), seen
    # Two users keep their connections alive: two TLS connections in all.
    assert len({request["client_port"] for request in seen}) == 2, seen
    rows = run.jtl_rows()
    assert all(row["URL"].startswith(https_target.url + "/") for row in rows), rows
    # The target fails every 5th /flaky it gets: of 6, the 5th.
    flaky = sum(1 for request in seen if request["path"] == "/flaky")
    assert flaky == 6 and run.vajra_summary()["total"]["errors"] == flaky // 5
    assert_taurus_agrees_with_vajra(run)


def test_an_https_target_vajra_does_not_trust_gives_failed_samples_naming_the_reason(
        bzt, https_target):
    # No ca-file: the test CA is in no trust store. JMeter would trust any certificate; vajra
    # checks, and each request is a failed sample, not a failed test.
    run = bzt({"execution": [{"executor": "vajra", "concurrency": 1, "iterations": 3,
                              "scenario": "untrusted"}],
               "scenarios": {"untrusted": {"default-address": https_target.url,
                                           "requests": [{"url": "/ok", "label": "ok"}]}}})
    assert run.returncode == 0, run.output
    assert not https_target.requests(), "no request gets past the handshake"
    rows = run.jtl_rows()
    assert len(rows) == 3 and all(row["success"] == "false" for row in rows), rows
    for row in rows:
        message = row["responseMessage"].lower()
        assert any(word in message for word in ("certificate", "issuer", "unknown ca")), row
    stats = run.final_stats()
    assert int(stats["ok"]["fail"]) == 3
    assert_taurus_agrees_with_vajra(run)


def test_taurus_defaults_follow_redirects_and_keep_a_cookie_jar_per_user(bzt, target):
    run = bzt({"execution": [{"executor": "vajra", "concurrency": 2, "iterations": 2,
                              "scenario": "session"}],
               "scenarios": {"session": {"default-address": target.url, "requests": [
                   {"url": "/set-cookie?session=s1", "label": "login"},
                   {"url": "/redirect?to=/home", "label": "home"},
                   {"url": "/profile", "label": "profile", "keepalive": False}]}}})
    assert run.returncode == 0, run.output
    # The scenario says nothing, so vajra does what Taurus (JMeter) does.
    seen = target.requests()
    paths = [request["path"] for request in seen]
    assert sorted(paths) == sorted(["/set-cookie?session=s1", "/redirect?to=/home", "/home",
                                    "/profile"] * 4), paths
    # One row per request: the redirect's row has the final URL and status.
    rows = run.jtl_rows()
    assert len(rows) == 2 * 2 * 3 == run.vajra_summary()["total"]["samples"]
    home = [row for row in rows if row["label"] == "home"]
    assert all(row["URL"] == target.url + "/home" and row["responseCode"] == "200"
               for row in home), home
    # Each user's jar is kept over its iterations: only each user's very first request goes
    # without the cookie.
    cookies = [request["headers"].get("cookie") for request in seen]
    assert cookies.count(None) == 2, list(zip(paths, cookies))
    assert all(cookie in (None, "session=s1") for cookie in cookies), cookies
    profile = [request for request in seen if request["path"] == "/profile"]
    assert all(request["headers"].get("connection", "").lower() == "close"
               for request in profile), profile
    assert_taurus_agrees_with_vajra(run)


def test_switches_turned_off_return_the_redirect_and_drop_cookies(bzt, target):
    run = bzt({"execution": [{"executor": "vajra", "concurrency": 1, "iterations": 2,
                              "scenario": "plain"}],
               "scenarios": {"plain": {"default-address": target.url,
                                       "follow-redirects": False, "store-cookie": False,
                                       "requests": [
                                           {"url": "/set-cookie?session=s1", "label": "login"},
                                           {"url": "/redirect?to=/home", "label": "moved"}]}}})
    assert run.returncode == 0, run.output
    seen = target.requests()
    assert [request["path"] for request in seen] == ["/set-cookie?session=s1",
                                                     "/redirect?to=/home"] * 2
    assert not any("cookie" in request["headers"] for request in seen), seen
    moved = [row for row in run.jtl_rows() if row["label"] == "moved"]
    assert [row["responseCode"] for row in moved] == ["302", "302"]
    assert_taurus_agrees_with_vajra(run)


# --- scenarios with variables, extractors and blocks --------------------------------------

def test_a_login_flow_extracts_a_token_sends_it_on_and_writes_transaction_rows(
        bzt, target, tmp_path):
    (tmp_path / "users.csv").write_text("user\nann\nbob\n")
    (tmp_path / "login.json").write_text('{"password": "secret"}')
    bearer = {"Authorization": "Bearer ${token}"}
    run = bzt({"execution": [{"executor": "vajra", "concurrency": 1, "iterations": 2,
                              "scenario": "shop"}],
               "scenarios": {
                   # An included scenario's file is found beside the config too.
                   "login": {"requests": [
                       {"url": "/json?token=t-${user}", "label": "login", "method": "POST",
                        "headers": {"Content-Type": "application/json"},
                        "body-file": "login.json",
                        "extract-jsonpath": {"token": {"jsonpath": "$.token", "default": "NONE"}},
                        "assert-jsonpath": [{"jsonpath": "$.token"}]}]},
                   "shop": {"default-address": target.url, "data-sources": ["users.csv"],
                            "requests": [
                                {"include-scenario": "login"},
                                {"transaction": "browse", "do": [
                                    {"url": "/items", "label": "items", "headers": bearer},
                                    {"url": "/items/1", "label": "item", "headers": bearer,
                                     "assert": [{"contains": ["items/1"], "not": True}]}]}]}}})
    assert run.returncode == 0, run.output
    config = run.effective_config()
    assert list(config["scenarios"]) == ["shop", "login"]
    assert config["scenarios"]["login"]["requests"][0]["body-file"] == str(tmp_path / "login.json")
    seen = target.requests()
    assert [(r["method"], r["path"]) for r in seen] == [
        step for user in ("ann", "bob") for step in [
            ("POST", "/json?token=t-" + user), ("GET", "/items"), ("GET", "/items/1")]]
    assert seen[0]["body"] == '{"password": "secret"}'
    assert [r["headers"].get("authorization") for r in seen] == [
        None, "Bearer t-ann", "Bearer t-ann", None, "Bearer t-bob", "Bearer t-bob"]
    rows = run.jtl_rows()
    assert [row["label"] for row in rows] == ["login", "items", "item", "browse"] * 2
    browse = [row for row in rows if row["label"] == "browse"]
    assert all(row["success"] == "false" for row in browse)  # its /items/1 failed
    assert all(row["responseMessage"] == "Number of samples in transaction : 2, number of "
               "failing samples : 1" for row in browse), browse
    stats = run.final_stats()
    assert set(stats) == {"", "login", "items", "item", "browse"}
    assert (int(stats["item"]["fail"]), int(stats["items"]["fail"])) == (2, 0)
    # Taurus counts every row it reads, transaction rows too, as it does with JMeter's.
    assert int(stats[""]["succ"]) + int(stats[""]["fail"]) == len(rows)


# --- one Taurus file, run by bzt and by vajra ---------------------------------------------

THREE_WAYS = REPO / "fixtures" / "taurus" / "three-ways.yml"


def label_counts(jtl):
    with open(jtl, newline="") as fds:
        return collections.Counter(row["label"] for row in csv.DictReader(fds))


def test_bzt_with_executor_vajra_and_vajra_run_give_the_same_samples_and_labels(
        bzt, target, vajra_bin, tmp_path):
    address = "scenarios.three-ways.default-address=" + target.url
    direct = tmp_path / "direct"
    done = subprocess.run([str(vajra_bin), "run", str(THREE_WAYS), "--execution", "0",
                           "-o", address, "--out", str(direct), "--quiet"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    expected = label_counts(direct / "results.jtl")
    assert sum(expected.values()) == 18 and len(expected) == 3, expected
    # The same file under bzt, switched to vajra the way a user would, from the command line.
    run = bzt(yaml.safe_load(THREE_WAYS.read_text()),
              options=["execution.0.executor=vajra", address])
    assert run.returncode == 0, run.output
    assert label_counts(run.artifacts / "vajra" / "results.jtl") == expected
    stats = run.final_stats()
    assert {label: int(row["succ"]) + int(row["fail"]) for label, row in stats.items()
            if label} == dict(expected)
    assert len(target.requests()) == 2 * 18
    assert_taurus_agrees_with_vajra(run)


def test_a_header_less_data_file_is_read_with_its_variable_names(bzt, target, tmp_path):
    # Taurus names the columns of a CSV without a header row with variable-names; the old
    # Python translation did it by a headed copy, so plugin users rely on it.
    (tmp_path / "skus.csv").write_text("s-1,red\ns-2,blue\n")
    run = bzt({"execution": [{"executor": "vajra", "concurrency": 1, "iterations": 2,
                              "scenario": "skus"}],
               "scenarios": {"skus": {"default-address": target.url, "data-sources": [
                   {"path": "skus.csv", "variable-names": "sku,colour"}],
                   "requests": ["/skus/${sku}/${colour}"]}}})
    assert run.returncode == 0, run.output
    assert [r["path"] for r in target.requests()] == ["/skus/s-1/red", "/skus/s-2/blue"]
