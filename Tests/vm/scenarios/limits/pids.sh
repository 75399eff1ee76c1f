#!/bin/sh
# pids: forkbomb under pids_limit 64 for 8 s never has more than 64 tasks, its forks fail with
# EAGAIN, the neighbour keeps its process, berth still starts `late` in the middle of it, and the
# bomb ends with nothing left in its leaf.
. /checks/lib.sh

LEAF=$CG/forkbomb

populated() { [ "$(kv "$LEAF/cgroup.events" populated)" = 1 ]; }

forkbomb_ended() {
    [ -n "$(q "SELECT 1 FROM runs WHERE service = 'forkbomb' AND ended_at IS NOT NULL")" ]
}

# Samples pids.current as fast as the shell can while the bomb runs (at most 30 s).
sample() {
    peak=0 samples=0 at_limit=0
    start=$(now)
    while populated; do
        read -r current < "$LEAF/pids.current"
        samples=$((samples + 1))
        [ "$current" -gt "$peak" ] && peak=$current
        [ "$current" -ge 64 ] && at_limit=$((at_limit + 1))
        awk -v a="$start" -v b="$(now)" 'BEGIN { exit !(b - a > 30) }' && break
        usleep 20000
    done
    sampled_for=$(elapsed "$start")
}

# pids.current never went above pids.max (64), and the kernel's own high-water mark agrees.
check_pids_bounded() {
    kernel_peak=$(cat "$LEAF/pids.peak" 2>/dev/null || echo null)
    [ "$samples" -ge 10 ] && [ "$peak" -le 64 ] && { [ "$kernel_peak" = null ] || [ "$kernel_peak" -le 64 ]; }
    report pids pids_bounded $? "pids.current peaked at $peak in $samples samples over ${sampled_for} s ($at_limit at the limit); pids.peak: $kernel_peak; pids.max $(cat "$LEAF/pids.max")" \
        "$(measured peak_sampled "$peak" samples "$samples" samples_at_limit "$at_limit" sampled_s "$sampled_for" pids_peak "$kernel_peak")"
}

# The limit made forks fail with EAGAIN: forkbomb says so, and so does pids.events.
check_forks_fail_eagain() {
    line=$(grep -o '{"created".*}' /run/berth/logs/forkbomb.log 2>/dev/null | tail -n 1)
    field() { echo "$line" | sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p"; }
    eagain=$(field eagain)
    max_events=$(kv "$LEAF/pids.events" max)
    [ "${eagain:-0}" -gt 0 ] || [ "${max_events:-0}" -gt 0 ]
    report pids forks_fail_eagain $? "forkbomb: ${line:-no summary line}; pids.events max ${max_events:-?}" \
        "$(measured created "$(field created)" failed "$(field failed)" eagain "${eagain:-null}" \
            forkbomb_peak "$(field peak)" pids_events_max "${max_events:-null}")"
}

check_neighbour_untouched() {
    pid_after=$(run_pid neighbour)
    start_after=$(start_time "$pid_after")
    neighbour_runs=$(q "SELECT count(*) FROM runs WHERE service = 'neighbour'")
    [ -n "$pid_before" ] && [ "$pid_before" = "$pid_after" ] && [ "$start_before" = "$start_after" ] && [ "$neighbour_runs" = 1 ]
    report pids neighbour_untouched $? "neighbour pid $pid_before -> $pid_after, start time $start_before -> $start_after, $neighbour_runs run(s)" \
        "$(measured pid "${pid_after:-null}" starttime_ticks "${start_after:-null}" runs "$neighbour_runs")"
}

# berth kept working during the bomb: it started `late` (after forkbomb-gate's 3 s) while
# forkbomb was at its limit, and `late` runs in its leaf.
check_berth_still_starts() {
    row=$(q "SELECT printf('%.2f', l.started_at - f.started_at), l.started_at < f.ended_at, l.pid
             FROM runs l, runs f WHERE l.service = 'late' AND f.service = 'forkbomb' ORDER BY l.started_at LIMIT 1")
    after=${row%%|*}
    rest=${row#*|}
    during=${rest%%|*}
    pid=${rest#*|}
    [ -n "$row" ] && [ "$during" = 1 ] && [ "$(cgroup_of "$pid")" = /late ]
    report pids berth_still_starts $? "late started ${after:-?} s after forkbomb, while it ran: $([ "$during" = 1 ] && echo yes || echo no); pid ${pid:-none} in $(cgroup_of "$pid")" \
        "$(measured late_started_after_s "${after:-null}" during_bomb "$([ "$during" = 1 ] && echo true || echo false)")"
}

# forkbomb ended by itself after 8 s (exit 0), and berth left nothing in its leaf.
check_ended_cleanly() {
    row=$(q "SELECT end_kind, ifnull(exit_code, ''), printf('%.2f', ended_at - started_at) FROM runs WHERE service = 'forkbomb'")
    populated_now=$(kv "$LEAF/cgroup.events" populated)
    procs=$(wc -l < "$LEAF/cgroup.procs")
    [ "${row%|*}" = "exited|0" ] && [ "$populated_now" = 0 ] && [ "$procs" = 0 ]
    report pids ended_cleanly $? "forkbomb run: $row (end_kind|exit_code|seconds); leaf populated $populated_now, $procs processes" \
        "$(measured ran_s "${row##*|}" leaf_processes "$procs")"
}

wait_for 30 has_run neighbour
pid_before=$(run_pid neighbour)
start_before=$(start_time "$pid_before")
wait_for 30 populated || echo "pids-check: forkbomb's leaf never got a process"
sample
wait_for 20 forkbomb_ended || echo "pids-check: forkbomb's run did not end within 20 s"
wait_for 10 has_run late

check_pids_bounded
check_forks_fail_eagain
check_neighbour_untouched
check_berth_still_starts
check_ended_cleanly
done_marker pids
