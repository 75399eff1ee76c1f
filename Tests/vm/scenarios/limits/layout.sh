#!/bin/sh
# layout: berth's cgroup tree on a real cgroup v2 machine, and the limits it wrote.
. /checks/lib.sh

SERVICES="leaves-check limited shares-1024 shares-2048 neighbour memhog forkbomb forkbomb-held
forkbomb-gate late layout-check memory-check pids-check finish"

# What stack.yml asks for, as the kernel shows it: service file value.
EXPECTED="
limited memory.max 50331648
limited memory.low 16777216
limited memory.swap.max 16777216
limited memory.high 41943040
limited memory.oom.group 1
limited cpu.max 25000_100000
limited cpu.weight 59
limited pids.max 32
shares-1024 cpu.weight 100
shares-1024 cpu.max max_100000
shares-1024 memory.max max
shares-1024 memory.oom.group 0
shares-1024 pids.max max
shares-2048 cpu.weight 174
neighbour memory.max 33554432
neighbour memory.swap.max 33554432
neighbour memory.oom.group 1
neighbour pids.max 16
neighbour cpu.weight 100
memhog memory.max 67108864
memhog memory.swap.max 0
memhog memory.oom.group 1
forkbomb pids.max 64
forkbomb memory.max max
forkbomb-held pids.max 64
"

# is_kernel_thread PID: a child of the kernel (parent 0, as kthreadd itself, or kthreadd, pid 2)
# with no command line; PID 1 (berth) is not one, though its parent is 0 too.
is_kernel_thread() {
    ppid=$(stat_fields "$1" | awk '{ print $2 }')
    [ "$1" != 1 ] && { [ "$ppid" = 0 ] || [ "$ppid" = 2 ]; } && [ -z "$(tr -d '\0' < "/proc/$1/cmdline" 2>/dev/null)" ]
}

# berth (PID 1) sits alone in /sys/fs/cgroup/supervisor.
check_supervisor_leaf() {
    own=$(cgroup_of 1)
    procs=$(cat "$CG/supervisor/cgroup.procs" | tr '\n' ' ')
    [ "$own" = /supervisor ] && [ "$procs" = "1 " ]
    report layout supervisor_leaf $? "PID 1 is in $own; supervisor/cgroup.procs: $procs" \
        "$(measured pid1_cgroup "$own" supervisor_procs "$(echo $procs | wc -w)")"
}

# Every service's running process sits in its own leaf /sys/fs/cgroup/<service>, a sibling of
# supervisor with no children; the root holds exactly these leaves.
check_service_leaves() {
    wrong="" checked=0 gone=""
    for service in $SERVICES; do
        [ -d "$CG/$service" ] || { wrong="$wrong $service:no-leaf"; continue; }
        [ -z "$(find "$CG/$service" -mindepth 1 -type d)" ] || wrong="$wrong $service:has-children"
        for pid in $(q "SELECT pid FROM runs WHERE service = '$service' AND ended_at IS NULL"); do
            where=$(cgroup_of "$pid")
            if [ -z "$where" ]; then
                gone="$gone $service"
            elif [ "$where" = "/$service" ]; then
                checked=$((checked + 1))
            else
                wrong="$wrong $service:pid-$pid-in-$where"
            fi
        done
        # ... and whatever else is in the leaf belongs to it (children of the service).
        for pid in $(cat "$CG/$service/cgroup.procs" 2>/dev/null); do
            where=$(cgroup_of "$pid")
            [ -z "$where" ] || [ "$where" = "/$service" ] || wrong="$wrong $service:pid-$pid-in-$where"
        done
    done
    leaves=$(find "$CG" -mindepth 1 -maxdepth 1 -type d | sed "s|$CG/||" | sort | tr '\n' ' ')
    want=$(echo supervisor $SERVICES | tr ' ' '\n' | sort | tr '\n' ' ')
    [ "$leaves" = "$want" ] || wrong="$wrong root-holds:[$leaves]"
    [ -z "$wrong" ] && [ "$checked" -ge 8 ]
    report layout service_leaves $? "$checked running service processes each in /<service>; leaves under the root: $leaves; ${wrong:-no misplaced process}${gone:+; ended meanwhile:$gone}" \
        "$(measured processes_checked "$checked" leaves "$(echo $leaves | wc -w)")"
}

# The root passes memory, cpu and pids down to the leaves.
check_subtree_control() {
    enabled=$(cat "$CG/cgroup.subtree_control")
    missing=""
    for controller in memory cpu pids; do
        echo " $enabled " | grep -q " $controller " || missing="$missing $controller"
    done
    [ -z "$missing" ]
    report layout subtree_control $? "root cgroup.subtree_control: $enabled${missing:+; missing:$missing}" \
        "$(measured subtree_control "$enabled")"
}

# No user process sits in an inner node (a cgroup with children): only kernel threads stay in
# the root.
check_no_inner_processes() {
    users="" kernel=0
    for node in $(find "$CG" -type d); do
        [ -n "$(find "$node" -mindepth 1 -maxdepth 1 -type d)" ] || continue
        for pid in $(cat "$node/cgroup.procs"); do
            if is_kernel_thread "$pid"; then
                kernel=$((kernel + 1))
            elif [ -e "/proc/$pid" ]; then
                path=${node#$CG}
                users="$users ${path:-/}:$pid($(cat "/proc/$pid/comm" 2>/dev/null))"
            fi
        done
    done
    [ -z "$users" ]
    report layout no_inner_processes $? "inner nodes hold $kernel kernel threads and ${users:-no user process}" \
        "$(measured kernel_threads_in_root "$kernel" user_processes_in_inner_nodes "$(echo $users | wc -w)")"
}

# Each limit file holds exactly what the stack asks for.
check_limits_match() {
    wrong="" count=0 values=""
    # (a here-document, not a pipe: the loop must run in this shell to keep its variables)
    while read -r service file want; do
        [ -n "$service" ] || continue
        want=$(echo "$want" | tr _ ' ')
        got=$(cat "$CG/$service/$file" 2>/dev/null || echo missing)
        count=$((count + 1))
        values="$values${values:+, }\"$service/$file\": \"$got\""
        [ "$got" = "$want" ] || wrong="$wrong $service/$file=$got(want $want)"
    done <<LIMITS
$EXPECTED
LIMITS
    [ -z "$wrong" ]
    report layout limits_match $? "$count limit files checked; ${wrong:-all as written in stack.yml}" \
        "$(measured files_checked "$count" mismatches "$(echo $wrong | wc -w)" files "{$values}")"
}

everyone_started() {
    for service in limited shares-1024 shares-2048 neighbour forkbomb-held late finish; do
        has_run "$service" || return 1
    done
}

wait_for 60 everyone_started || echo "layout-check: not every long-running service started within 60 s"
check_supervisor_leaf
check_service_leaves
check_subtree_control
check_no_inner_processes
check_limits_match
done_marker layout
