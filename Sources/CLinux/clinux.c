#define _GNU_SOURCE
#include "clinux.h"

#include <fcntl.h>
#include <signal.h>
#include <errno.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <grp.h>
#include <pwd.h>
#include <malloc.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/prctl.h>
#include <sys/reboot.h>
#include <sys/signalfd.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>

static int saved_argc;
static char **saved_argv;

/* glibc calls constructors with (argc, argv, envp). */
__attribute__((constructor)) static void clinux_save_arguments(int argc, char **argv, char **envp) {
    (void)envp;
    saved_argc = argc;
    saved_argv = argv;
}

int clinux_argument_count(void) { return saved_argc; }
const char *clinux_argument(int index) {
    return index >= 0 && index < saved_argc ? saved_argv[index] : NULL;
}

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

/* Does nothing: its presence makes a signal "handled". The kernel drops signals whose
 * disposition is the default from reaching PID 1 (SIGTERM, and SIGCHLD whose default is to be
 * ignored), so berth as PID 1 would otherwise never see them. */
static void clinux_ignore_but_deliver(int signal) { (void)signal; }

int clinux_signalfd(const int *signals, int count) {
    sigset_t mask;
    sigemptyset(&mask);
    struct sigaction action = {0};
    action.sa_handler = clinux_ignore_but_deliver;
    action.sa_flags = SA_RESTART;
    for (int i = 0; i < count; i++) {
        sigaddset(&mask, signals[i]);
        sigaction(signals[i], &action, NULL);
    }
    if (pthread_sigmask(SIG_BLOCK, &mask, NULL) != 0) return -1;
    return signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
}

int clinux_signalfd_signal(const void *record) { return (int)((const struct signalfd_siginfo *)record)->ssi_signo; }
int clinux_signalfd_pid(const void *record) { return (int)((const struct signalfd_siginfo *)record)->ssi_pid; }

int clinux_notify_socket(const char *path) {
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    struct sockaddr_un address = {0};
    address.sun_family = AF_UNIX;
    if (strlen(path) >= sizeof address.sun_path) { close(fd); errno = ENAMETOOLONG; return -1; }
    strcpy(address.sun_path, path);
    int on = 1;
    if (setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &on, sizeof on) != 0
        || bind(fd, (struct sockaddr *)&address, sizeof address) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

long clinux_receive_with_sender(int fd, void *buffer, unsigned long length, int *sender) {
    struct iovec vector = { .iov_base = buffer, .iov_len = length };
    union { struct cmsghdr header; char space[CMSG_SPACE(sizeof(struct ucred))]; } control;
    struct msghdr message = {0};
    message.msg_iov = &vector;
    message.msg_iovlen = 1;
    message.msg_control = control.space;
    message.msg_controllen = sizeof control.space;
    ssize_t count = recvmsg(fd, &message, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
    *sender = 0;
    if (count < 0) return -1;
    for (struct cmsghdr *header = CMSG_FIRSTHDR(&message); header; header = CMSG_NXTHDR(&message, header)) {
        if (header->cmsg_level == SOL_SOCKET && header->cmsg_type == SCM_CREDENTIALS) {
            struct ucred credentials;
            memcpy(&credentials, CMSG_DATA(header), sizeof credentials);
            *sender = (int)credentials.pid;
        }
    }
    return (long)count;
}

int clinux_peer_credentials(int fd, clinux_peer *peer) {
    struct ucred credentials;
    socklen_t length = sizeof credentials;
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &credentials, &length) != 0) return -1;
    peer->pid = credentials.pid;
    peer->uid = credentials.uid;
    peer->gid = credentials.gid;
    return 0;
}

int clinux_user_in_group(unsigned int uid, unsigned int group) {
    struct passwd entry, *found = NULL;
    char buffer[4096];
    if (getpwuid_r(uid, &entry, buffer, sizeof buffer, &found) != 0 || !found) return 0;
    if (entry.pw_gid == group) return 1;
    gid_t groups[256];
    int count = 256;
    if (getgrouplist(entry.pw_name, entry.pw_gid, groups, &count) < 0) return 0;
    for (int i = 0; i < count; i++) if (groups[i] == group) return 1;
    return 0;
}

int clinux_malloc_trim(void) { return malloc_trim(0); }

void clinux_close_from(int first) {
    if (syscall(SYS_close_range, (unsigned)first, ~0U, 0) == 0) return;
    long limit = sysconf(_SC_OPEN_MAX);
    if (limit < 0 || limit > 65536) limit = 65536;
    for (int fd = first; fd < limit; fd++) close(fd);
}

int clinux_power_off(void) { return reboot(RB_POWER_OFF); }

int clinux_mount(const char *source, const char *target, const char *type, unsigned long flags, const char *data) {
    return mount(source, target, type, flags, data);
}
const unsigned long clinux_MS_NOSUID = MS_NOSUID, clinux_MS_NODEV = MS_NODEV, clinux_MS_NOEXEC = MS_NOEXEC,
                    clinux_MS_RELATIME = MS_RELATIME;
