#define _GNU_SOURCE
#include "clinux.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/reboot.h>
#include <sys/signalfd.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>

int clinux_pipe2(int fds[2], int flags) { return pipe2(fds, flags); }

long clinux_filesystem_type(const char *path) {
    struct statfs info;
    if (statfs(path, &info) != 0) return -1;
    return (long)info.f_type;
}

const int clinux_O_PATH = O_PATH;

int clinux_exited(int status) { return WIFEXITED(status); }
int clinux_exit_status(int status) { return WEXITSTATUS(status); }
int clinux_signaled(int status) { return WIFSIGNALED(status); }
int clinux_term_signal(int status) { return WTERMSIG(status); }
int clinux_core_dumped(int status) { return WCOREDUMP(status); }

int clinux_become_subreaper(void) { return prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); }

int clinux_signalfd(const int *signals, int count) {
    sigset_t mask;
    sigemptyset(&mask);
    for (int i = 0; i < count; i++) sigaddset(&mask, signals[i]);
    if (pthread_sigmask(SIG_BLOCK, &mask, NULL) != 0) return -1;
    return signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
}

int clinux_signalfd_signal(const void *record) { return (int)((const struct signalfd_siginfo *)record)->ssi_signo; }
int clinux_signalfd_pid(const void *record) { return (int)((const struct signalfd_siginfo *)record)->ssi_pid; }

int clinux_power_off(void) { return reboot(RB_POWER_OFF); }

int clinux_mount(const char *source, const char *target, const char *type, unsigned long flags, const char *data) {
    return mount(source, target, type, flags, data);
}
const unsigned long clinux_MS_NOSUID = MS_NOSUID, clinux_MS_NODEV = MS_NODEV, clinux_MS_NOEXEC = MS_NOEXEC,
                    clinux_MS_RELATIME = MS_RELATIME;
