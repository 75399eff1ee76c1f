"""What /proc says about processes: parents, names, RSS, CPU time. Shared by bench.py and
cleanup.py (Linux only; no third-party modules)."""
import os
import signal
import time

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def stat(pid):
    """(comm, ppid, utime + stime in ticks, starttime) of pid, or None when it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            text = f.read()
    except (FileNotFoundError, ProcessLookupError):
        return None
    # comm may contain spaces and parentheses: it ends at the last ')'.
    comm = text[text.index("(") + 1:text.rindex(")")]
    fields = text[text.rindex(")") + 2:].split()
    # fields[0] is field 3 (state): ppid is field 4, utime 14, stime 15, starttime 22.
    return comm, int(fields[1]), int(fields[11]) + int(fields[12]), int(fields[19])


def cpu_times():
    """(busy, total) jiffies of all CPUs since boot, from /proc/stat."""
    with open("/proc/stat") as f:
        fields = [int(x) for x in f.readline().split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    total = sum(fields[:8])  # guest time is already in user
    return total - idle, total


def all_processes():
    """{pid: (comm, ppid, cpu_ticks, starttime)} of every process now."""
    result = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            info = stat(int(name))
            if info is not None:
                result[int(name)] = info
    return result


def descendants(pid, table=None):
    """Every process below pid (children, grandchildren...), as {pid: (comm, ppid, ticks, start)}."""
    table = table if table is not None else all_processes()
    children = {}
    for child, info in table.items():
        children.setdefault(info[1], []).append(child)
    found, queue = {}, [pid]
    while queue:
        for child in children.get(queue.pop(), []):
            if child not in found:
                found[child] = table[child]
                queue.append(child)
    return found


def memory_kib(pid):
    """{'VmRSS': kib, 'RssAnon': kib, 'RssFile': kib, 'RssShmem': kib} of pid ({} when gone)."""
    values = {}
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                key, _, rest = line.partition(":")
                if key in ("VmRSS", "RssAnon", "RssFile", "RssShmem"):
                    values[key] = int(rest.split()[0])
    except (FileNotFoundError, ProcessLookupError):
        return {}
    return values


def pss_kib(pid):
    """Proportional set size of pid (shared pages divided among their users), or 0 when gone."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError):
        pass
    return 0


def alive(pid, starttime=None):
    """Whether pid still runs, not a zombie (and the same process, when starttime is given)."""
    info = stat(pid)
    if info is None or zombie(pid):
        return False
    return starttime is None or info[3] == starttime


def zombie(pid):
    """Whether pid has exited and waits to be reaped (state Z)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            text = f.read()
    except (FileNotFoundError, ProcessLookupError):
        return False
    return text[text.rindex(")") + 2:].split()[0] in ("Z", "X")


def kill_all(processes, sig=signal.SIGKILL):
    """Sends sig to each {pid: starttime} still alive as that same process."""
    for pid, starttime in processes.items():
        if alive(pid, starttime):
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass


def wait_gone(processes, timeout):
    """Waits until none of {pid: starttime} is alive; returns whether that happened."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not any(alive(pid, start) for pid, start in processes.items()):
            return True
        time.sleep(0.05)
    return not any(alive(pid, start) for pid, start in processes.items())


def remove_cgroup_tree(path):
    """Kills what is left in a cgroup subtree (cgroup.kill) and removes its directories."""
    if not os.path.isdir(path):
        return
    for entry in sorted(os.listdir(path)):
        child = os.path.join(path, entry)
        if os.path.isdir(child):
            remove_cgroup_tree(child)
    try:
        with open(os.path.join(path, "cgroup.kill"), "w") as f:
            f.write("1")
    except OSError:
        pass
    for _ in range(100):
        try:
            os.rmdir(path)
            return
        except FileNotFoundError:
            return
        except OSError:
            time.sleep(0.05)
