#!/usr/bin/env bash
# Runs the service the way the production image does, without Docker (there may be no engine):
# a fresh folder with only `npm ci --omit=dev`, the compiled dist/ and the files the Dockerfile
# copies, the image's ENV, and checks:
#   A0 image defaults alone (no platform, web chat off): refused at start, naming what to set.
#   A  image defaults + WEB_CHAT=on, memory store: ready, /healthz /readyz /metrics answer, the Dockerfile's
#      HEALTHCHECK command passes, SIGTERM exits 0; every file the process opens for writing is
#      listed (strace), which is what a read-only root filesystem would refuse.
#   B  read-only root filesystem (a private mount namespace), a tmpfs /tmp, uid 1000 (the image's
#      USER), Redis, LOG_FORMAT=pretty without pino-pretty installed: an answer in flight at
#      SIGTERM finishes and is saved, exit 0.
#   C  Redis goes away: /readyz says 503 naming the store while /healthz stays 200 (so the
#      liveness probe does not restart the pod), and both recover when Redis is back.
# Slow (an npm ci) and needs root (unshare, setpriv), strace and redis-server: run by hand, not
# in `npm test`:  bash test/manifests/prod-run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
REPO=$PWD
APP=$(mktemp -d /var/tmp/chatbot-prodrun.XXXXXX)
LOGS=$(mktemp -d /tmp/chatbot-prodrun-logs.XXXXXX)
chmod 755 "$APP"
started=()
cleanup() {
  for pid in "${started[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
  rm -rf "$APP"
}
trap cleanup EXIT

say() { printf '\n== %s\n' "$*"; }
ok() { printf '   ok: %s\n' "$*"; }
fail() {
  printf '   FAILED: %s (logs in %s)\n' "$*" "$LOGS"
  exit 1
}
now_ms() { date +%s%3N; }
free_port() {
  node -e 'const s = require("node:net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); });'
}
# Poll until GET $1 answers $2; prints the milliseconds it took. Gives up after $3 ms.
wait_status() {
  local url=$1 want=$2 limit=$3 start code
  start=$(now_ms)
  while true; do
    code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$url" || true)
    [ "$code" = "$want" ] && break
    [ $(($(now_ms) - start)) -gt "$limit" ] && return 1
    sleep 0.05
  done
  echo $(($(now_ms) - start))
}
rss_mib() { awk '/VmRSS/ { printf "%.0f", $2 / 1024 }' "/proc/$1/status"; }

# The image's runtime ENV and HEALTHCHECK, read from the Dockerfile itself.
image_env=()
while IFS= read -r line; do image_env+=("$line"); done < <(
  node --import tsx -e '
    import("./test/manifests/docker.ts").then(({ parseDockerfile, stageEnv }) => {
      const stage = parseDockerfile(require("node:fs").readFileSync("Dockerfile", "utf8")).at(-1);
      for (const [k, v] of Object.entries(stageEnv(stage))) if (k !== "PORT") console.log(`${k}=${v}`);
    });'
)
healthcheck_js=$(
  node --import tsx -e '
    import("./test/manifests/docker.ts").then(({ parseDockerfile, instructions, execForm }) => {
      const stage = parseDockerfile(require("node:fs").readFileSync("Dockerfile", "utf8")).at(-1);
      const cmd = execForm(instructions(stage, "HEALTHCHECK")[0]);
      if (cmd[0] !== "node" || cmd[1] !== "-e") throw new Error("expected node -e");
      console.log(cmd[2]);
    });'
)
echo "image ENV: ${image_env[*]}"

say "production dependencies only (npm ci --omit=dev --ignore-scripts)"
cp package.json package-lock.json "$APP/"
t=$(now_ms)
(cd "$APP" && npm ci --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error >"$LOGS/npm-ci.log" 2>&1) ||
  fail "npm ci"
ok "npm ci took $(($(now_ms) - t)) ms, node_modules $(du -sm "$APP/node_modules" | cut -f1) MiB, $(find "$APP/node_modules" -name package.json -path '*/node_modules/*/package.json' -not -path '*/node_modules/*/node_modules/*' | wc -l) top-level packages"
for dev in pino-pretty typescript tsx vitest yaml @biomejs/biome playwright-core; do
  [ ! -e "$APP/node_modules/$dev" ] || fail "dev dependency $dev is installed"
done
ok "no dev dependency present (pino-pretty, typescript, tsx, vitest, yaml, biome, playwright-core)"

