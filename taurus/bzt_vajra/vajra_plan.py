"""Translates Taurus test settings into a vajra run: a plan (dict, dumped as YAML) and flags.

Two halves, both free of I/O:

* ``load_section`` maps an execution's load settings (concurrency, throughput, ramp-up,
  hold-for, iterations, steps) to a vajra ``load:`` section; ``load_flags`` writes the same
  section as ``vajra run`` flags, for plans run as they are (``scenario: {script: plan.yaml}``).
* ``plan_from_scenario`` maps a Taurus HTTP scenario (requests, headers, bodies, assertions,
  data sources, redirects, cookies, keep-alive, ...) to a vajra plan. Where Taurus and vajra
  default differently (redirects, cookies), the plan says what Taurus would do.

Anything vajra cannot do the way Taurus would (a transaction block, a regular expression,
embedded resources, ...) raises ``TaurusConfigError`` naming the scenario, the request and the key:
a setting is never dropped silently. Files are only located (through the ``find_file`` the
caller passes), never read; a CSV that needs a header row added is handed to ``headed_csv``.
"""

import json
import math
import os
import re
from urllib.parse import quote_plus

from bzt import TaurusConfigError, TaurusInternalException
from bzt.utils import dehumanize_time

# Keys of a Taurus request that the translation understands. Any other key is rejected.
REQUEST_KEYS = {"url", "label", "method", "headers", "body", "body-file", "timeout", "think-time",
                "assert", "keepalive", "follow-redirects"}
# Keys of a Taurus scenario that the translation understands. Any other key is rejected.
# `tls` and `http-version` are vajra's own (Taurus has no scenario key for either).
SCENARIO_KEYS = {"requests", "headers", "default-address", "timeout", "think-time", "data-sources",
                 "keepalive", "follow-redirects", "store-cookie", "retrieve-resources", "variables",
                 "tls", "http-version"}
# Taurus's switches and what Taurus (its JMeter executor) does when they are not given:
# it follows redirects, keeps connections alive and keeps cookies. The generated plan says so
# explicitly, because vajra's own defaults for redirects and cookies are off.
TAURUS_DEFAULTS = {"follow-redirects": True, "keepalive": True, "store-cookie": True}
# Redirect hops for Taurus's `follow-redirects: true`: JMeter's limit (httpsampler.max_redirects),
# which is also the most vajra allows.
TAURUS_MAX_REDIRECTS = 20
# Keys of vajra's `tls:` section (its files are located the way Taurus finds files).
TLS_KEYS = ("ca-file", "insecure", "client-cert", "client-key", "server-name", "min-version")
TLS_FILES = ("ca-file", "client-cert", "client-key")
HTTP_VERSIONS = ("1.1", "2", "auto")
# Taurus control blocks, recognised to name them in the error.
BLOCKS = ("transaction", "if", "loop", "while", "foreach", "once", "include-scenario", "action",
          "set-variables", "setup", "teardown")
DATA_SOURCE_KEYS = {"path", "delimiter", "quoted", "loop", "variable-names", "random-order",
                    "encoding"}
LOAD_KEYS = ("concurrency", "throughput", "ramp-up", "hold-for", "iterations", "steps")
FORM_METHODS = ("POST", "PUT", "PATCH")
# Characters that make a Taurus `regexp: true` assertion more than plain text.
REGEX_SPECIAL = set(".^$*+?{}[]\\|()")


def seconds(value, what):
    """Taurus time (``90``, ``1m30s``, ``500ms``) in seconds; ``what`` names it in errors."""
    try:
        result = dehumanize_time(value)
    except TaurusInternalException:
        result = None
    if result is None or not math.isfinite(result) or result < 0:
        raise TaurusConfigError("%s: %r is not a time like 30s, 1m30s or 500ms" % (what, value))
    return result


def vajra_duration(secs):
    """Seconds as a vajra duration, in whole milliseconds (``1500ms``)."""
    return "%dms" % round(secs * 1000)


def number(value, what, kind=float):
    """``value`` as a positive ``kind`` (int or float), or an error naming ``what``."""
    try:
        result = kind(value)
    except (TypeError, ValueError):
        result = None
    if result is None or not math.isfinite(result) or result < 0:
        raise TaurusConfigError("%s: %r is not a non-negative number" % (what, value))
    return result


