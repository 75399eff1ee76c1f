#!/bin/sh
# restart_storm: `crasher` fails every 50 ms under `restart: always` for 30 s. The backoff holds
# it to a handful of runs, berth's memory does not grow, and the neighbours are untouched.
. /checks/lib.sh

WINDOW=30       # seconds of storm, from crasher's first start
NEIGHBOURS="db app web"

# epoch_now: the wall clock as berth's history stores it (Unix seconds with fraction).
epoch_now() {
    q "SELECT printf('%.3f', (julianday('now') - 2440587.5) * 86400.0)"
}

rss_kib() {
    awk '$1 == "VmRSS:" { print $2 }' /proc/1/status
}

# The anonymous part of berth's RSS: heap and stacks, where a leak would show. The file-backed
# rest is berth's code: berth hands its start-up pages back to the kernel once everything has
# started and again a minute later, and the code the loop uses is paged back in as it runs, so
# that part rises after a start without anything growing.
anon_kib() {
    awk '$1 == "RssAnon:" { print $2 }' /proc/1/status
}

# neighbour_state: `name:pid:starttime:runs` for each neighbour.
neighbour_state() {
    for service in $NEIGHBOURS; do
        pid=$(run_pid "$service")
        echo "$service:$pid:$(start_time "$pid"):$(q "SELECT count(*) FROM runs WHERE service = '$service'")"
    done | tr '\n' ' '
}

# crasher_runs: `restart_count|backoff_ms|gap_ms` per run started within the window, where gap
# is the time from the end of the run before to this start.
crasher_runs() {
    q "SELECT restart_count, ifnull(backoff_ms, 'null'),
              ifnull(CAST(round((started_at - lag(ended_at) OVER (ORDER BY started_at)) * 1000) AS INTEGER), 'null')
       FROM runs WHERE service = 'crasher' AND started_at <= $first + $WINDOW ORDER BY started_at"
}

# Run n (from 0) waited 100 ms * 2^(n-1) before it started, and really waited that long.
check_backoff_doubles() {
    runs=$(crasher_runs)
    verdict=$(echo "$runs" | awk -F'|' '
        { n = NR - 1
          want = (n == 0 ? "null" : (n == 1 ? 100 : want * 2))
          if ($1 != n) bad = bad " run " n ": restart_count " $1
          if ($2 != want) bad = bad " run " n ": backoff_ms " $2 " (want " want ")"
          if (n > 0 && $3 + 0 < want * 0.95) bad = bad " run " n ": started " $3 " ms after the last ended (backoff " want ")" }
        END { print (bad == "" ? "ok" : bad) }')
    backoffs=$(echo "$runs" | awk -F'|' '{ printf "%s%s", (NR > 1 ? "," : ""), $2 }')
    gaps=$(echo "$runs" | awk -F'|' '{ printf "%s%s", (NR > 1 ? "," : ""), $3 }')
    [ "$verdict" = ok ]
    report restart_storm backoff_doubles $? "backoff_ms per run: $backoffs; measured gaps (ms): $gaps; $verdict" \
        "$(measured backoff_ms "[$backoffs]" gap_ms "[$gaps]")"
}

# 100+200+...+12800 ms = 25.5 s: 9 runs start within 30 s (8-10 accepted).
check_run_count() {
    count=$(q "SELECT count(*) FROM runs WHERE service = 'crasher' AND started_at <= $first + $WINDOW")
    failed=$(q "SELECT count(*) FROM runs WHERE service = 'crasher' AND end_kind = 'exited' AND exit_code = 1")
    [ "$count" -ge 8 ] && [ "$count" -le 10 ]
    report restart_storm run_count $? "$count runs of crasher in the first $WINDOW s (expected about 9; $failed exited with 1)" \
        "$(measured runs_in_window "$count" exited_1 "$failed" window_s "$WINDOW")"
}

# berth's anonymous memory at 30 s is at most 1 MiB above what it was at 5 s, and its whole
# RSS stays under 20 MiB.
check_rss_stable() {
    growth=$((anon_30 - anon_5))
    [ "$growth" -le 1024 ] && [ "$rss_30" -le 20480 ]
    report restart_storm rss_stable $? "berth RssAnon ${anon_5} KiB at 5 s, ${anon_30} KiB at ${WINDOW} s (growth ${growth} KiB, limit 1024); VmRSS ${rss_5} -> ${rss_30} KiB (limit 20480)" \
        "$(measured anon_5s_kib "$anon_5" anon_30s_kib "$anon_30" growth_kib "$growth" rss_5s_kib "$rss_5" rss_30s_kib "$rss_30")"
}

# db, app and web kept their single run: same pid, same start time.
check_neighbours_untouched() {
    # Each neighbour must still be there (pid, start time) with its first and only run.
    broken=$(echo "$neighbours_after" | tr ' ' '\n' | awk -F: 'NF && ($2 == "" || $3 == "" || $4 != 1) { printf "%s ", $1 }')
    [ "$neighbours_before" = "$neighbours_after" ] && [ -z "$broken" ]
    report restart_storm neighbours_untouched $? "before: $neighbours_before; after: $neighbours_after (service:pid:starttime:runs)" \
        "$(measured neighbours "$neighbours_after")"
}

has_run crasher || wait_for 30 has_run crasher
wait_for 30 has_run web
first=$(q "SELECT started_at FROM runs WHERE service = 'crasher' ORDER BY started_at LIMIT 1")
# The moment of crasher's first start, on this shell's uptime clock.
t_first=$(awk -v u="$(now)" -v e="$(epoch_now)" -v f="$first" 'BEGIN { printf "%.2f", u - (e - f) }')
neighbours_before=$(neighbour_state)

sleep_until "$t_first" 5
rss_5=$(rss_kib)
anon_5=$(anon_kib)
sleep_until "$t_first" "$WINDOW"
rss_30=$(rss_kib)
anon_30=$(anon_kib)
neighbours_after=$(neighbour_state)

check_backoff_doubles
check_run_count
check_rss_stable
check_neighbours_untouched

# Stop the stack once the orphan checks are done too: stop-check reports the stop itself.
wait_for 30 test -e "$DONE/orphans"
kill -TERM 1
exec sleep 600
