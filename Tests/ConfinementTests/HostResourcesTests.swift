import Foundation
import Testing
@testable import Confinement

/// A fake `/proc` and `/sys/fs/cgroup` under a temporary root.
private final class FakeHost {
    let root = FileManager.default.temporaryDirectory.appendingPathComponent("host-\(UUID())").path

    func write(_ path: String, _ text: String) {
        let file = root + path
        try? FileManager.default.createDirectory(atPath: (file as NSString).deletingLastPathComponent,
                                                 withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: file, contents: Data(text.utf8))
    }

    deinit { try? FileManager.default.removeItem(atPath: root) }
}

@Suite struct HostResourcesTests {
    @Test func readsMemoryAndCPUsOffTheMachine() {
        let host = FakeHost()
        host.write("/proc/meminfo", "MemTotal:        1017236 kB\nMemFree:          512000 kB\n")
        host.write("/proc/self/status", "Name:\tberth\nCpus_allowed_list:\t0-1\n")
        host.write("/proc/self/cgroup", "0::/\n")
        let machine = HostResources.detect(root: host.root)
        #expect(machine.capacity.memoryBytes == 1_017_236 * 1024)
        #expect(machine.capacity.cpus == 2)
        #expect(machine.source == "detected: /proc/meminfo, 2 online CPUs")
    }

    @Test func ownCgroupLimitsNarrowTheMachine() {
        let host = FakeHost()
        host.write("/proc/meminfo", "MemTotal:        4000000 kB\n")
        host.write("/proc/self/status", "Cpus_allowed_list:\t0-3,6\n")
        host.write("/proc/self/cgroup", "0::/system.slice/berth.service\n")
        host.write("/sys/fs/cgroup/system.slice/berth.service/memory.max", "max\n")
        host.write("/sys/fs/cgroup/system.slice/memory.max", "536870912\n")
        host.write("/sys/fs/cgroup/system.slice/berth.service/cpu.max", "150000 100000\n")
        let machine = HostResources.detect(root: host.root)
        #expect(machine.capacity.memoryBytes == 536_870_912)
        #expect(machine.capacity.cpus == 1.5)
        #expect(machine.source == "detected: /proc/meminfo, 5 online CPUs, cgroup memory limit, cgroup CPU limit")
    }

    @Test func readsTheV1MemoryHierarchyOnHybridHosts() {
        let host = FakeHost()
        host.write("/proc/meminfo", "MemTotal:        4000000 kB\n")
        host.write("/proc/self/status", "Cpus_allowed_list:\t0\n")
        host.write("/proc/self/cgroup", "4:memory:/box\n1:cpu,cpuacct:/box\n0::/box\n")
        host.write("/sys/fs/cgroup/unified/cgroup.controllers", "\n")
        host.write("/sys/fs/cgroup/memory/box/memory.limit_in_bytes", "268435456\n")
        host.write("/sys/fs/cgroup/memory/memory.limit_in_bytes", "9223372036854771712\n")
        host.write("/sys/fs/cgroup/cpu,cpuacct/box/cpu.cfs_quota_us", "-1\n")
        host.write("/sys/fs/cgroup/cpu,cpuacct/box/cpu.cfs_period_us", "100000\n")
        let machine = HostResources.detect(root: host.root)
        #expect(machine.capacity.memoryBytes == 268_435_456)
        #expect(machine.capacity.cpus == 1)
    }
}
