#!/bin/sh
# pids (and every scenario of this boot): once SIGTERM to PID 1 has stopped the stack, no leaf
# holds a process any more, and `forkbomb-held`, at its pids limit until then, was stopped
# cleanly: SIGTERM, within its grace period, no SIGKILL escalation. Every other service depends
# on this one, so berth stops it last, and its own SIGTERM means the rest is down.
. /checks/lib.sh

HELD=forkbomb-held
GRACE_MS=10000

stop_recorded() {
    [ -n "$(q "SELECT 1 FROM events WHERE service = 'leaves-check' AND kind = 'stopping'")" ]
}

check_leaf_empty_after_stop() {
    busy="" leaves=0
    for leaf in "$CG"/*/; do
        leaf=${leaf%/}
        name=${leaf##*/}
        { [ "$name" = supervisor ] || [ "$name" = leaves-check ]; } && continue
        leaves=$((leaves + 1))
        [ "$(kv "$leaf/cgroup.events" populated)" = 0 ] || busy="$busy $name($(wc -l < "$leaf/cgroup.procs"))"
    done
    row=$(q "SELECT CAST(round((e.time - s.time) * 1000) AS INTEGER), e.detail FROM events s, events e
             WHERE s.service = '$HELD' AND s.kind = 'stopping' AND e.service = '$HELD' AND e.kind = 'stopped'")
    stop_ms=${row%%|*}
    how=${row#*|}
    killed=$(q "SELECT count(*) FROM events WHERE service = '$HELD' AND kind = 'killed'")
    summary=$(grep -o '{"created".*}' "/run/berth/logs/$HELD.log" 2>/dev/null | tail -n 1)
    [ -z "$busy" ] && [ "$leaves" -ge 10 ] && [ -n "$row" ] && [ "$stop_ms" -le "$GRACE_MS" ] && [ "$killed" = 0 ]
    report pids leaf_empty_after_stop $? "$HELD stopped in ${stop_ms:-?} ms ($how; SIGKILL escalations: $killed; its summary: ${summary:-none}); $leaves leaves after the stop: ${busy:+still populated:}${busy:-all empty}" \
        "$(measured stop_ms "${stop_ms:-null}" escalations "$killed" leaves_checked "$leaves" \
            populated_leaves "$(echo $busy | wc -w)" held_pids_before_stop "${held_pids:-null}")"
}

on_term() {
    wait_for 10 stop_recorded
    check_leaf_empty_after_stop
    exit 0
}

trap on_term TERM
while :; do
    # How many tasks forkbomb-held has until berth stops it (at its limit, 64).
    read -r held_pids 2>/dev/null < "$CG/$HELD/pids.current"
    sleep 1 &
    wait $!
done