say "build (what the build stage does) and copy what the Dockerfile copies"
t=$(now_ms)
node_modules/.bin/tsc -p tsconfig.build.json --outDir "$APP/dist" || fail "tsc"
ok "tsc took $(($(now_ms) - t)) ms; dist $(du -sm "$APP/dist" | cut -f1) MiB"
for data in src/tools/data/*.json; do
  [ -f "$APP/dist/${data#src/}" ] || fail "dist lacks ${data#src/}"
done
ok "bundled data emitted: $(cd "$APP/dist" && ls tools/data/*.json | tr '\n' ' ')"
mkdir -p "$APP/manifests" && cp manifests/discord-commands.json "$APP/manifests/"
chmod -R a+rX,go-w "$APP"
commands=$(cd "$APP" && node -e 'import("./dist/platforms/discord/commands.js").then(async (m) =>
  console.log((await m.loadCommandDefinitions()).map((c) => "/" + c.name).join(" ")))') ||
  fail "dist cannot read manifests/discord-commands.json"
ok "dist/platforms/discord/register.js finds the command manifest: $commands"

# --- A -------------------------------------------------------------------------------------
say "A0: image defaults alone (no platform, web chat off) are refused, naming what to set"
out=$(cd "$APP" && env -i PATH="$PATH" "${image_env[@]}" timeout 20 node dist/main.js 2>&1) && fail "started with nothing to serve"
grep -q "nothing to serve" <<<"$out" && grep -q SLACK_BOT_TOKEN <<<"$out" || fail "no clear reason: $out"
ok "image defaults alone exit 1: $(grep -o 'WEB_CHAT: nothing to serve[^.]*' <<<"$out")"

say "A: image defaults + WEB_CHAT=on (something to serve), memory store, every write traced"
PORT_A=$(free_port)
(cd "$APP" && exec env -i PATH="$PATH" "${image_env[@]}" PORT="$PORT_A" WEB_CHAT=on \
  strace -f -qq -o "$LOGS/a.strace" \
  -e trace=open,openat,creat,mkdir,mkdirat,rename,renameat,renameat2,unlink,unlinkat,truncate,symlink,link \
  node dist/main.js >"$LOGS/a.log" 2>&1) &
tracer=$!
started+=("$tracer")
ready_ms=$(wait_status "http://127.0.0.1:$PORT_A/readyz" 200 30000) || fail "A not ready in 30 s"
node_pid=$(pgrep -P "$tracer" -x node | head -1)
ok "ready after $ready_ms ms (spawn -> /readyz 200; under strace, which slows start-up)"
[ "$(curl -s "http://127.0.0.1:$PORT_A/healthz" | jq -r .status)" = ok ] || fail "/healthz"
curl -s "http://127.0.0.1:$PORT_A/readyz" | jq -c . | sed 's/^/   readyz: /'
# Read the whole body first: `curl | grep -q` under pipefail fails when grep stops reading early.
metrics=$(curl -s "http://127.0.0.1:$PORT_A/metrics")
grep -q '^process_resident_memory_bytes' <<<"$metrics" || fail "/metrics"
ok "/healthz 200, /readyz 200, /metrics has process metrics"
[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT_A/")" = 200 ] || fail "web chat page (WEB_CHAT=on)"
ok "GET / is 200: the web chat page"
PORT=$PORT_A node -e "$healthcheck_js" || fail "HEALTHCHECK command against a healthy service"
ok "the Dockerfile's HEALTHCHECK command exits 0"
head -1 "$LOGS/a.log" | jq -e .level >/dev/null || fail "log is not JSON"
heap_mib=$(curl -s "http://127.0.0.1:$PORT_A/metrics" |
  awk '/^nodejs_heap_size_used_bytes / { printf "%.0f", $2 / 1048576 }')
ok "logs are JSON; idle: RSS $(rss_mib "$node_pid") MiB, V8 heap used $heap_mib MiB"
t=$(now_ms)
kill -TERM "$node_pid"
code=0
wait "$tracer" || code=$?
ok "SIGTERM -> exit $code after $(($(now_ms) - t)) ms"
[ "$code" = 0 ] || fail "exit code $code on SIGTERM"
if PORT=$PORT_A node -e "$healthcheck_js"; then fail "HEALTHCHECK passes with the service gone"; fi
ok "the HEALTHCHECK command exits 1 once the service is gone"
writes=$(grep -E '^[0-9]+ +((mkdir|mkdirat|rename|renameat2?|unlink|unlinkat|truncate|symlink|link|creat)\(|open(at)?\(.*", [A-Z_|]*(O_WRONLY|O_RDWR|O_CREAT|O_TRUNC))' \
  "$LOGS/a.strace" | grep -vE '"/dev/(null|tty|pts|shm)|"/proc/' || true)
if [ -n "$writes" ]; then
  echo "$writes" | sed 's/^/   write: /' | head -20
  fail "the service opened files for writing"
fi
ok "no file opened for writing, created, renamed or removed outside /dev and /proc ($(wc -l <"$LOGS/a.strace") traced calls)"

# --- Redis for B and C ---------------------------------------------------------------------
REDIS_PORT=$(free_port)
start_redis() {
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save "" --appendonly no >>"$LOGS/redis.log" 2>&1 &
  started+=("$!")
  for _ in $(seq 1 100); do redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && return 0; sleep 0.05; done
  fail "redis-server did not start"
}
start_redis
PREFIX="prodrun-$$:"

# --- B -------------------------------------------------------------------------------------
say "B: read-only root, tmpfs /tmp, uid 1000, Redis, pretty logs without pino-pretty, SIGTERM mid-answer"
PORT_B=$(free_port)
unshare -m -- env -i PATH="$PATH" APP="$APP" "${image_env[@]}" PORT="$PORT_B" WEB_CHAT=on LOG_FORMAT=pretty \
  REDIS_URL="redis://127.0.0.1:$REDIS_PORT" KEY_PREFIX="$PREFIX" DEMO_FIRST_TOKEN_MS=1500 \
  sh -c 'mount -o remount,bind,ro / && mount -t tmpfs -o size=16m,mode=1777 tmpfs /tmp && cd "$APP" &&
    exec setpriv --reuid=1000 --regid=1000 --clear-groups node dist/main.js' >"$LOGS/b.log" 2>&1 &
node_pid=$!
started+=("$node_pid")
ready_ms=$(wait_status "http://127.0.0.1:$PORT_B/readyz" 200 30000) || fail "B not ready in 30 s"
ok "ready after $ready_ms ms (spawn -> /readyz 200)"
curl -s "http://127.0.0.1:$PORT_B/readyz" | jq -c . | sed 's/^/   readyz: /'
[ "$(awk '/^Uid/ { print $2 }' "/proc/$node_pid/status")" = 1000 ] || fail "not running as uid 1000"
ok "running as uid 1000 on a read-only root"
head -1 "$LOGS/b.log" | jq -e .level >/dev/null || fail "LOG_FORMAT=pretty without pino-pretty did not fall back to JSON"
ok "LOG_FORMAT=pretty with pino-pretty absent falls back to JSON logs"
session="prodrun-$$-session"
curl -s -X POST -H 'content-type: application/json' \
  -d "{\"sessionId\":\"$session\",\"text\":\"Hello! What can you help me with?\"}" \
  "http://127.0.0.1:$PORT_B/api/messages" | jq -c . | sed 's/^/   posted: /'
sleep 0.5
t=$(now_ms)
kill -TERM "$node_pid"
code=0
wait "$node_pid" || code=$?
ok "SIGTERM with an answer in flight -> exit $code after $(($(now_ms) - t)) ms"
[ "$code" = 0 ] || fail "exit code $code on SIGTERM"
grep -q '"activeTurns":1' "$LOGS/b.log" || fail "no answer was in flight at SIGTERM"
grep -q 'shutdown complete' "$LOGS/b.log" || fail "no 'shutdown complete'"
saved=$(redis-cli -p "$REDIS_PORT" --scan --pattern "${PREFIX}*" | grep -c history || true)
[ "$saved" -ge 1 ] || fail "the answered turn was not saved"
ok "the answer in flight finished and its turn was saved ($saved history key)"
erofs=$(grep -ciE 'EROFS|read-only file system|EACCES' "$LOGS/b.log" || true)
[ "$erofs" = 0 ] || fail "the log mentions EROFS/EACCES"
ok "no EROFS/EACCES in the log"

# --- C -------------------------------------------------------------------------------------
say "C: Redis stops and comes back"
PORT_C=$(free_port)
(cd "$APP" && exec env -i PATH="$PATH" "${image_env[@]}" PORT="$PORT_C" WEB_CHAT=on \
  REDIS_URL="redis://127.0.0.1:$REDIS_PORT" KEY_PREFIX="$PREFIX" node dist/main.js >"$LOGS/c.log" 2>&1) &
node_pid=$!
started+=("$node_pid")
wait_status "http://127.0.0.1:$PORT_C/readyz" 200 30000 >/dev/null || fail "C not ready"
redis-cli -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true
ms=$(wait_status "http://127.0.0.1:$PORT_C/readyz" 503 10000) || fail "/readyz stayed 200 without Redis"
ok "/readyz 503 $ms ms after Redis stopped: $(curl -s "http://127.0.0.1:$PORT_C/readyz" | jq -c .problems)"
[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT_C/healthz")" = 200 ] || fail "/healthz"
ok "/healthz still 200: liveness does not restart a pod for a store outage"
start_redis
ms=$(wait_status "http://127.0.0.1:$PORT_C/readyz" 200 15000) || fail "/readyz did not recover"
ok "/readyz 200 again $ms ms after Redis came back"
kill -TERM "$node_pid"
code=0
wait "$node_pid" || code=$?
[ "$code" = 0 ] || fail "exit code $code on SIGTERM"
ok "SIGTERM -> exit 0"
redis-cli -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true

rm -rf "$LOGS"
say "all checks passed"
