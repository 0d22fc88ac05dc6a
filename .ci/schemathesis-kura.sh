#!/usr/bin/env bash
# Fuzzes `kura serve` on a real vault with schemathesis (crates/kura-http/tests/schemathesis.sh): builds
# `kura`, creates a throwaway vault with 200 generated employees, an operator service account and an overseer
# (administrator and auditor) service account, starts the server on a free loopback port, runs every check
# against its OpenAPI document with each account's token, stops it (SIGTERM) and verifies the access log.
# Exits non-zero on any finding; the server's log is then kept in target/schemathesis/kura-serve.log.
#
#   .ci/schemathesis-kura.sh
#
# $SCHEMATHESIS_ARGS passes options to `schemathesis run` (default `--max-examples 50`). Needs python3 with
# venv; on a Debian machine without it, python3-venv is installed with apt (as root or with sudo).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

log() { printf '\n== %s\n' "$*"; }
SUDO=""
if [ "$(id -u)" != 0 ] && command -v sudo >/dev/null; then SUDO="sudo"; fi

if ! command -v python3 >/dev/null || ! python3 -c 'import ensurepip, venv' >/dev/null 2>&1; then
  log "python3-venv"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq python3 python3-venv >/dev/null
fi

log "build kura"
cargo build --locked --quiet -p kura-cli
kura="$root/target/debug/kura"

work="$(mktemp -d "${TMPDIR:-/tmp}/kura-schemathesis.XXXXXX")"
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

export KURA_VAULT="$work/vault"
export KURA_PASSPHRASE="schemathesis passphrase $RANDOM$RANDOM"
unset KURA_TOKEN KURA_PRINCIPAL KURA_KEY_FILE KURA_PURPOSE

