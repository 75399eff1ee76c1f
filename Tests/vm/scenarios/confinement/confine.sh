#!/bin/sh
# confinement: what each probe saw (its JSON line in /run/berth/logs/<service>.log) and what
# berth recorded, against what the stack asks for (see stack.yml).
. /checks/lib.sh

log_of() { echo "/run/berth/logs/$1.log"; }

# report_line SERVICE: the probe's JSON line, once it is in the log.
report_line() { grep -m 1 '{"probe":' "$(log_of "$1")" 2>/dev/null; }

has_report() { [ -n "$(report_line "$1")" ]; }

# outcome SERVICE ACTION: `ok`, or the errno name the probe saw (empty if no such result).
outcome() {
    field=$(report_line "$1" | grep -o "\"$2\":{[^}]*}")
    case "$field" in
        *'"ok":true'*) echo ok ;;
        *) printf '%s' "$field" | sed -n 's/.*"errno":"\([A-Z0-9]*\)".*/\1/p' ;;
    esac
}

# status SERVICE KEY: a /proc/self/status value the probe read (CapEff, NoNewPrivs...).
status() { report_line "$1" | grep -o "\"$2\":\"[0-9a-f]*\"" | head -n 1 | cut -d'"' -f4; }

# id SERVICE KEY: uid, euid, gid or egid from the probe's `ids`.
id_of() { report_line "$1" | grep -o "\"$2\":[0-9]*" | head -n 1 | cut -d: -f2; }

