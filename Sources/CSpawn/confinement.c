/*
 * The confinement step of the child: user and groups, capabilities, no_new_privs, seccomp.
 *
 * Everything was decided in the parent (cspawn.h, struct cspawn_confinement): the ids, the
 * five capability masks, the compiled filter. This file only makes the system calls, in the
 * order runc, crun and minijail use (see cspawn.h), and reports the first that fails.
 *
 * Raw system calls only. After the clone3 path the child did not go through glibc's fork(),
 * so glibc still believes the parent's threads exist. glibc's setuid/setgid/setgroups (and
 * friends) then take glibc's thread-list lock (possibly held by another parent thread at the
 * clone, so held forever here) and signal those threads (SIGSETXID): they can hang. The raw
 * calls (syscall(SYS_setresuid, ...), SYS_setgroups, SYS_capset, SYS_prctl, SYS_seccomp) act
 * on the calling thread only, which is all the child has. Nothing here allocates.
 */
#define _GNU_SOURCE
#include "confinement.h"

#include <errno.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Older headers lack these (Linux 4.3 for ambient capabilities). */
#ifndef PR_CAP_AMBIENT
#define PR_CAP_AMBIENT 47
#define PR_CAP_AMBIENT_RAISE 2
#define PR_CAP_AMBIENT_CLEAR_ALL 4
#endif

/* A failed step as the negative value cspawn_apply_confinement returns: errno in the low 16
 * bits, the step above them (cspawn.h, CSPAWN_STAGE_CONFINEMENT). */
static int failure(cspawn_confinement_step step, int error)
{
    return -(int)(((unsigned int)step << 16) | ((unsigned int)error & 0xffffU));
}

/* The v3 capability interface: two 32-bit words per set. */
static int get_capabilities(struct __user_cap_data_struct data[2])
{
    struct __user_cap_header_struct header = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
    return (int)syscall(SYS_capget, &header, data);
}

static int set_capabilities(unsigned long long permitted, unsigned long long effective,
                            unsigned long long inheritable)
{
    struct __user_cap_header_struct header = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
    struct __user_cap_data_struct data[2];
    for (int word = 0; word < 2; word++) {
        data[word].permitted = (uint32_t)(permitted >> (32 * word));
        data[word].effective = (uint32_t)(effective >> (32 * word));
        data[word].inheritable = (uint32_t)(inheritable >> (32 * word));
    }
    return (int)syscall(SYS_capset, &header, data);
}

/* setgroups → setresgid → KEEPCAPS → setresuid. The uid change from 0 clears the effective set
 * but, with KEEPCAPS, keeps the permitted one; the effective set is raised again to it so the
 * bounding-set step (which needs CAP_SETPCAP) can run. */
static int switch_user(const cspawn_confinement *c)
{
    if (syscall(SYS_setgroups, (size_t)c->group_count, c->groups) < 0)
        return failure(CSPAWN_CONFINE_GROUPS, errno);
    if (syscall(SYS_setresgid, c->gid, c->gid, c->gid) < 0)
        return failure(CSPAWN_CONFINE_GID, errno);
    if (syscall(SYS_prctl, PR_SET_KEEPCAPS, 1UL, 0UL, 0UL, 0UL) < 0)
        return failure(CSPAWN_CONFINE_KEEP_CAPS, errno);
    if (syscall(SYS_setresuid, c->uid, c->uid, c->uid) < 0)
        return failure(CSPAWN_CONFINE_UID, errno);
    if (c->uid != 0) {
        struct __user_cap_data_struct kept[2];
        if (get_capabilities(kept) < 0)
            return failure(CSPAWN_CONFINE_CAPABILITIES, errno);
        unsigned long long permitted = (unsigned long long)kept[1].permitted << 32 | kept[0].permitted;
        unsigned long long inheritable = (unsigned long long)kept[1].inheritable << 32 | kept[0].inheritable;
        if (set_capabilities(permitted, permitted, inheritable) < 0)
            return failure(CSPAWN_CONFINE_CAPABILITIES, errno);
    }
    return 0;
}

/* Bounding set, then permitted/effective/inheritable, then ambient (cleared first: the child
 * inherits berth's, which should be empty, but a service gets exactly its own). */
static int set_capability_sets(const cspawn_confinement *c)
{
    if (c->drop_bounding) {
        for (int cap = 0; cap <= c->last_capability && cap < 64; cap++) {
            if (c->bounding & (1ULL << cap))
                continue;
            /* EINVAL: a capability this kernel does not have (cap_last_cap raced): gone anyway. */
            if (syscall(SYS_prctl, PR_CAPBSET_DROP, (unsigned long)cap, 0UL, 0UL, 0UL) < 0 && errno != EINVAL)
                return failure(CSPAWN_CONFINE_BOUNDING, errno);
        }
    }
    if (set_capabilities(c->permitted, c->effective, c->inheritable) < 0)
        return failure(CSPAWN_CONFINE_CAPABILITIES, errno);
    /* EINVAL here means a kernel without ambient capabilities (before 4.3): nothing to clear. */
    if (syscall(SYS_prctl, PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0UL, 0UL, 0UL) < 0 &&
        !(errno == EINVAL && c->ambient == 0))
        return failure(CSPAWN_CONFINE_AMBIENT, errno);
    for (int cap = 0; cap < 64 && c->ambient >> cap != 0; cap++) {
        if (!(c->ambient & (1ULL << cap)))
            continue;
        if (syscall(SYS_prctl, PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, (unsigned long)cap, 0UL, 0UL) < 0)
            return failure(CSPAWN_CONFINE_AMBIENT, errno);
    }
    return 0;
}

/* seccomp(2) with the profile's flags; a kernel that does not know a flag says EINVAL, and the
 * filter is installed without flags (crun's libcrun_apply_seccomp does the same). */
static int install_filter(const cspawn_confinement *c)
{
    struct sock_fprog program = {
        .len = c->filter_length,
        .filter = (struct sock_filter *)(uintptr_t)c->filter,
    };
    if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, (unsigned long)c->filter_flags, &program) == 0)
        return 0;
    if (errno == EINVAL && c->filter_flags != 0 &&
        syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0UL, &program) == 0)
        return 0;
    return failure(CSPAWN_CONFINE_SECCOMP, errno);
}

int cspawn_apply_confinement(const cspawn_confinement *confinement)
{
    const cspawn_confinement *c = confinement;
    int error;
    if (c == NULL)
        return 0;
    int has_filter = c->filter != NULL && c->filter_length > 0;
    /* Without no_new_privs, seccomp(2) needs CAP_SYS_ADMIN: install the filter while the child
     * still has berth's capabilities, before the user switch drops them. */
    if (has_filter && !c->no_new_privileges && (error = install_filter(c)) != 0)
        return error;
    if (c->set_identity && (error = switch_user(c)) != 0)
        return error;
    if ((error = set_capability_sets(c)) != 0)
        return error;
    if (c->no_new_privileges && syscall(SYS_prctl, PR_SET_NO_NEW_PRIVS, 1UL, 0UL, 0UL, 0UL) < 0)
        return failure(CSPAWN_CONFINE_NO_NEW_PRIVS, errno);
    if (has_filter && c->no_new_privileges && (error = install_filter(c)) != 0)
        return error;
    return 0;
}
