#!/bin/sh
# pid1: SIGTERM to PID 1 stops the stack in reverse dependency order, each service within its
# grace period. Every other service depends on this one, so berth stops it last: when its own
# SIGTERM arrives, the rest of the stop is in the history.
. /checks/lib.sh

# Who depends on whom (dependent dependency), as in stack.yml.
EDGES="web:app app:db db:stop-check orphans:stop-check orphan-check:stop-check orphan-check:orphans
crasher:stop-check crasher:web storm-check:stop-check storm-check:web"
# stop_grace_period per service (seconds); 10 s, Compose's default, for the others.
grace() {
    case "$1" in
        db) echo 5 ;;
        app) echo 3 ;;
        stop-check) echo 20 ;;
        *) echo 10 ;;
    esac
}

# ended_at SERVICE: when the service was last done (stopped, or ended on its own).
ended_at() {
    q "SELECT max(time) FROM events WHERE service = '$1' AND kind IN ('stopped', 'exited', 'gave_up')"
}

# stop_began SERVICE: when berth began to stop it (its `stopping` event, or `stopped` for a
# service that was only waiting to restart).
stop_began() {
    q "SELECT min(time) FROM events WHERE service = '$1' AND kind IN ('stopping', 'stopped')
       AND time >= (SELECT max(time) FROM events WHERE service IS NULL AND kind = 'stopping')"
}

# Each dependent was down before berth began to stop what it depends on.
check_stop_order() {
    wrong=""
    for edge in $EDGES; do
        dependent=${edge%%:*}
        dependency=${edge#*:}
        done_at=$(ended_at "$dependent")
        began=$(stop_began "$dependency")
        if [ -z "$done_at" ] || [ -z "$began" ] || awk -v a="$done_at" -v b="$began" 'BEGIN { exit !(a > b) }'; then
            wrong="$wrong $dependent(down ${done_at:-never})>$dependency(stop began ${began:-never})"
        fi
    done
    order=$(q "SELECT group_concat(service, ',') FROM (SELECT service FROM events WHERE kind = 'stopped'
               AND service IS NOT NULL ORDER BY time, id)")
    stack_stop=$(q "SELECT detail FROM events WHERE service IS NULL AND kind = 'stopping' ORDER BY time DESC LIMIT 1")
    [ -z "$wrong" ] && [ "$stack_stop" = "stopping the stack (signal SIGTERM)" ]
    report pid1 stop_order $? "\"$stack_stop\"; stopped in order $order; ${wrong:-every dependent was down before its dependency's stop began}" \
        "$(measured stopped_order "$order" edges_checked "$(echo $EDGES | wc -w)")"
}

# From `stopping` to `stopped`, each service took less than its grace period, and none had to
# be killed after it.
check_stop_within_grace() {
    rows=$(q "SELECT s.service, CAST(round((min(e.time) - s.time) * 1000) AS INTEGER)
              FROM events s JOIN events e ON e.service = s.service AND e.kind = 'stopped' AND e.time >= s.time
              WHERE s.kind = 'stopping' AND s.service IS NOT NULL AND s.service != 'stop-check'
              GROUP BY s.service ORDER BY s.service")
    over=""
    durations=""
    for row in $rows; do
        service=${row%%|*}
        ms=${row#*|}
        durations="$durations${durations:+, }\"$service\": $ms"
        [ "$ms" -le $(($(grace "$service") * 1000)) ] || over="$over $service(${ms} ms)"
    done
    killed=$(q "SELECT group_concat(service, ',') FROM events WHERE kind = 'killed'")
    # From the stack's `stopping` to this service's: everything else took that long to stop.
    total=$(q "SELECT CAST(round((s.time - t.time) * 1000) AS INTEGER) FROM events s, events t
               WHERE s.service = 'stop-check' AND s.kind = 'stopping' AND t.service IS NULL AND t.kind = 'stopping'
               ORDER BY t.time DESC LIMIT 1")
    [ -n "$rows" ] && [ -z "$over" ] && [ -z "$killed" ]
    report pid1 stop_within_grace $? "stop durations (ms): {$durations}; over grace:${over:- none}; killed after grace: ${killed:-none}" \
        "$(measured stop_ms "{$durations}" others_stopped_in_ms "${total:-null}")"
}

stop_recorded() {
    [ -n "$(q "SELECT 1 FROM events WHERE service = 'stop-check' AND kind = 'stopping'")" ]
}

on_term() {
    # berth recorded our `stopping` before it sent the signal; the history is written in order,
    # so once that row is there, everything before it is too.
    wait_for 10 stop_recorded
    check_stop_order
    check_stop_within_grace
    exit 0
}

trap on_term TERM
while :; do
    sleep 1 &
    wait $!
done
