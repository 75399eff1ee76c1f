/*
 * The confinement slot of the child: user and groups, capabilities, no_new_privs, seccomp.
 *
 * This slot is filled by a later change (issue 6). Until then the only valid request is "no
 * confinement" (NULL); anything else fails loudly instead of starting a service unconfined.
 *
 * Note for that change: after the clone3 path the child did not go through glibc's fork(), so
 * glibc still believes the parent's threads exist. glibc's setuid/setgid/setgroups (and
 * friends) then take glibc's thread-list lock (possibly held by another parent thread at the
 * clone, so held forever here) and signal those threads (SIGSETXID): they can hang. Use the raw
 * system calls here (syscall(SYS_setresuid, ...), SYS_setgroups, SYS_capset, SYS_prctl,
 * SYS_seccomp), which act on the calling thread only, which is all the child has.
 */
#include "confinement.h"

#include <errno.h>
#include <stddef.h>

/* Placeholder: the later change defines the real fields (decided in the parent, applied here).
 * Empty for now so that nothing can construct a confinement the child would silently ignore. */
struct cspawn_confinement {
};

int cspawn_apply_confinement(const cspawn_confinement *confinement)
{
    if (confinement == NULL)
        return 0;
    return -ENOSYS;
}
