/*
 * CLinux: the Linux interfaces Swift's Glibc module does not import — headers that need
 * _GNU_SOURCE, and function-like macros (the wait status decoders) that Swift cannot call.
 * No logic lives here: each function is a one-line wrapper.
 */
#ifndef BERTH_CLINUX_H
#define BERTH_CLINUX_H

#include <sys/types.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>

/* The process's arguments as glibc handed them to constructors. As PID 1 no /proc is mounted
 * yet, and the Swift runtime, which reads /proc/self/cmdline, sees no arguments at all. */
int clinux_argument_count(void);
const char *clinux_argument(int index);

/* pipe2(2) (a GNU extension in unistd.h). */
int clinux_pipe2(int fds[2], int flags);

/* statfs(2) f_type of the filesystem at path, or -1 with errno set. */
long clinux_filesystem_type(const char *path);

/* open(2) flags Glibc's Swift module leaves out. */
extern const int clinux_O_PATH;

/* Decoders of a waitpid(2) status. */
int clinux_exited(int status);
int clinux_exit_status(int status);
int clinux_signaled(int status);
int clinux_term_signal(int status);
int clinux_core_dumped(int status);

/* prctl(PR_SET_CHILD_SUBREAPER, 1): orphans of our children come to us. */
int clinux_become_subreaper(void);

/* signalfd(2) over a mask built from a list of signals; the signals get a no-op handler (so
 * that PID 1 receives them) and are blocked in the calling thread (do it before other threads
 * start, so that they inherit the mask). */
int clinux_signalfd(const int *signals, int count);
/* The signal number and sender of one signalfd record read into buffer (128 bytes). */
int clinux_signalfd_signal(const void *record);
int clinux_signalfd_pid(const void *record);

/* A non-blocking datagram socket bound at path, with SO_PASSCRED so that each message carries
 * its sender's credentials (the sd_notify socket of a service). */
int clinux_notify_socket(const char *path);
/* recvmsg(2) of one datagram; *sender is the sending pid from SCM_CREDENTIALS (0 if none). */
long clinux_receive_with_sender(int fd, void *buffer, unsigned long length, int *sender);

/* The credentials of a Unix socket's peer (SO_PEERCRED); same layout as struct ucred. */
typedef struct { int pid; unsigned int uid; unsigned int gid; } clinux_peer;
int clinux_peer_credentials(int fd, clinux_peer *peer);

/* Whether user uid (with primary group gid) belongs to group `group` (getgrouplist). */
int clinux_user_in_group(unsigned int uid, unsigned int group);

/* Closes every descriptor from `first` up (close_range(2), else one by one). */
void clinux_close_from(int first);

/* malloc_trim(3): give freed heap back to the kernel. */
int clinux_malloc_trim(void);

/* reboot(2) with RB_POWER_OFF, for berth as PID 1. */
int clinux_power_off(void);

/* mount(2), for berth as PID 1. */
int clinux_mount(const char *source, const char *target, const char *type, unsigned long flags, const char *data);
extern const unsigned long clinux_MS_NOSUID, clinux_MS_NODEV, clinux_MS_NOEXEC, clinux_MS_RELATIME;

#endif
