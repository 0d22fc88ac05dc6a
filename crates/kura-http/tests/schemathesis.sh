#!/usr/bin/env bash
# Fuzzes a kura HTTP server against its own OpenAPI document with schemathesis (every check: no 5xx, every
# status, header, content type and body as documented, bad input refused, auth not ignored, 405s for
# undocumented methods).
#
#   crates/kura-http/tests/schemathesis.sh URL [TOKEN]   a running server, e.g. http://127.0.0.1:8080
#   crates/kura-http/tests/schemathesis.sh --demo        builds and starts examples/demo.rs, fuzzes it, stops it
#
# TOKEN (or $KURA_TOKEN) is sent as `Authorization: Bearer TOKEN`. Schemathesis is installed from PyPI into
# a virtualenv ($SCHEMATHESIS_VENV, default target/schemathesis-venv). Extra options for `schemathesis run`
# go in $SCHEMATHESIS_ARGS (e.g. `--max-examples 200`, or `--tls-verify ca.pem` for a server with a private CA);
# $SCHEMATHESIS_CONFIG names a `schemathesis.toml` (e.g. known record ids to use as path parameters).
# Exits non-zero on any finding.
set -euo pipefail
root="$(cd "$(dirname "$0")/../../.." && pwd)"
cd "$root"

venv="${SCHEMATHESIS_VENV:-$root/target/schemathesis-venv}"
if [ ! -x "$venv/bin/schemathesis" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet 'schemathesis>=4,<5'
fi

demo_pid=""
cleanup() { if [ -n "$demo_pid" ]; then kill "$demo_pid" 2>/dev/null || true; wait "$demo_pid" 2>/dev/null || true; fi; }
trap cleanup EXIT

if [ "${1:-}" = "--demo" ]; then
  port="${KURA_DEMO_PORT:-18080}"
  url="http://127.0.0.1:$port"
  token="demo-token"
  cargo build --quiet -p kura-http --example demo
  # A generous rate limit: the fuzzer sends hundreds of requests a second as one principal.
  KURA_DEMO_TOKEN="$token" KURA_HTTP_LISTEN="127.0.0.1:$port" KURA_HTTP_RATE_LIMIT_PER_SECOND=100000 \
    KURA_HTTP_RATE_LIMIT_BURST=100000 "$root/target/debug/examples/demo" > "$root/target/demo-server.log" 2>&1 &
  demo_pid=$!
  for _ in $(seq 1 50); do curl -fsS "$url/health" >/dev/null 2>&1 && break; sleep 0.2; done
  curl -fsS "$url/health" >/dev/null
else
  url="${1:?usage: $0 URL [TOKEN] | --demo}"
  token="${2:-${KURA_TOKEN:-}}"
fi

args=(run "$url/openapi.json" --checks all --no-color)
if [ -n "$token" ]; then args+=(--header "Authorization: Bearer $token"); fi
# shellcheck disable=SC2206
args+=(${SCHEMATHESIS_ARGS:-})
config=()
if [ -n "${SCHEMATHESIS_CONFIG:-}" ]; then config=(--config-file "$(cd "$(dirname "$SCHEMATHESIS_CONFIG")" && pwd)/$(basename "$SCHEMATHESIS_CONFIG")"); fi
# Schemathesis and Hypothesis keep caches in the working directory: keep them out of the source tree.
mkdir -p "$root/target/schemathesis"
cd "$root/target/schemathesis"
"$venv/bin/schemathesis" "${config[@]}" "${args[@]}"