def load_section(raw, defaults=True):
    """The vajra ``load:`` section for Taurus load settings.

    ``raw`` maps the keys of ``LOAD_KEYS`` to the values the execution gives (None when unset);
    throughput stays fractional. With ``defaults`` (a generated plan), Taurus's own defaults
    apply: one user, one iteration. Without (a vajra plan run as it is), only what the execution
    sets is returned, and the plan's ``load:`` section provides the rest.

    Taurus's models map as follows: throughput gives vajra's open model (arrivals at that rate,
    concurrency bounding the requests in flight); concurrency alone gives the closed model
    (that many users looping, started evenly over ramp-up).
    """
    throughput = number(raw["throughput"], "throughput") if raw.get("throughput") else None
    concurrency = number(raw["concurrency"], "concurrency", int) if raw.get("concurrency") else None
    ramp = seconds(raw["ramp-up"], "ramp-up") if raw.get("ramp-up") else 0
    hold = seconds(raw["hold-for"], "hold-for") if raw.get("hold-for") else 0
    iterations = number(raw["iterations"], "iterations", int) if raw.get("iterations") else None
    steps = number(raw["steps"], "steps", int) if raw.get("steps") else None
    if steps and not ramp:
        raise TaurusConfigError("steps: %s steps need a ramp-up to divide; add ramp-up or remove "
                                "steps" % steps)
    if throughput:
        return _open_load(throughput, concurrency, ramp, hold, iterations, steps)
    if steps:
        raise TaurusConfigError("steps: vajra starts users evenly over ramp-up, not in steps; "
                                "remove steps, or give a throughput to ramp the rate in steps")
    section = {}
    if concurrency or defaults:
        section["concurrency"] = concurrency or 1
    if ramp + hold:
        section["duration"] = vajra_duration(ramp + hold)
    if ramp:
        section["ramp-duration"] = vajra_duration(ramp)
    if iterations:
        section["iterations"] = iterations
    elif defaults and not ramp + hold:
        section["iterations"] = 1  # Taurus runs one iteration when no time is given
    return section


def _open_load(throughput, concurrency, ramp, hold, iterations, steps):
    if not ramp + hold:
        raise TaurusConfigError("throughput: vajra's open model runs for a time; add hold-for "
                                "and/or ramp-up")
    if iterations:
        raise TaurusConfigError("iterations: with a throughput, vajra runs for ramp-up + "
                                "hold-for, not a number of iterations; remove iterations")
    if steps:
        # Taurus's stepped ramp: step i of n runs at i/n of the throughput for ramp-up/n.
        plan = [{"tps": throughput * i / steps, "duration": vajra_duration(ramp / steps)}
                for i in range(1, steps + 1)]
        if hold:
            plan.append({"tps": throughput, "duration": vajra_duration(hold)})
        section = {"pattern": "step", "steps": plan}
    elif ramp and hold:
        section = {"pattern": "ramp-sustain", "tps": throughput,
                   "ramp-duration": vajra_duration(ramp), "duration": vajra_duration(ramp + hold)}
    elif ramp:
        section = {"pattern": "ramp", "tps": throughput, "ramp-duration": vajra_duration(ramp)}
    else:
        section = {"pattern": "static", "tps": throughput, "duration": vajra_duration(hold)}
    if concurrency:
        section["concurrency"] = concurrency
    return section


def load_flags(section):
    """A ``load:`` section as ``vajra run`` flags (every load key is a flag of the same name)."""
    flags = []
    for key, value in section.items():
        if key == "steps":
            value = ",".join("%r:%s" % (step["tps"], step["duration"]) for step in value)
        flags += ["--" + key, str(value)]
    return flags


