/*
 * CSeccomp: libseccomp (Debian: libseccomp-dev, 2.5.x) for berth's Confinement module.
 *
 * libseccomp runs in the parent only: it compiles a profile to a BPF program once per service
 * spec, and the child applies the exported bytes with the raw seccomp(2) system call. The
 * SCMP_ACT_ERRNO(x)/SCMP_ACT_TRACE(x) macros are function-like, so Swift cannot call them; the
 * action values are the kernel's SECCOMP_RET_* values and are built in Swift.
 */
#ifndef BERTH_CSECCOMP_SHIM_H
#define BERTH_CSECCOMP_SHIM_H

#include <seccomp.h>
#include <sys/syscall.h>
#include <unistd.h>

/* memfd_create(2) through syscall(2) (glibc declares memfd_create only with _GNU_SOURCE):
 * where seccomp_export_bpf writes the program (libseccomp 2.5 has no in-memory export).
 * Returns a descriptor (close-on-exec) or -1 with errno set. */
static inline int cseccomp_memfd(void)
{
    return (int)syscall(SYS_memfd_create, "berth-seccomp", 1U /* MFD_CLOEXEC */);
}

#endif
