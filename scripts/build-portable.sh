#!/usr/bin/env bash
# Builds the portable vajra for BlazeMeter's engines: a release build for Linux x86-64 that needs
# only glibc 2.17 (2012; every maintained distribution has it), linked by `zig cc` through
# cargo-zigbuild, which builds against glibc 2.17's symbol versions whatever glibc this machine
# has. mimalloc's C code is compiled by zig cc too.
#
# Writes $CARGO_TARGET_DIR/portable/vajra (by default target/portable/vajra), where `vajra
# package` and `vajra cloud run` look for it beside target/release and target/debug (see
# `vajra package --help`, --vajra-binary).
#
# Installs on first use, idempotently: cargo-zigbuild (`cargo install`), and zig from PyPI's
# `ziglang` package into a venv under the target directory. Needs python3 with venv.
set -euo pipefail
cd "$(dirname "$0")/.."

zigbuild_version="0.24.1"
ziglang_version="0.17.1"
triple="x86_64-unknown-linux-gnu"
glibc="2.17"
target_dir="${CARGO_TARGET_DIR:-target}"
venv="${VAJRA_ZIG_VENV:-$target_dir/venv-zig}"
out="$target_dir/portable/vajra"

if ! cargo install --list | grep -qx "cargo-zigbuild v$zigbuild_version:"; then
  echo "== cargo install cargo-zigbuild $zigbuild_version"
  cargo install --locked cargo-zigbuild --version "$zigbuild_version"
fi
if ! "$venv/bin/python" -m ziglang version 2>/dev/null | grep -qx "$ziglang_version"; then
  echo "== installing zig $ziglang_version (PyPI: ziglang) into $venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "ziglang==$ziglang_version"
fi
# cargo-zigbuild runs `$CARGO_ZIGBUILD_PYTHON_PATH -m ziglang` when that names a Python with the
# ziglang package.
export CARGO_ZIGBUILD_PYTHON_PATH="$PWD/$venv/bin/python"
[[ "$venv" = /* ]] && CARGO_ZIGBUILD_PYTHON_PATH="$venv/bin/python"

echo "== cargo zigbuild --release --target $triple.$glibc"
cargo zigbuild --release --locked -p vajra --bin vajra --target "$triple.$glibc"

mkdir -p "$(dirname "$out")"
cp "$target_dir/$triple/release/vajra" "$out.tmp"
mv "$out.tmp" "$out"

# The check the engines would make: the newest glibc symbol version the binary needs.
if command -v objdump >/dev/null 2>&1; then
  newest="$(objdump -T "$out" | grep -o 'GLIBC_[0-9][0-9.]*' | sed 's/GLIBC_//' | sort -uV | tail -1)"
  if [ "$(printf '%s\n%s\n' "$newest" "$glibc" | sort -V | tail -1)" != "$glibc" ]; then
    echo "error: $out needs glibc $newest, newer than $glibc" >&2
    exit 1
  fi
  echo "== $out needs glibc $newest (at most $glibc)"
fi
"$out" --version
echo "== wrote $out ($(du -h "$out" | cut -f1))"