# expect SERVICE ACTION=OUTCOME...: every action saw its outcome; prints the mismatches.
mismatches() {
    service=$1
    shift
    for pair in "$@"; do
        action=${pair%%=*}
        wanted=${pair#*=}
        got=$(outcome "$service" "$action")
        [ "$got" = "$wanted" ] || printf ' %s.%s=%s(want %s)' "$service" "$action" "${got:-none}" "$wanted"
    done
}

# status_mismatches SERVICE KEY=VALUE...
status_mismatches() {
    service=$1
    shift
    for pair in "$@"; do
        key=${pair%%=*}
        wanted=${pair#*=}
        got=$(status "$service" "$key")
        [ "$got" = "$wanted" ] || printf ' %s.%s=%s(want %s)' "$service" "$key" "${got:-none}" "$wanted"
    done
}

all_reported() {
    for service in builtin docker free deny-mkdir netdown root dropped web plain guarded unguarded; do
        has_report "$service" || return 1
    done
}

killed_recorded() { [ -n "$(q "SELECT 1 FROM runs WHERE service = 'killed' AND ended_at IS NOT NULL")" ]; }

if ! wait_for 60 all_reported; then
    echo "confine-check: not every probe reported within 60 s"
fi

for profile in builtin docker; do
    wrong=$(mismatches "$profile" unshare=EPERM mount=EPERM clone3=ENOSYS keyctl=EPERM mkdir=ok getpid=ok)
    [ -n "$(report_line "$profile")" ] && [ -z "$wrong" ]
    report confinement "${profile}_profile" $? \
        "$profile: unshare $(outcome "$profile" unshare), mount $(outcome "$profile" mount), clone3 $(outcome "$profile" clone3), keyctl $(outcome "$profile" keyctl), mkdir $(outcome "$profile" mkdir)${wrong:+; wrong:$wrong}" \
        "$(measured unshare "$(outcome "$profile" unshare)" mount "$(outcome "$profile" mount)" clone3 "$(outcome "$profile" clone3)" keyctl "$(outcome "$profile" keyctl)" mkdir "$(outcome "$profile" mkdir)")"
done

wrong="$(mismatches free unshare=ok mount=ok clone3=ok keyctl=ok mkdir=ok)$(status_mismatches free Seccomp=0)"
[ -n "$(report_line free)" ] && [ -z "$wrong" ]
report confinement unconfined $? "seccomp=unconfined with CAP_SYS_ADMIN: every call went through${wrong:+; wrong:$wrong}" \
    "$(measured seccomp "$(status free Seccomp)")"

wrong="$(mismatches deny-mkdir mkdir=EPERM getpid=ok)$(mismatches netdown mkdir=ENETDOWN getpid=ok)"
[ -z "$wrong" ] && has_report deny-mkdir && has_report netdown
report confinement errno_profiles $? "deny-mkdir: mkdir $(outcome deny-mkdir mkdir); errnoRet 100: mkdir $(outcome netdown mkdir)${wrong:+; wrong:$wrong}" \
    "$(measured deny_mkdir "$(outcome deny-mkdir mkdir)" errno_ret_100 "$(outcome netdown mkdir)")"

wait_for 20 killed_recorded
row=$(q "SELECT end_kind || ' ' || signal || ' ' || detail FROM runs WHERE service = 'killed'")
[ "$row" = "killed 31 killed by SIGSYS" ] && ! has_report killed
report confinement kill_process $? "SCMP_ACT_KILL_PROCESS on mkdir: the run is recorded as \"${row:-nothing}\"" \
    "$(measured run "$row")"

wrong="$(status_mismatches root CapEff=00000000a80425fb CapPrm=00000000a80425fb CapBnd=00000000a80425fb CapInh=0000000000000000 CapAmb=0000000000000000 NoNewPrivs=1 Seccomp=2)$(mismatches root chown=ok)"
[ "$(id_of root euid)" = 0 ] && [ -z "$wrong" ]
report confinement root_capabilities $? "root: CapEff $(status root CapEff), CapBnd $(status root CapBnd), CapAmb $(status root CapAmb), NoNewPrivs $(status root NoNewPrivs)${wrong:+; wrong:$wrong}" \
    "$(measured cap_eff "0x$(status root CapEff)" cap_bnd "0x$(status root CapBnd)" no_new_privs "$(status root NoNewPrivs)")"

wrong="$(status_mismatches dropped CapEff=0000000000000000 CapPrm=0000000000000000 CapBnd=0000000000000000 CapInh=0000000000000000 CapAmb=0000000000000000)$(mismatches dropped chown=EPERM)"
[ -n "$(report_line dropped)" ] && [ -z "$wrong" ]
report confinement dropped_capabilities $? "cap_drop ALL: CapEff $(status dropped CapEff), CapBnd $(status dropped CapBnd), chown $(outcome dropped chown)${wrong:+; wrong:$wrong}" \
    "$(measured cap_eff "0x$(status dropped CapEff)" cap_bnd "0x$(status dropped CapBnd)")"

wrong="$(status_mismatches web CapEff=0000000000000400 CapPrm=0000000000000400 CapInh=0000000000000400 CapAmb=0000000000000400 CapBnd=00000000a80425fb NoNewPrivs=1)"
[ "$(id_of web euid)" = 65534 ] && [ -z "$wrong" ]
report confinement nonroot_ambient $? "nobody with NET_BIND_SERVICE: euid $(id_of web euid), CapEff $(status web CapEff), CapAmb $(status web CapAmb), CapBnd $(status web CapBnd)${wrong:+; wrong:$wrong}" \
    "$(measured euid "$(id_of web euid)" cap_amb "0x$(status web CapAmb)")"

listening=no
# busybox nc: -e after the address; it runs /bin/true once connected, and exits with its status.
nc -w 2 127.0.0.1 80 -e /bin/true >/dev/null 2>&1 && listening=yes
[ "$(outcome web bind)" = ok ] && [ "$listening" = yes ] && [ "$(outcome plain bind)" = EACCES ] && [ "$(id_of plain euid)" = 65534 ]
report confinement port80 $? "nobody with NET_BIND_SERVICE: bind 127.0.0.1:80 $(outcome web bind), accepting: $listening; nobody without it: $(outcome plain bind)" \
    "$(measured with_capability "$(outcome web bind)" accepting "$listening" without "$(outcome plain bind)")"

[ "$(id_of guarded euid)" = 65534 ] && [ "$(status guarded CapEff)" = 0000000000000000 ] && [ "$(outcome guarded setuid0)" = EPERM ] \
    && [ "$(id_of unguarded euid)" = 0 ]
report confinement setuid_under_no_new_privs $? "setuid-root binary run as nobody: euid $(id_of guarded euid), CapEff $(status guarded CapEff) under no_new_privs; euid $(id_of unguarded euid) without it" \
    "$(measured guarded_euid "$(id_of guarded euid)" unguarded_euid "$(id_of unguarded euid)")"

done_marker confinement
