import Budget
import Foundation

/// What this machine gives berth: its memory and online CPUs, narrowed by the limits of the
/// cgroup berth runs in (a container, a systemd slice with MemoryMax=, a VM's own cgroup).
public enum HostResources {
    /// Reads `/proc/meminfo`, the CPUs this process may run on, and the memory and CPU limits of
    /// its own cgroup and every ancestor (cgroup v2, or v1 on legacy and hybrid hosts).
    public static func detect(root: String = "") -> Machine {
        var notes: [String] = []
        var memory = memTotal(root: root) ?? 0
        notes.append("/proc/meminfo")
        var cpus = Double(onlineCPUs(root: root))
        notes.append("\(Int(cpus)) online CPUs")
        if let limit = cgroupMemoryLimit(root: root), limit < memory {
            memory = limit
            notes.append("cgroup memory limit")
        }
        if let limit = cgroupCPULimit(root: root), limit < cpus {
            cpus = limit
            notes.append("cgroup CPU limit")
        }
        let capacity = Amount(memoryBytes: memory, cpus: cpus)
        return Machine(name: "this machine", source: "detected: " + notes.joined(separator: ", "),
                    capacity: capacity, reserved: SystemReserve.default(for: capacity))
    }

    static func memTotal(root: String) -> Int64? {
        guard let text = CgroupFiles.read(root + "/proc/meminfo") else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("MemTotal:") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count >= 2, let kib = Int64(fields[1]) else { return nil }
            return kib * 1024
        }
        return nil
    }

    /// CPUs this process may run on (what `nproc` prints), at least 1: `Cpus_allowed_list`
    /// in `/proc/self/status` ("0-3,6"), else the online count.
    static func onlineCPUs(root: String = "") -> Int {
        if let status = read(root + "/proc/self/status"),
           let line = status.split(separator: "\n").first(where: { $0.hasPrefix("Cpus_allowed_list:") }) {
            let list = line.dropFirst("Cpus_allowed_list:".count).trimmingCharacters(in: .whitespaces)
            let count = list.split(separator: ",").reduce(0) { total, range in
                let bounds = range.split(separator: "-").compactMap { Int($0) }
                return total + (bounds.count == 2 ? bounds[1] - bounds[0] + 1 : bounds.count)
            }
            if count > 0 { return count }
        }
        return max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN)))
    }

    /// The lowest memory limit on the path from this process's cgroup to the root.
    static func cgroupMemoryLimit(root: String) -> Int64? {
        var limits: [Int64] = []
        for directory in ownCgroupDirectories(root: root, controller: "memory") {
            for file in ["memory.max", "memory.limit_in_bytes"] {
                if let text = read(directory + "/" + file), let value = Int64(text), value < Int64.max / 2 {
                    limits.append(value)
                }
            }
        }
        return limits.min()
    }

    /// The lowest CPU quota (in cores) on the path from this process's cgroup to the root.
    static func cgroupCPULimit(root: String) -> Double? {
        var limits: [Double] = []
        for directory in ownCgroupDirectories(root: root, controller: "cpu") {
            if let text = read(directory + "/cpu.max") {
                let fields = text.split(separator: " ")
                if fields.count == 2, let quota = Double(fields[0]), let period = Double(fields[1]), period > 0 {
                    limits.append(quota / period)
                }
            }
            if let quotaText = read(directory + "/cpu.cfs_quota_us"), let quota = Double(quotaText), quota > 0,
               let periodText = read(directory + "/cpu.cfs_period_us"), let period = Double(periodText), period > 0 {
                limits.append(quota / period)
            }
        }
        return limits.min()
    }

    /// This process's cgroup directory and its ancestors, in the v2 hierarchy and in the v1
    /// hierarchy of `controller` when there is one.
    static func ownCgroupDirectories(root: String, controller: String) -> [String] {
        guard let text = read(root + "/proc/self/cgroup") else { return [] }
        var directories: [String] = []
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard parts.count == 3 else { continue }
            let controllers = parts[1].split(separator: ",").map(String.init)
            let mount: String
            if parts[0] == "0", parts[1].isEmpty {
                mount = FileManager.default.fileExists(atPath: root + "/sys/fs/cgroup/unified/cgroup.controllers")
                    ? root + "/sys/fs/cgroup/unified" : root + "/sys/fs/cgroup"
            } else if controllers.contains(controller) {
                mount = root + "/sys/fs/cgroup/" + parts[1].replacingOccurrences(of: "name=", with: "")
            } else {
                continue
            }
            var path = String(parts[2])
            while true {
                directories.append(mount + (path == "/" ? "" : path))
                guard path != "/", let slash = path.lastIndex(of: "/") else { break }
                path = slash == path.startIndex ? "/" : String(path[..<slash])
            }
        }
        return directories
    }

    private static func read(_ path: String) -> String? {
        CgroupFiles.read(path)?.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
