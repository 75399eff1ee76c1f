#!/bin/sh
# pid1: orphans are re-parented to berth (PID 1) and reaped; no zombie is left anywhere.
. /checks/lib.sh

# orphan_pid: the grandchild doublefork announced (`orphan <pid>` in its log), once its
# parent is PID 1.
orphan_pid() {
    pid=$(awk '$3 == "orphan" { print $4 }' /run/berth/logs/orphans.log 2>/dev/null | tail -n 1)
    [ -n "$pid" ] && [ "$(stat_fields "$pid" | awk '{ print $2 }')" = 1 ] && echo "$pid"
}

found_orphan() { orphan=$(orphan_pid); [ -n "$orphan" ]; }

orphan_gone() { [ ! -e "/proc/$orphan" ]; }

# zombies: `pid:starttime:comm` of every process in state Z, one per line.
zombies() {
    for file in /proc/[0-9]*/stat; do
        pid=${file#/proc/}
        pid=${pid%/stat}
        fields=$(stat_fields "$pid")
        case "$fields" in
            Z\ *) echo "$pid:$(echo "$fields" | awk '{ print $20 }'):$(cat "/proc/$pid/comm" 2>/dev/null)" ;;
        esac
    done
}

# The grandchild of `doublefork` has PID 1 as its parent once its own parent exited.
check_orphan_reparented() {
    [ -n "$orphan" ] && [ "$orphan" != "$parent" ]
    report pid1 orphan_reparented $? \
        "doublefork's grandchild (pid ${orphan:-none}) was re-parented to PID 1 (berth)" \
        "$(measured orphan_pid "${orphan:-null}" doublefork_pid "${parent:-null}")"
}

# Once it exited (after 2 s), berth reaped it, and no zombie stays anywhere: a process in state
# Z in two scans a second apart (same pid, same start time) is a zombie nobody reaps.
check_no_zombies() {
    first=$(zombies | sort)
    sleep 1
    second=$(zombies | sort)
    lasting=$(printf '%s\n%s\n' "$first" "$second" | grep -v '^$' | sort | uniq -d | tr '\n' ' ')
    [ -n "$orphan" ] && [ "$orphan_exited" = yes ] && [ -z "$lasting" ]
    report pid1 no_zombies $? \
        "orphan ${orphan:-none} gone after ${gone_after:-?} s: $orphan_exited; lasting zombies: ${lasting:-none}" \
        "$(measured orphan_gone_after_s "${gone_after:-null}" lasting_zombies "$(echo $lasting | wc -w)" \
            processes "$(ls -d /proc/[0-9]* | wc -l)")"
}

wait_for 20 has_run orphans
parent=$(run_pid orphans)
if ! wait_for 10 found_orphan; then
    orphan=""
fi
check_orphan_reparented

start=$(now)
orphan_exited=no
if [ -n "$orphan" ] && wait_for 15 orphan_gone; then
    orphan_exited=yes
    gone_after=$(elapsed "$start")
fi
check_no_zombies
done_marker orphans
