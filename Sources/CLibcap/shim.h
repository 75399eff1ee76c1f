/*
 * CLibcap: libcap 2.x (Debian: libcap-dev), for the tests only. berth keeps its own table of
 * capability names (StackFile's Capability, from <linux/capability.h>) and reads the kernel's
 * last capability from /proc; the tests check both against libcap's cap_from_name and
 * cap_max_bits, so the table cannot drift from what the system's library knows.
 */
#ifndef BERTH_CLIBCAP_SHIM_H
#define BERTH_CLIBCAP_SHIM_H

#include <sys/capability.h>

#endif