log "vault"
"$kura" init --quiet >/dev/null
"$kura" collection create --builtin corporate-mobile --quiet >/dev/null
"$kura" generate corporate --employees 200 --companies 5 --seed 7 --quiet --out "$work/people.csv"
"$kura" import corporate-mobile "$work/people.csv" --quiet
# The operator may read the generated companies' staff: schemathesis' reads reach the policy, not only 404s.
mapfile -t companies < <(python3 -c 'import csv, sys
for c in sorted({r["company"] for r in csv.DictReader(open(sys.argv[1], encoding="utf-8"))}): print(c)' "$work/people.csv")
add=(principal add fuzz-service --kind service --role operator)
for c in "${companies[@]}"; do add+=(--company "$c"); done
"$kura" "${add[@]}" --quiet >/dev/null
token="$("$kura" principal issue-token fuzz-service --scope records:read --scope records:write --quiet | tr -d '[:space:]')"
# An overseer (administrator and auditor) for the principal, policy and audit routes, fuzzed after the operator.
"$kura" principal add fuzz-overseer --kind service --role administrator --role auditor --quiet >/dev/null
admin_token="$("$kura" principal issue-token fuzz-overseer --scope principals:admin --scope audit:read --quiet \
  | tr -d '[:space:]')"

log "kura serve"
# Port 0: the kernel picks a free one, the server names it. The fuzzer sends hundreds of requests a second
# as one principal, hence the rate limit.
KURA_HTTP_LISTEN=127.0.0.1:0 KURA_HTTP_RATE_LIMIT_PER_SECOND=10000 KURA_HTTP_RATE_LIMIT_BURST=10000 \
  "$kura" serve --checkpoint-every 5 > "$work/serve.out" 2> "$work/serve.log" &
server_pid=$!
url=""
for _ in $(seq 1 100); do
  url="$(sed -n 's/^kura serve: listening on \(http:\/\/[0-9.:]*\)$/\1/p' "$work/serve.log" | head -1)"
  [ -n "$url" ] && break
  kill -0 "$server_pid" 2>/dev/null || break
  sleep 0.1
done
if [ -z "$url" ]; then cat "$work/serve.log" >&2; echo "kura serve did not start" >&2; exit 1; fi
echo "$url"

log "schemathesis"
# Random collections and ids only reach 404s: most requests name the collection and one of 20 records the
# operator may see (found through the API itself), so reads, updates and erasures reach the vault's policy.
python3 - "$url" "$token" "$work/people.csv" "$work/schemathesis.toml" <<'PY'
import csv, json, sys, urllib.request
url, token, people, out = sys.argv[1:]
ids = []
for row in list(csv.DictReader(open(people, encoding="utf-8")))[:20]:
    body = json.dumps({"field": "employee_id", "value": row["employee_id"]}).encode()
    req = urllib.request.Request(f"{url}/v1/collections/corporate-mobile/search", data=body, method="POST", headers={
        "Authorization": f"Bearer {token}", "Kura-Purpose": "FUZZ-SETUP", "Content-Type": "application/json"})
    with urllib.request.urlopen(req) as r:
        ids += [rec["id"] for rec in json.load(r)["records"]]
if len(ids) != 20:
    sys.exit(f"found {len(ids)} of 20 records through the API")
with open(out, "w", encoding="utf-8") as f:
    f.write("[dictionaries.collections]\nvalues = [\"corporate-mobile\"]\n")
    f.write("[dictionaries.records]\nvalues = %s\n" % json.dumps(ids))
    f.write("[parameters]\n")
    f.write("\"path.collection\" = { dictionary = \"collections\", probability = 0.9 }\n")
    f.write("\"path.id\" = { dictionary = \"records\", probability = 0.8 }\n")
    # A schema-violating body of many long strings (arrays past their maxItems, texts past their maxLength)
    # can pass the server's body limit (64 KiB) and be refused as too large (413) before anything reads it:
    # a correct refusal too.
    f.write("[checks.negative_data_rejection]\nexpected-statuses = [\"400\", \"401\", \"403\", \"404\", "
            "\"405\", \"406\", \"409\", \"413\", \"415\", \"422\", \"428\", \"429\", \"5xx\"]\n")
    # Bodies the document allows that the vault still refuses with 422, for reasons JSON Schema cannot state:
    semantic = [
        # a new record's values fit the collection's own schema (its fields, their types, required fields);
        ("POST", "/v1/collections/{collection}/records"),
        # separation of duties between roles, and company names must be organisation names;
        ("POST", "/v1/principals"),
        # a password's length is counted after NFKC normalisation;
        ("PUT", "/v1/principals/{name}/password"),
        # API tokens are issued to service accounts only (a principal the fuzzer created may be a person).
        ("POST", "/v1/principals/{name}/tokens"),
        # honey records need the organisation's canary pools (this vault has none: 409);
        ("POST", "/v1/collections/{collection}/honey"),
        # the report of a canary hit names a contact point some canary holds (else 404).
        ("POST", "/v1/canary-hits"),
        # an order's people are records of its company, which the caller serves;
        ("POST", "/v1/collections/{collection}/orders"),
        # an escalation names a team, or a partner with its kind (exactly one of the two);
        ("POST", "/v1/orders/{id}/escalation"),
        # a break-glass reason has 6 different characters, and services may not break the glass.
        ("POST", "/v1/collections/{collection}/records/{id}/break-glass"),
        # incidents (security officers only, so these accounts see 403/404): a stolen database is opened with
        # the CLI, a title must have a visible character, detection and learning times must be set, a window
        # must not end before it starts, a change must change something, a note has no control characters,
        # after a final report only final versions follow, and the notice list needs someone to notify.
        ("POST", "/v1/incidents"),
        ("PATCH", "/v1/incidents/{id}"),
        ("POST", "/v1/incidents/{id}/notes"),
        ("POST", "/v1/incidents/{id}/reports"),
        ("POST", "/v1/incidents/{id}/notice-list"),
    ]
    # Alert rules are TOML: a string the document allows is seldom valid rules (400).
    f.write("[[operations]]\ninclude-path = \"/v1/alerts/rules\"\ninclude-method = \"PUT\"\n")
    f.write("checks.positive_data_acceptance.expected-statuses = "
            "[\"2xx\", \"400\", \"401\", \"403\", \"404\", \"409\", \"422\", \"429\", \"5xx\"]\n")
    for method, path in semantic:
        f.write(f"[[operations]]\ninclude-path = \"{path}\"\ninclude-method = \"{method}\"\n")
        f.write("checks.positive_data_acceptance.expected-statuses = "
                "[\"2xx\", \"401\", \"403\", \"404\", \"409\", \"422\", \"429\", \"5xx\"]\n")
PY
status=0
for who in operator overseer; do
  log "schemathesis as the $who"
  if [ "$who" = operator ]; then t="$token"; else t="$admin_token"; fi
  SCHEMATHESIS_CONFIG="$work/schemathesis.toml" SCHEMATHESIS_ARGS="${SCHEMATHESIS_ARGS:---max-examples 50}" \
    crates/kura-http/tests/schemathesis.sh "$url" "$t" || status=1
done

log "stop"
kill -TERM "$server_pid"
serve_status=0
wait "$server_pid" || serve_status=$?
server_pid=""
if grep -q 'panicked' "$work/serve.log"; then
  grep 'panicked' "$work/serve.log" | sort | uniq -c >&2
  echo "a request handler panicked" >&2
  status=1
fi
tail -1 "$work/serve.log"
if [ "$serve_status" != 0 ]; then
  tail -20 "$work/serve.log" >&2
  echo "kura serve exited with $serve_status" >&2
  status=1
fi
"$kura" audit verify --quiet || status=1
if [ "$status" != 0 ]; then mkdir -p target/schemathesis && cp "$work/serve.log" target/schemathesis/kura-serve.log; fi
exit "$status"
