#!/usr/bin/env bash
# Starts the real lock-store servers the tests use, each on a free port of 127.0.0.1:
#   Redis, a throwaway PostgreSQL 15 cluster, and the Cloud Spanner emulator
#   (with instance `highlander` and database `highlander` in project `highlander-local`).
# Writes their addresses to $STATE_DIR/services.env once all three answer.
# Idempotent: servers that are all up and answering are left alone; a partial set is
# stopped (down.sh) and replaced by a fresh one.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../lib/common.sh
source "$here/../lib/common.sh"

svc=$STATE_DIR/services
env_file=$STATE_DIR/services.env
PG_BIN=/usr/lib/postgresql/15/bin
EMULATOR=/usr/lib/google-cloud-sdk/bin/cloud_spanner_emulator/emulator_main
SPANNER_PROJECT_ID=highlander-local
SPANNER_INSTANCE_ID=highlander
SPANNER_DATABASE_ID=highlander
start_ns=$(date +%s%N)

elapsed() { awk -v a="$start_ns" -v b="$(date +%s%N)" 'BEGIN { printf "%.1f", (b - a) / 1e9 }'; }

# Serialise with down.sh and with a second up.sh (make -j, two terminals): both would pick
# ports and write the same state files. down.sh, run from here, inherits the lock.
mkdir -p "$STATE_DIR"
exec 9<"$here"
flock -w 600 9 || die "another e2e/services up.sh or down.sh is still running"
export HIGHLANDER_SERVICES_LOCK_HELD=1

port_of() { cat "$svc/$1.port" 2>/dev/null; }
# port_open PORT: true when something accepts TCP connections on 127.0.0.1:PORT.
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
redis_ok() {
  local p; p=$(port_of redis) || return 1
  alive "$svc/redis.pid" && [ "$(redis-cli -h 127.0.0.1 -p "$p" ping 2>/dev/null)" = PONG ]
}
postgres_ok() {
  local p; p=$(port_of postgres) || return 1
  alive "$svc/postgres.pid" && "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$p"
}
spanner_ok() {
  local p; p=$(port_of spanner) || return 1
  alive "$svc/spanner.pid" && port_open "$p"
}

# 1. Already up?
if [ -f "$env_file" ] && redis_ok && postgres_ok && spanner_ok; then
  log "services already up: redis :$(port_of redis), postgres :$(port_of postgres), spanner emulator :$(port_of spanner) ($env_file)"
  exit 0
fi
if [ -e "$svc" ] || [ -e "$env_file" ]; then
  log "services only partly up: stopping them and starting afresh"
  bash "$here/down.sh"
fi

# 2. Redis from Debian's package. Its maintainer script may start Debian's own service on
# 6379 (not where policy-rc.d forbids it, as in containers); ours runs on its own port, so
# stop a service that the install itself started, and only that one.
debian_redis_pid() {
  ss -Hltnp 'sport = :6379' 2>/dev/null | sed -n 's/.*"redis-server",pid=\([0-9]*\).*/\1/p' | head -1
}
if ! command -v redis-server >/dev/null || ! command -v redis-cli >/dev/null; then
  before=$(debian_redis_pid)
  apt_install redis-server redis-tools
  if [ -z "$before" ] && [ -n "$(debian_redis_pid)" ]; then
    log "stopping the redis-server service that the Debian package started on 6379"
    service redis-server stop >/dev/null 2>&1 || true
    pid=$(debian_redis_pid)
    if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; fi
  fi
fi
[ -x "$PG_BIN/initdb" ] || die "PostgreSQL 15 not found in $PG_BIN"
[ -x "$EMULATOR" ] || die "Cloud Spanner emulator not found at $EMULATOR"

