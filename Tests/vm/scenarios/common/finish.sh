#!/bin/sh
# finish.sh SECONDS SCENARIO...: waits until every SCENARIO's checker is done (or SECONDS have
# passed), then stops the stack the way an operator would: SIGTERM to PID 1, which stops the
# services in reverse order and powers the VM off.
. /checks/lib.sh

limit=$1
shift

all_done() {
    for scenario in "$@"; do
        [ -e "$DONE/$scenario" ] || return 1
    done
}

if ! wait_for "$limit" all_done "$@"; then
    echo "finish: not every checker finished within $limit s ($*); stopping anyway"
fi
echo "finish: sending SIGTERM to PID 1"
kill -TERM 1
# Stay until berth stops this service too.
exec sleep 600
