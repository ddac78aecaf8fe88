#!/usr/bin/env bash
# The release path, exactly as an operator runs it, against a fresh database:
#   npm run build && npm run db:migrate && npm run db:seed && npm start
# then /health and /ready must answer 200, migrate and seed again must change nothing,
# and SIGTERM must stop the server with exit code 0.
# Uses the machine's PostgreSQL on 127.0.0.1:5432 when it answers, else an embedded one
# (RELEASE_CHECK_POSTGRES=embedded forces that).
set -euo pipefail
cd "$(dirname "$0")/.."

work="$(mktemp -d)"
db_tool() { node --import tsx scripts/release-db.ts "$@"; }
embedded_pid=""
server_pid=""
node_pid=""
database_url=""
cleanup() {
  if [ -n "$node_pid" ]; then kill -KILL "$node_pid" 2>/dev/null || true; fi
  if [ -n "$server_pid" ]; then kill -KILL "$server_pid" 2>/dev/null || true; fi
  if [ -n "$database_url" ]; then db_tool drop "$database_url" || true; fi
  if [ -n "$embedded_pid" ]; then
    kill -TERM "$embedded_pid" 2>/dev/null || true
    wait "$embedded_pid" 2>/dev/null || true
    data_dir="$(sed -n 2p "$work/embedded.url")"
    if [ -n "$data_dir" ]; then rm -rf "$data_dir"; fi
  fi
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "release check FAILED: $*" >&2; [ -f "$work/server.log" ] && tail -n 40 "$work/server.log" >&2; exit 1; }

# GET a URL; prints the status code (curl when present, else Node's fetch).
http_status() {
  if command -v curl >/dev/null 2>&1; then
    curl -s -o "$work/body" -w '%{http_code}' --max-time 5 "$1" || echo 000
  else
    node -e 'fetch(process.argv[1]).then(async (r) => { require("fs").writeFileSync(process.argv[2], await r.text()); console.log(r.status) }, () => console.log("000"))' "$1" "$work/body"
  fi
}

# RELEASE_CHECK_POSTGRES=embedded forces the embedded server (to check that path too).
if [ "${RELEASE_CHECK_POSTGRES:-}" != embedded ] &&
  node -e 'require("net").connect(5432, "127.0.0.1").on("connect", () => process.exit(0)).on("error", () => process.exit(1))' 2>/dev/null; then
  server_url="postgresql://postgres@127.0.0.1:5432/postgres"
  echo "PostgreSQL: the machine's, 127.0.0.1:5432"
else
  # Started directly (not through db_tool) so that $! is the process to stop.
  node --import tsx scripts/release-db.ts embedded > "$work/embedded.url" &
  embedded_pid=$!
  for _ in $(seq 1 120); do [ "$(wc -l < "$work/embedded.url")" -ge 2 ] && break; sleep 0.5; done
  [ -s "$work/embedded.url" ] || fail "the embedded PostgreSQL did not start"
  server_url="$(head -n 1 "$work/embedded.url")"
  echo "PostgreSQL: embedded"
fi
database_url="$(db_tool create "$server_url")"

cat > "$work/catalog.json" <<'JSON'
[{ "sku": "ci-release-1", "name": "Release check product", "unitAmount": 1500, "currency": "eur" }]
JSON
port="$(node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); })')"
export NODE_ENV=production
export PORT="$port"
export DATABASE_URL="$database_url"
export JWT_SECRET="ci-release-check-jwt-secret-0123456789abcdef"
export STRIPE_SECRET_KEY="sk_test_ciReleaseCheck"
export STRIPE_ALLOW_TEST_KEYS=true
export STRIPE_WEBHOOK_SECRET="whsec_ciReleaseCheck"
export FRONTEND_URL="https://shop.example.com"
export CORS_ORIGINS="https://shop.example.com"
export METRICS_TOKEN="ci-release-check-metrics-token-0123456789"
export CATALOG_FILE="$work/catalog.json"
export ADMIN_EMAIL="admin@example.com"
export ADMIN_PASSWORD="ci-release-admin-password"
export BCRYPT_COST=10
export SHUTDOWN_DELAY_MS=500
export LOG_LEVEL=info

npm run build && npm run db:migrate && npm run db:seed
npm start > "$work/server.log" 2>&1 &
server_pid=$!

for _ in $(seq 1 60); do
  [ "$(http_status "http://127.0.0.1:$port/health")" = 200 ] && break
  kill -0 "$server_pid" 2>/dev/null || fail "npm start exited"
  sleep 0.5
done
[ "$(http_status "http://127.0.0.1:$port/health")" = 200 ] || fail "/health did not answer 200"
[ "$(http_status "http://127.0.0.1:$port/ready")" = 200 ] || fail "/ready did not answer 200: $(cat "$work/body")"
grep -q '"status":"ready"' "$work/body" || fail "/ready body: $(cat "$work/body")"
[ "$(http_status "http://127.0.0.1:$port/products")" = 200 ] || fail "/products did not answer 200"
grep -q '"Release check product"' "$work/body" || fail "the CATALOG_FILE product is not listed: $(cat "$work/body")"
if grep -q '"demo-' "$work/body"; then fail "demo products were seeded in production"; fi
echo "/health 200, /ready 200, /products lists the catalogue"

db_tool snapshot "$database_url" > "$work/before.json"
npm run db:migrate && npm run db:seed
db_tool snapshot "$database_url" > "$work/after.json"
cmp -s "$work/before.json" "$work/after.json" || fail "running migrate and seed again changed the database"
echo "migrate and seed again: no change"

# SIGTERM goes to the server process itself, as tini or an orchestrator delivers it: npm
# does not pass signals on to its script (the container runs node itself, not npm).
# The server's exit code then comes back through npm.
node_pid="$(sed -n 's/.*"pid":\([0-9]*\).*"msg":"listening".*/\1/p' "$work/server.log" | head -n 1)"
[ -n "$node_pid" ] || fail "no pid in the server's 'listening' line"
kill -TERM "$node_pid"
set +e
wait "$server_pid"
code=$?
set -e
server_pid=""
node_pid=""
[ "$code" = 0 ] || fail "npm start exited with $code after SIGTERM"
grep -q '"shutdown complete"' "$work/server.log" || fail "no 'shutdown complete' in the server log"
echo "SIGTERM: exit code 0 after a clean shutdown"