def plan_from_scenario(name, scenario, find_file, headed_csv):
    """The vajra plan (a dict to dump as YAML) for the Taurus scenario ``scenario``.

    ``find_file(path)`` locates a file the way Taurus does (relative to the config files);
    ``headed_csv(path, names, delimiter)`` returns a copy of a header-less CSV with ``names`` as
    its header row, for data sources that give ``variable-names``.
    """
    where = "scenario '%s'" % name
    _check_keys(scenario, SCENARIO_KEYS, where)
    if scenario.get("variables"):
        raise TaurusConfigError("%s: variables are not supported by vajra; put the values in the "
                                "requests, or in a data source" % where)
    requests = scenario.get("requests") or []
    if not requests:
        raise TaurusConfigError("%s has no requests: give requests, or script: plan.yaml" % where)
    base_url = scenario.get("default-address")
    plan = {"name": name}
    if base_url:
        plan["base-url"] = str(base_url)
    if scenario.get("http-version") is not None:
        plan["http-version"] = _http_version(scenario["http-version"], where)
    if scenario.get("tls") is not None:
        plan["tls"] = _tls(scenario["tls"], where, find_file)
    defaults = {}
    headers = _headers(scenario.get("headers"), where)
    if headers:
        defaults["headers"] = headers
    if scenario.get("timeout"):
        defaults["timeout"] = vajra_duration(seconds(scenario["timeout"], where + ": timeout"))
    # Taurus's scenario switches, or what Taurus does without them, as vajra's defaults.
    for key, taurus_default in TAURUS_DEFAULTS.items():
        given = scenario.get(key)
        defaults[key] = _switch(key, taurus_default if given is None else given, where)
    plan["defaults"] = defaults
    configs = [_request_config(item, index, where) for index, item in enumerate(requests)]
    pauses = [_think_time(config, scenario, where) for config in configs]
    plan["requests"] = []
    for index, config in enumerate(configs):
        request = _request(config, scenario, base_url, find_file, where)
        # A Taurus think time pauses *before* its request; vajra's pauses after one, before the
        # next (and, for a looping user, after the last request before the first).
        pause = pauses[(index + 1) % len(pauses)]
        if pause:
            request["think-time"] = vajra_duration(pause)
        plan["requests"].append(request)
    sources = scenario.get("data-sources") or []
    if sources:
        plan["data"] = [_data_source(source, index, where, find_file, headed_csv)
                        for index, source in enumerate(sources)]
    return plan


def script_scenario_extras(scenario):
    """Keys beside ``script`` in a scenario that runs a vajra plan as it is (to reject)."""
    return sorted(key for key in scenario if key != "script")


def _check_keys(config, allowed, where):
    unknown = sorted(set(config) - allowed)
    if unknown:
        raise TaurusConfigError("%s: %s not supported by vajra (it supports %s)" % (
            where, ", ".join("`%s`" % key for key in unknown) + (" is" if len(unknown) == 1 else " are"),
            ", ".join(sorted(allowed))))
    if _is_true(config.get("retrieve-resources")):
        raise TaurusConfigError("%s: `retrieve-resources: true` is not supported: vajra does not "
                                "fetch embedded resources; list them as requests" % where)


def _is_true(value):
    return value is True or str(value).lower() == "true"


def _switch(key, value, where):
    """A Taurus switch as vajra's plan key: `follow-redirects: true` becomes JMeter's limit of
    hops, the others stay booleans. Anything but true or false is an error naming the key."""
    if isinstance(value, str) and value.lower() in ("true", "false"):
        value = value.lower() == "true"
    if not isinstance(value, bool):
        raise TaurusConfigError("%s: %s: expected true or false, found %r" % (where, key, value))
    if key == "follow-redirects" and value:
        return TAURUS_MAX_REDIRECTS
    return value


def _http_version(value, where):
    text = str(value)
    if text not in HTTP_VERSIONS:
        raise TaurusConfigError("%s: http-version: expected 1.1, 2 or auto, found %r (auto: "
                                "HTTP/1.1 on http://, h2 or HTTP/1.1 by ALPN on https://)"
                                % (where, value))
    return text


def _tls(config, where, find_file):
    """vajra's `tls:` section, given on the scenario: files located as Taurus finds files, so
    that the plan (written into the artifacts directory) names them by absolute path."""
    at = where + ": tls"
    if not isinstance(config, dict):
        raise TaurusConfigError("%s: expected a mapping with keys like %s, not %r"
                                % (at, ", ".join(TLS_KEYS), config))
    unknown = sorted(set(config) - set(TLS_KEYS))
    if unknown:
        raise TaurusConfigError("%s: %s not supported (vajra's tls: takes %s)"
                                % (at, ", ".join(unknown), ", ".join(TLS_KEYS)))
    tls = {}
    for key in TLS_KEYS:
        value = config.get(key)
        if value is None:
            continue
        if key in TLS_FILES:
            located = find_file(str(value))
            # find_file gives back the name as it was when it finds nothing.
            if not os.path.isabs(located):
                raise TaurusConfigError("%s: %s: %s is not found beside the config files or in "
                                        "the working directory" % (at, key, value))
            tls[key] = located
        elif key == "insecure":
            tls[key] = _switch("tls.insecure", value, where)
        else:
            tls[key] = str(value)  # server-name, min-version: vajra checks them, by line
    return tls


