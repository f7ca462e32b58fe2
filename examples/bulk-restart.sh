#!/usr/bin/env bash
# A bulk restart over 50 (fake) hosts as ONE durable run: `baton run examples/bulk-restart.sh`.
#
# Each host's restart is a `baton step`: recorded when it ends, so if baton is killed
# half-way, `baton resume <run>` runs this script again from the top and every step that
# already succeeded returns its recorded output at once; only the hosts not yet restarted
# are restarted. The "restart" appends the host's name to a marker file, so you can see
# that no host was restarted twice.
#
# Environment (all optional):
#   HOSTS          how many hosts (default 50)
#   PARALLEL       restarts at once (default 5)
#   RESTART_PAUSE  seconds each restart takes (default 0)
#   MARKER         the marker file (default /tmp/baton-bulk-restart-<run id>.log)
set -euo pipefail

HOSTS="${HOSTS:-50}"
PARALLEL="${PARALLEL:-5}"
RESTART_PAUSE="${RESTART_PAUSE:-0}"
MARKER="${MARKER:-${TMPDIR:-/tmp}/baton-bulk-restart-$BATON_RUN_ID.log}"

# The inventory is a step too: on a resume its recorded stdout comes back, so the script
# restarts the same hosts even if the inventory changed meanwhile.
hosts=$(baton step list-hosts -- sh -c 'i=1; while [ "$i" -le "$1" ]; do printf "web-%02d\n" "$i"; i=$((i + 1)); done' list-hosts "$HOSTS")

# Values reach the command as arguments ($1, $2...), never pasted into its text.
restart() {
  baton step "restart-$1" --retry 3 --delay 200ms -- \
    sh -c 'sleep "$2"; echo "$1" >> "$3"; echo "restarted $1"' restart "$1" "$RESTART_PAUSE" "$MARKER"
}

# $PARALLEL restarts at a time; with `set -e`, one that failed (after its retries) stops
# the script. (Batches rather than `wait -n`, which the bash 3.2 of macOS lacks.)
batch=()
for host in $hosts; do
  restart "$host" &
  batch+=("$!")
  if [ "${#batch[@]}" -ge "$PARALLEL" ]; then
    for pid in "${batch[@]}"; do wait "$pid"; done
    batch=()
  fi
done
for pid in ${batch[@]+"${batch[@]}"}; do wait "$pid"; done

# Every host restarted: each name in the marker file (sort -u: a restart that was running
# when baton was killed may have run twice, which is what its idempotency key is for).
missing=$(baton step verify -- sh -c 'printf "%s\n" $1 | sort > "$2.want"; sort -u "$2" | comm -23 "$2.want" -; rm -f "$2.want"' verify "$hosts" "$MARKER")
if [ -n "$missing" ]; then
  echo "not restarted: $missing" >&2
  exit 1
fi

baton summary "restarted $(printf '%s\n' $hosts | wc -l | tr -d ' ') hosts, $PARALLEL at a time; marker: $MARKER"
