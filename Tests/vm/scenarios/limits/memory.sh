#!/bin/sh
# memory: memhog wants 200 MiB under mem_limit 64m (no swap): the OOM killer takes its whole
# leaf (memory.oom.group), berth records `oom_killed` and restarts it by on-failure:2 (3 runs,
# then it gives up), memory.events agrees with the history, and the neighbour is untouched.
. /checks/lib.sh

gave_up() {
    # Read memory.events on every poll, so that the last value before the end is known.
    events=$(cat "$CG/memhog/memory.events" 2>/dev/null | tr '\n' ' ')
    [ -n "$(q "SELECT 1 FROM events WHERE service = 'memhog' AND kind = 'gave_up'")" ]
}

event_count() {
    echo "$events" | awk -v k="$1" '{ for (i = 1; i < NF; i += 2) if ($i == k) print $(i + 1) }'
}

# Every run of memhog ended OOM-killed, by SIGKILL, with nothing left in its leaf.
check_oom_killed_runs() {
    kinds=$(q "SELECT group_concat(end_kind || '/' || ifnull(signal, '-'), ',') FROM (SELECT end_kind, signal FROM runs
               WHERE service = 'memhog' ORDER BY started_at)")
    populated=$(kv "$CG/memhog/cgroup.events" populated)
    [ "$oom_runs" -ge 1 ] && [ "$oom_runs" = "$runs" ] && [ "$populated" = 0 ]
    report memory oom_killed_runs $? "memhog runs ended: $kinds (end_kind/signal); leaf populated: $populated" \
        "$(measured runs "$runs" oom_killed_runs "$oom_runs" leaf_populated "$populated" \
            memory_max "$(cat "$CG/memhog/memory.max")" memory_peak_bytes "$(cat "$CG/memhog/memory.peak" 2>/dev/null || echo null)")"
}

# on-failure:2: the first run and two restarts (restart_count 0, 1, 2, backoff 100 ms, 200 ms),
# then `gave_up`.
check_restart_policy() {
    counts=$(q "SELECT group_concat(restart_count || '/' || ifnull(backoff_ms, '-'), ',') FROM (SELECT restart_count, backoff_ms
                FROM runs WHERE service = 'memhog' ORDER BY started_at)")
    detail=$(q "SELECT detail FROM events WHERE service = 'memhog' AND kind = 'gave_up'")
    [ "$counts" = "0/-,1/100,2/200" ] && [ -n "$detail" ]
    report memory restart_policy $? "runs (restart_count/backoff_ms): $counts; gave up: ${detail:-no}" \
        "$(measured runs "$runs" restart_counts "$counts")"
}

# The kernel's count of OOM group kills in memhog's leaf is the history's count of OOM-killed runs.
check_oom_events_agree() {
    group_kills=$(event_count oom_group_kill)
    kills=$(event_count oom_kill)
    counted=${group_kills:-$kills}
    [ -n "$counted" ] && [ "$counted" = "$oom_runs" ]
    report memory oom_events_agree $? "memory.events: $events; oom_killed runs in the history: $oom_runs" \
        "$(measured oom "$(event_count oom)" oom_kill "${kills:-null}" oom_group_kill "${group_kills:-null}" \
            max "$(event_count max)" oom_killed_runs "$oom_runs")"
}

# The neighbour kept its one process: same pid, same start time, one run.
check_neighbour_untouched() {
    pid_after=$(run_pid neighbour)
    start_after=$(start_time "$pid_after")
    neighbour_runs=$(q "SELECT count(*) FROM runs WHERE service = 'neighbour'")
    [ -n "$pid_before" ] && [ "$pid_before" = "$pid_after" ] && [ "$start_before" = "$start_after" ] && [ "$neighbour_runs" = 1 ]
    report memory neighbour_untouched $? "neighbour pid $pid_before -> $pid_after, start time $start_before -> $start_after, $neighbour_runs run(s)" \
        "$(measured pid "${pid_after:-null}" starttime_ticks "${start_after:-null}" runs "$neighbour_runs")"
}

wait_for 30 has_run neighbour
pid_before=$(run_pid neighbour)
start_before=$(start_time "$pid_before")
events=""
wait_for 90 gave_up || echo "memory-check: memhog did not give up within 90 s"
gave_up
runs=$(q "SELECT count(*) FROM runs WHERE service = 'memhog'")
oom_runs=$(q "SELECT count(*) FROM runs WHERE service = 'memhog' AND end_kind = 'oom_killed'")

check_oom_killed_runs
check_restart_policy
check_oom_events_agree
check_neighbour_untouched
done_marker memory