def _request_config(item, index, where):
    """The request's settings as a dict (a bare string is a URL), or an error for a block."""
    if isinstance(item, str):
        return {"url": item}
    if not isinstance(item, dict):
        raise TaurusConfigError("%s: requests[%d] is not a request: %r" % (where, index, item))
    if "url" not in item:
        block = next((key for key in BLOCKS if key in item), None)
        if block:
            raise TaurusConfigError(
                "%s: requests[%d] is a `%s` block (%s), which vajra cannot run: vajra runs plain "
                "HTTP requests in order; rewrite the block as requests, or use executor: jmeter"
                % (where, index, block, item.get(block)))
        raise TaurusConfigError("%s: requests[%d] has no url: %r" % (where, index, item))
    return item


def _label(config):
    return str(config.get("label", config["url"]))


def _think_time(config, scenario, where):
    value = config.get("think-time", scenario.get("think-time"))
    if not value:
        return 0
    if "(" in str(value):
        raise TaurusConfigError("%s: think-time %s: random think times are not supported by "
                                "vajra; give a fixed time like 500ms" % (where, value))
    return seconds(value, "%s: think-time" % where)


def _request(config, scenario, base_url, find_file, scenario_where):
    label = _label(config)
    where = "%s, request '%s'" % (scenario_where, label)
    _check_keys(config, REQUEST_KEYS, where)
    url = str(config["url"])
    if "://" not in url and not url.startswith("${") and not base_url:
        raise TaurusConfigError("%s: url %s is relative, and the scenario has no default-address"
                                % (where, url))
    method = str(config.get("method", "GET")).upper()
    request = {"label": label, "method": method, "url": url}
    for key in ("follow-redirects", "keepalive"):
        if config.get(key) is not None:
            request[key] = _switch(key, config[key], where)
    headers = _headers(config.get("headers"), where)
    if headers:
        request["headers"] = headers
    body = config.get("body")
    if body is not None and body != "":
        merged = {k.lower(): v for k, v in _headers(scenario.get("headers"), where).items()}
        merged.update({k.lower(): v for k, v in headers.items()})
        _put_body(request, body, merged.get("content-type", ""), where)
    elif config.get("body-file"):
        request["body-file"] = find_file(str(config["body-file"]))
    if config.get("timeout"):
        request["timeout"] = vajra_duration(seconds(config["timeout"], where + ": timeout"))
    assertions = _assertions(config.get("assert") or [], where)
    if assertions:
        request["assert"] = assertions
    return request


def _headers(headers, where):
    """Header values as strings: YAML 1.1 turns `yes` into True, and Taurus sends `True` for it,
    so the same text is sent here (quote such values in YAML to send them as written)."""
    if not headers:
        return {}
    if not isinstance(headers, dict):
        raise TaurusConfigError("%s: headers must be a mapping of names to values, not %r"
                                % (where, headers))
    return {str(name): str(value) for name, value in headers.items()}


def _put_body(request, body, content_type, where):
    """Puts a request body into ``request`` the way Taurus's JMeter would send it."""
    if isinstance(body, str):
        request["body"] = body
        return
    simple_form = isinstance(body, dict) and all(
        isinstance(value, (str, int, float)) and not isinstance(value, bool)
        for value in body.values())
    if "json" in content_type.lower() or not simple_form:
        request["body"] = json.dumps(body)
        return
    # A flat mapping is a form, as JMeter sends its parameters. `${...}` is kept for vajra.
    form = "&".join("%s=%s" % (quote_plus(str(k), safe="${}"), quote_plus(str(v), safe="${}"))
                    for k, v in body.items())
    method = request["method"]
    if method == "GET":
        request["url"] += ("&" if "?" in request["url"] else "?") + form
    elif method in FORM_METHODS:
        request["body"] = form
        if not content_type:
            headers = request.setdefault("headers", {})
            headers["Content-Type"] = "application/x-www-form-urlencoded"
    else:
        raise TaurusConfigError("%s: form parameters in body are not supported for %s; give the "
                                "body as text" % (where, method))


