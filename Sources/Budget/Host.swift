import StackFile

/// Memory and CPU, the two resources the budget balances.
public struct Amount: Equatable, Sendable {
    public var memoryBytes: Int64
    public var cpus: Double

    public init(memoryBytes: Int64, cpus: Double) {
        self.memoryBytes = memoryBytes
        self.cpus = cpus
    }

    public static let zero = Amount(memoryBytes: 0, cpus: 0)
}

/// The machine a stack is checked against.
///
/// Allocatable = capacity − system reserve, Kubernetes' rule: what the kernel, sshd, the
/// logger and berth itself use is not there for services.
public struct Machine: Equatable, Sendable {
    /// The profile's name, or `this machine`.
    public var name: String
    /// Where the numbers come from: a profile file, or what was read off this machine.
    public var source: String
    public var capacity: Amount
    public var reserved: Amount

    public init(name: String, source: String, capacity: Amount, reserved: Amount) {
        self.name = name
        self.source = source
        self.capacity = capacity
        self.reserved = reserved
    }

    public init(profile: HostProfile, source: String) {
        self.init(
            name: profile.name, source: source,
            capacity: Amount(memoryBytes: profile.memoryBytes, cpus: profile.cpus),
            reserved: Amount(memoryBytes: profile.reservedMemoryBytes, cpus: profile.reservedCPUs)
        )
    }

    /// Capacity less the reserve, never below zero.
    public var allocatable: Amount {
        Amount(memoryBytes: max(0, capacity.memoryBytes - reserved.memoryBytes),
               cpus: max(0, capacity.cpus - reserved.cpus))
    }
}

/// The system reserve assumed for a machine that has no profile.
///
/// A Debian VPS with sshd, journald and cron settles around 60 MiB; berth adds about 10 MiB.
/// The reserve grows slowly with the machine (page cache for the system, larger kernel
/// tables): 64 MiB plus 5% of memory, at most 1 GiB; 5% of the CPUs, at least 0.1.
public enum SystemReserve {
    public static func `default`(for capacity: Amount) -> Amount {
        let memory = min(64 * 1024 * 1024 + capacity.memoryBytes / 20, 1024 * 1024 * 1024)
        let cpus = max(0.1, (capacity.cpus * 0.05 * 100).rounded() / 100)
        return Amount(memoryBytes: min(memory, capacity.memoryBytes), cpus: min(cpus, capacity.cpus))
    }
}
