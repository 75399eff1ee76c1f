#!/bin/sh
# The CPU scenario: cpu.max caps `quota` at half a CPU, and cpu.weight splits CPU 0 about 2:1
# between `weight-1024` and `weight-512`.
. /checks/lib.sh

WINDOW=5   # seconds of measurement

usage() { kv "$CG/$1/cpu.stat" usage_usec; }
throttled() { kv "$CG/$1/cpu.stat" nr_throttled; }

spinners_running() {
    for service in quota weight-1024 weight-512; do
        [ -n "$(run_pid "$service")" ] || return 1
    done
}

# Over the window (5 s and the time the reads took), the quota spinner used at most 55 % of
# one CPU.
check_quota_usage() {
    used=$((quota_after - quota_before))
    limit=$((window_usec * 55 / 100))
    share=$(awk -v u="$used" -v w="$window_usec" 'BEGIN { printf "%.3f", u / w }')
    [ "$used" -le "$limit" ]
    report cpu quota_usage $? "cpus 0.5: used ${used} us of CPU in ${window_usec} us (${share} of one CPU; limit 0.55)" \
        "$(measured usage_usec "$used" window_usec "$window_usec" cpu_fraction "$share" \
            cpu_max "$(cat "$CG/quota/cpu.max")")"
}

# ... because the kernel throttled it, period after period.
check_quota_throttled() {
    periods=$((thr_after - thr_before))
    [ "$periods" -gt 0 ]
    report cpu quota_throttled $? "nr_throttled went up by $periods during the window (total $thr_after)" \
        "$(measured nr_throttled_delta "$periods" nr_throttled "$thr_after" \
            throttled_usec "$(kv "$CG/quota/cpu.stat" throttled_usec)")"
}

# On the shared CPU, weight 100 (1024 shares) gets about twice as much as weight 59 (512).
check_weight_ratio() {
    high=$((w1024_after - w1024_before))
    low=$((w512_after - w512_before))
    ratio=$(awk -v h="$high" -v l="$low" 'BEGIN { printf "%.2f", (l > 0 ? h / l : 999) }')
    awk -v r="$ratio" 'BEGIN { exit !(r >= 1.6 && r <= 2.5) }'
    report cpu weight_ratio $? "cpu_shares 1024 vs 512 on one CPU: ${high} us vs ${low} us, ratio $ratio (accepted 1.6-2.5)" \
        "$(measured ratio "$ratio" usage_1024_usec "$high" usage_512_usec "$low" \
            weight_1024 "$(cat "$CG/weight-1024/cpu.weight")" weight_512 "$(cat "$CG/weight-512/cpu.weight")")"
}

if ! wait_for 30 spinners_running; then
    echo "cpu-check: the spinners did not all start within 30 s"
fi
sleep 1   # let them settle on their CPUs

t0=$(now)
quota_before=$(usage quota); thr_before=$(throttled quota)
w1024_before=$(usage weight-1024); w512_before=$(usage weight-512)
sleep "$WINDOW"
quota_after=$(usage quota); thr_after=$(throttled quota)
w1024_after=$(usage weight-1024); w512_after=$(usage weight-512)
window_usec=$(awk -v a="$t0" -v b="$(now)" 'BEGIN { printf "%d", (b - a) * 1000000 }')

check_quota_usage
check_quota_throttled
check_weight_ratio

kill -TERM 1
exec sleep 600