def _assertions(items, where):
    """Taurus `assert` items as vajra's `assert: {status, body-contains}`.

    Supported: `contains` on the body (plain text, or a regexp without special characters,
    which means the same), and one expected status code on `http-code`. A body assertion is
    checked together with vajra's default status < 400, as JMeter does; a code of 400 or more
    must say `assume-success: true`, as it must in JMeter to ever pass.
    """
    if not isinstance(items, list):
        items = [items]
    texts, codes = [], set()
    for index, item in enumerate(items):
        at = "%s: assert[%d]" % (where, index)
        if not isinstance(item, dict):
            item = {"contains": item}
        unknown = sorted(set(item) - {"contains", "subject", "regexp", "not", "assume-success"})
        if unknown:
            raise TaurusConfigError("%s: %s not supported by vajra" % (at, ", ".join(unknown)))
        contains = item.get("contains")
        if contains is None or contains == []:
            raise TaurusConfigError("%s: `contains` is required" % at)
        if not isinstance(contains, list):
            contains = [contains]
        contains = [str(value) for value in contains]
        if item.get("not", False):
            raise TaurusConfigError("%s: negated assertions (`not: true`) are not supported by "
                                    "vajra" % at)
        if item.get("regexp", True):
            for value in contains:
                if REGEX_SPECIAL.intersection(value):
                    raise TaurusConfigError(
                        "%s: %r is a regular expression, which vajra cannot check; set "
                        "`regexp: false` to match it as plain text" % (at, value))
        subject = item.get("subject", "body")
        if subject == "body":
            if item.get("assume-success", False):
                raise TaurusConfigError("%s: `assume-success: true` on a body assertion is not "
                                        "supported by vajra" % at)
            texts += [value for value in contains if value not in texts]
        elif subject == "http-code":
            for value in contains:
                if not re.fullmatch(r"[1-5][0-9][0-9]", value):
                    raise TaurusConfigError("%s: %r is not a status code like 200" % (at, value))
                if int(value) >= 400 and not item.get("assume-success", False):
                    raise TaurusConfigError(
                        "%s: status %s always fails unless the assertion says "
                        "`assume-success: true`" % (at, value))
                codes.add(int(value))
        else:
            raise TaurusConfigError("%s: assertions on `%s` are not supported by vajra (it checks "
                                    "`body` and `http-code`)" % (at, subject))
    if len(codes) > 1:
        raise TaurusConfigError("%s: assertions expect status codes %s all at once, which can "
                                "never pass" % (where, sorted(codes)))
    result = {}
    if codes:
        result["status"] = sorted(codes)
    if texts:
        result["body-contains"] = texts
    return result


def _data_source(source, index, where, find_file, headed_csv):
    at = "%s: data-sources[%d]" % (where, index)
    if isinstance(source, str):
        source = {"path": source}
    if not isinstance(source, dict) or not source.get("path"):
        raise TaurusConfigError("%s: a data source needs a path" % at)
    unknown = sorted(set(source) - DATA_SOURCE_KEYS)
    if unknown:
        raise TaurusConfigError("%s: %s not supported by vajra" % (at, ", ".join(unknown)))
    if source.get("random-order", False):
        raise TaurusConfigError("%s: random-order is not supported by vajra: it reads rows in "
                                "order" % at)
    encoding = str(source.get("encoding") or "utf-8").lower().replace("_", "-")
    if encoding not in ("utf-8", "utf8"):
        raise TaurusConfigError("%s: encoding %s is not supported: vajra reads UTF-8" % (at, encoding))
    delimiter = str(source.get("delimiter", ","))
    if delimiter.lower() in ("tab", "\\t"):
        delimiter = "\t"
    if len(delimiter) != 1:
        raise TaurusConfigError("%s: delimiter %r must be one character" % (at, delimiter))
    path = find_file(str(source["path"]))
    names = source.get("variable-names")
    if names:
        names = [name.strip() for name in str(names).split(",")]
        path = headed_csv(path, names, delimiter)
    data = {"file": path, "on-eof": "recycle" if source.get("loop", True) else "stop"}
    if delimiter != ",":
        data["delimiter"] = delimiter
    return data
