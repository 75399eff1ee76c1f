# Helpers for the VM checkers (busybox sh). Sourced: `. /checks/lib.sh`.
#
# A checker prints one line per check on stdout:
#   BERTH-VM {"scenario": "...", "check": "...", "ok": true, "detail": "...", "measured": {...}}
# berth relays it to the console as `<service> | BERTH-VM ...`, where Tests/vm/run.py reads it.

export PATH=/bin:/usr/bin
CG=/sys/fs/cgroup
DB=/run/berth/berth.db
DONE=/run/vm-done

# q SQL: one query on berth's history (rows on lines, columns separated by |).
q() {
    sqlite3 -batch -noheader -cmd '.timeout 5000' "$DB" "$1" 2>/dev/null
}

# now: seconds since boot, with hundredths (for waits and durations inside the guest).
now() {
    cut -d' ' -f1 /proc/uptime
}

# elapsed SINCE: seconds since the `now` value SINCE.
elapsed() {
    awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'
}

# Escapes a string for JSON (backslashes, quotes, tabs; newlines become "; ").
json_string() {
    printf '%s' "$1" | awk 'BEGIN { ORS = "" } { gsub(/\\/, "\\\\"); gsub(/"/, "\\\""); gsub(/\t/, " ");
        if (NR > 1) print "; "; print }'
}

# measured KEY VALUE [KEY VALUE...]: a JSON object; numbers, true/false/null and [..]/{..}
# stay bare, anything else is quoted.
measured() {
    out="" sep=""
    while [ $# -ge 2 ]; do
        value=$2
        case "$value" in
            true | false | null | \[*\] | \{*\}) ;;
            *)
                if ! printf '%s' "$value" | grep -Eq '^-?[0-9]+(\.[0-9]+)?$'; then
                    value="\"$(json_string "$value")\""
                fi
                ;;
        esac
        out="$out$sep\"$1\": $value"
        sep=", "
        shift 2
    done
    printf '{%s}' "$out"
}

# report SCENARIO CHECK OK DETAIL [MEASURED]: OK is 0 (passed) or anything else (failed),
# so that `[ ... ]; report ... $?` reads naturally.
report() {
    ok=false
    [ "$3" = 0 ] && ok=true
    numbers=$5
    [ -n "$numbers" ] || numbers='{}'
    printf 'BERTH-VM {"scenario": "%s", "check": "%s", "ok": %s, "detail": "%s", "measured": %s}\n' \
        "$1" "$2" "$ok" "$(json_string "$4")" "$numbers"
}

# wait_for SECONDS COMMAND...: runs COMMAND every 0.1 s until it succeeds; fails after SECONDS.
wait_for() {
    limit=$1
    shift
    start=$(now)
    until "$@"; do
        if awk -v a="$start" -v b="$(now)" -v l="$limit" 'BEGIN { exit !(b - a > l) }'; then
            return 1
        fi
        usleep 100000
    done
}

# sleep_until SINCE SECONDS: sleeps until SECONDS after the `now` value SINCE.
sleep_until() {
    left=$(awk -v a="$1" -v s="$2" -v b="$(now)" 'BEGIN { d = a + s - b; printf "%d", (d > 0 ? d * 1000000 : 0) }')
    [ "$left" -gt 0 ] && usleep "$left"
    return 0
}

# run_pid SERVICE: the pid of SERVICE's current run (the latest, not ended), from the history.
run_pid() {
    q "SELECT pid FROM runs WHERE service = '$1' AND ended_at IS NULL ORDER BY started_at DESC LIMIT 1"
}

# has_run SERVICE: whether SERVICE has started at least once.
has_run() {
    [ -n "$(q "SELECT 1 FROM runs WHERE service = '$1' LIMIT 1")" ]
}

# start_time PID: the process's start time (field 22 of /proc/PID/stat), empty once it is gone.
start_time() {
    stat_fields "$1" | awk '{ print $20 }'
}

# stat_fields PID: /proc/PID/stat from the state on (field 3), so that a command name with
# spaces or parentheses cannot shift the fields: $1 = state, $2 = ppid, $20 = starttime.
stat_fields() {
    sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null
}

# cgroup_of PID: the process's cgroup v2 path (`/web`), empty once it is gone.
cgroup_of() {
    sed -n 's/^0:://p' "/proc/$1/cgroup" 2>/dev/null
}

# kv FILE KEY: the value of KEY in a flat-keyed cgroup file (memory.events, cpu.stat...).
kv() {
    awk -v k="$2" '$1 == k { print $2; found = 1 } END { if (!found) print "" }' "$1" 2>/dev/null
}

# done_marker SCENARIO: tells finish.sh this scenario has reported everything.
done_marker() {
    mkdir -p "$DONE" && touch "$DONE/$1"
}