mkdir -p "$svc"
ok=0
spanner_init_pid=
on_exit() {
  [ "$ok" = 1 ] && return 0
  if [ -n "$spanner_init_pid" ]; then kill "$spanner_init_pid" 2>/dev/null || true; fi
  local f
  for f in "$svc"/*.log; do
    [ -f "$f" ] || continue
    echo "--- $f (last 20 lines)" >&2
    tail -n 20 "$f" >&2
  done
  log "services failed to start; stopping what did start"
  bash "$here/down.sh" || true
}
trap on_exit EXIT

# Distinct ports: free_port releases each port at once, so two calls could in theory agree.
redis_port=$(free_port)
pg_port=$(free_port)
spanner_port=$(free_port)
while [ "$pg_port" = "$redis_port" ]; do pg_port=$(free_port); done
while [ "$spanner_port" = "$redis_port" ] || [ "$spanner_port" = "$pg_port" ]; do spanner_port=$(free_port); done
echo "$redis_port" > "$svc/redis.port"
echo "$pg_port" > "$svc/postgres.port"
echo "$spanner_port" > "$svc/spanner.port"

# 3. Launch the emulator and Redis first: they come up while initdb runs.
# setsid makes the emulator its own process group, so down.sh can stop it with any children.
# Every server gets 9<&-: one that inherited the lock's descriptor would hold the lock for life.
setsid "$EMULATOR" --host_port="127.0.0.1:$spanner_port" >"$svc/spanner.log" 2>&1 </dev/null 9<&- &
echo $! > "$svc/spanner.pid"

redis-server --daemonize yes --pidfile "$svc/redis.pid" --logfile "$svc/redis.log" --dir "$svc" \
  --bind 127.0.0.1 --port "$redis_port" --save '' --appendonly no --protected-mode yes </dev/null 9<&-

# 4. Spanner instance and database, in the background while PostgreSQL initialises.
wait_until 60 "spanner emulator on :$spanner_port" port_open "$spanner_port" \
  || die "spanner emulator did not listen on :$spanner_port"
alive "$svc/spanner.pid" || die "spanner emulator exited"
(
  cd "$REPO_ROOT"
  SPANNER_EMULATOR_HOST=127.0.0.1:$spanner_port GOOGLE_CLOUD_SPANNER_MULTIPLEXED_SESSIONS=false \
  SPANNER_PROJECT_ID=$SPANNER_PROJECT_ID SPANNER_INSTANCE_ID=$SPANNER_INSTANCE_ID \
  SPANNER_DATABASE_ID=$SPANNER_DATABASE_ID METADATA_SERVER_DETECTION=none \
    exec node --import tsx "$here/spanner-init.ts"
) >"$svc/spanner-init.log" 2>&1 </dev/null 9<&- &
spanner_init_pid=$!

# 5. PostgreSQL: a throwaway cluster as the postgres user (initdb refuses root). Data and
# the socket live in a temp dir that down.sh removes; its path is kept in postgres.dir.
pg_dir=$(mktemp -d -t highlander-pg.XXXXXXXX)
echo "$pg_dir" > "$svc/postgres.dir"
chown postgres:postgres "$pg_dir"
as_postgres() { (cd "$pg_dir" && runuser -u postgres -- "$@"); }
as_postgres "$PG_BIN/initdb" -D "$pg_dir/data" -U postgres -A trust -E UTF8 --locale=C \
  --no-sync --no-instructions >"$svc/initdb.log" 2>&1 || die "initdb failed (see $svc/initdb.log)"
# The log must be writable by postgres, so it lives in the temp dir; link it for people.
ln -sf "$pg_dir/postgres.log" "$svc/postgres.log"
# fsync and friends off: the data is thrown away, and commits get faster.
as_postgres "$PG_BIN/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/postgres.log" -w -t 60 \
  -o "-c listen_addresses=127.0.0.1 -c port=$pg_port -c unix_socket_directories=$pg_dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
  start >/dev/null 9<&- || die "PostgreSQL did not start"
head -n 1 "$pg_dir/data/postmaster.pid" > "$svc/postgres.pid"
"$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$pg_port" -U postgres -d postgres \
  -c "CREATE ROLE highlander LOGIN PASSWORD 'highlander'" \
  -c "CREATE DATABASE highlander OWNER highlander" >/dev/null

# 6. Everyone answering?
wait_until 30 "redis on :$redis_port" redis_ok || die "redis did not answer"
wait "$spanner_init_pid" || die "spanner-init.ts failed (see $svc/spanner-init.log)"
spanner_init_pid=
postgres_ok || die "PostgreSQL stopped answering"
spanner_ok || die "spanner emulator stopped answering"

tmp=$(mktemp "$STATE_DIR/.services.env.XXXXXX")
cat > "$tmp" <<ENV
REDIS_ADDR=127.0.0.1:$redis_port
DATABASE_URL=postgres://highlander:highlander@127.0.0.1:$pg_port/highlander?sslmode=disable
SPANNER_EMULATOR_HOST=127.0.0.1:$spanner_port
SPANNER_PROJECT_ID=$SPANNER_PROJECT_ID
SPANNER_INSTANCE_ID=$SPANNER_INSTANCE_ID
SPANNER_DATABASE_ID=$SPANNER_DATABASE_ID
GOOGLE_CLOUD_SPANNER_MULTIPLEXED_SESSIONS=false
METADATA_SERVER_DETECTION=none
ENV
chmod 644 "$tmp"
mv "$tmp" "$env_file"
ok=1
log "services up in $(elapsed) s: redis :$redis_port, postgres :$pg_port, spanner emulator :$spanner_port ($env_file)"
