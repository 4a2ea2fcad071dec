#!/usr/bin/env bash
# Stops the lock-store servers that up.sh started and removes their state:
# $STATE_DIR/services/, $STATE_DIR/services.env and PostgreSQL's temp dir.
# Idempotent, and quiet when nothing is up.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../lib/common.sh
source "$here/../lib/common.sh"

svc=$STATE_DIR/services
env_file=$STATE_DIR/services.env
PG_BIN=/usr/lib/postgresql/15/bin

# Same lock as up.sh, unless up.sh itself runs us while holding it.
if [ -z "${HIGHLANDER_SERVICES_LOCK_HELD:-}" ]; then
  exec 9<"$here"
  flock -w 600 9 || die "another e2e/services up.sh or down.sh is still running"
fi

[ -e "$svc" ] || [ -e "$env_file" ] || exit 0

# ours PIDFILE COMM: prints the pid in PIDFILE if that process still runs as COMM, so that a
# stale pidfile whose number now belongs to some other process never gets that one killed.
ours() {
  local pid
  [ -f "$1" ] || return 0
  pid=$(cat "$1")
  [[ $pid =~ ^[0-9]+$ ]] || return 0
  [ "$(ps -o comm= -p "$pid" 2>/dev/null)" = "$2" ] && echo "$pid"
  return 0
}

# gone PID: true once PID has exited. A zombie counts: orphans are reaped by PID 1, which on
# some machines takes seconds or never happens, and kill -0 still succeeds on a zombie.
gone() {
  ! kill -0 "$1" 2>/dev/null || [ "$(ps -o stat= -p "$1" 2>/dev/null | cut -c1)" = Z ]
}

# finish PIDFILE NAME PID: waits for a signalled PID to exit; stop_pidfile's SIGKILL if not.
finish() {
  local f=$1 name=$2 pid=$3
  if [ -n "$pid" ] && ! wait_until 10 "$name to exit" gone "$pid"; then
    stop_pidfile "$f" "$name"
  fi
  rm -f "$f"
}

redis_pid=$(ours "$svc/redis.pid" redis-server)
spanner_pid=$(ours "$svc/spanner.pid" emulator_main)
pg_pid=$(ours "$svc/postgres.pid" postgres)
pg_dir=$(cat "$svc/postgres.dir" 2>/dev/null || true)

# Signal everything first so that the three shutdowns overlap.
if [ -n "$redis_pid" ]; then kill "$redis_pid" 2>/dev/null || true; fi
if [ -n "$spanner_pid" ]; then
  # up.sh started the emulator with setsid: signal its whole group, children included.
  if [ "$(ps -o pgid= -p "$spanner_pid" 2>/dev/null | tr -d ' ')" = "$spanner_pid" ]; then
    kill -- "-$spanner_pid" 2>/dev/null || true
  else
    kill "$spanner_pid" 2>/dev/null || true
  fi
fi
if [ -n "$pg_dir" ] && [ -f "$pg_dir/data/postmaster.pid" ]; then
  (cd / && runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$pg_dir/data" stop -m fast -w -t 20) >/dev/null 2>&1 \
    || log "pg_ctl stop failed; signalling the postmaster"
fi
# SIGINT is PostgreSQL's fast shutdown, the same as pg_ctl -m fast.
if [ -n "$pg_pid" ] && ! gone "$pg_pid"; then kill -INT "$pg_pid" 2>/dev/null || true; fi

finish "$svc/redis.pid" redis "$redis_pid"
finish "$svc/spanner.pid" "spanner emulator" "$spanner_pid"
finish "$svc/postgres.pid" postgres "$pg_pid"
# Zombies don't count: they are gone already, waiting for PID 1 to reap them.
if [ -n "$spanner_pid" ] && ps -o stat= --sid "$spanner_pid" 2>/dev/null | grep -qv '^Z'; then
  log "spanner emulator left processes behind; killing its process group"
  kill -9 -- "-$spanner_pid" 2>/dev/null || true
fi

# Anything of ours still listening on one of our ports (a pidfile lost or overwritten) goes too.
for name in redis postgres spanner; do
  port=$(cat "$svc/$name.port" 2>/dev/null || true)
  [[ $port =~ ^[0-9]+$ ]] || continue
  for pid in $(ss -Hltnp "sport = :$port" 2>/dev/null | grep -o 'pid=[0-9]*' | cut -d= -f2 | sort -u); do
    case $(ps -o comm= -p "$pid" 2>/dev/null) in
      redis-server|postgres|emulator_main|gateway_main)
        log "$name: pid $pid still listening on :$port; killing it"
        kill -9 "$pid" 2>/dev/null || true ;;
    esac
  done
done

# Only ever remove a directory that up.sh's mktemp made.
if [ -n "$pg_dir" ] && [ -d "$pg_dir" ] && [[ $(basename "$pg_dir") == highlander-pg.* ]]; then
  rm -rf "$pg_dir"
fi
rm -rf "$svc" "$env_file"
log "services down"
