import StackFile

/// Does a stack fit a host? Reservations must fit in what is allocatable (they are promises);
/// limits may add up to more (they are ceilings), and the report says by how much.
public struct BudgetReport: Equatable, Sendable {
    public var stackName: String
    public var host: Machine
    public var services: [ServiceBudget]
    public var totals: Totals
    /// Σ limits ÷ allocatable, per resource; `nil` when nothing is allocatable.
    public var oversubscription: Ratios
    /// Σ reservations fit in allocatable memory and CPUs.
    public var fits: Bool
    public var warnings: [String]
    /// What the running supervisor reports, when one runs the stack (`berth budget` adds it).
    public var live: LiveBudget?

    public struct Totals: Equatable, Sendable {
        public var memoryLimitBytes: Int64
        public var memoryReservationBytes: Int64
        public var cpuLimit: Double
        public var cpuReservation: Double
    }

    public struct Ratios: Equatable, Sendable {
        public var memory: Double?
        public var cpu: Double?
    }

    /// What is left once every reservation is honoured; negative when they do not fit.
    public var headroom: (memoryBytes: Int64, cpus: Double) {
        (host.allocatable.memoryBytes - totals.memoryReservationBytes, host.allocatable.cpus - totals.cpuReservation)
    }

    public init(stack: Stack, host: Machine) {
        stackName = stack.name
        self.host = host
        services = stack.startOrder.compactMap { stack[$0] }.map(ServiceBudget.init)
        totals = Totals(
            memoryLimitBytes: services.compactMap(\.memoryLimitBytes).reduce(0, +),
            memoryReservationBytes: services.compactMap(\.memoryReservationBytes).reduce(0, +),
            cpuLimit: services.compactMap(\.cpuLimit).reduce(0, +),
            cpuReservation: services.compactMap(\.cpuReservation).reduce(0, +)
        )
        let allocatable = host.allocatable
        oversubscription = Ratios(
            memory: allocatable.memoryBytes > 0 ? Double(totals.memoryLimitBytes) / Double(allocatable.memoryBytes) : nil,
            cpu: allocatable.cpus > 0 ? totals.cpuLimit / allocatable.cpus : nil
        )
        let memoryFits = totals.memoryReservationBytes <= allocatable.memoryBytes
        // Compare CPUs in hundredths: 0.1 + 0.2 must fit in 0.3.
        let cpuFits = (totals.cpuReservation * 100).rounded() <= (allocatable.cpus * 100).rounded()
        fits = memoryFits && cpuFits
        warnings = Self.warnings(services: services, totals: totals, allocatable: allocatable,
                                 oversubscription: oversubscription, memoryFits: memoryFits, cpuFits: cpuFits)
    }

    private static func warnings(
        services: [ServiceBudget], totals: Totals, allocatable: Amount, oversubscription: Ratios,
        memoryFits: Bool, cpuFits: Bool
    ) -> [String] {
        var warnings: [String] = []
        if !memoryFits {
            warnings.append("memory reservations (\(Units.bytes(totals.memoryReservationBytes))) exceed allocatable "
                + "memory (\(Units.bytes(allocatable.memoryBytes))) by \(Units.bytes(totals.memoryReservationBytes - allocatable.memoryBytes))")
        }
        if !cpuFits {
            warnings.append("CPU reservations (\(Units.cores(totals.cpuReservation))) exceed allocatable CPUs "
                + "(\(Units.cores(allocatable.cpus)))")
        }
        for service in services {
            switch service.qos {
            case .unbounded:
                warnings.append("\(service.name): no memory or CPU limit; it can take the whole machine")
            case .guaranteed, .burstable:
                if service.memoryLimitBytes == nil {
                    warnings.append("\(service.name): no memory limit; it can take all of the host's memory")
                }
            }
            if let limit = service.memoryLimitBytes, limit > allocatable.memoryBytes {
                warnings.append("\(service.name): memory limit \(Units.bytes(limit)) is above allocatable memory "
                    + "(\(Units.bytes(allocatable.memoryBytes))); the host runs out before the limit is reached")
            }
            if let limit = service.cpuLimit, limit > allocatable.cpus {
                warnings.append("\(service.name): CPU limit \(Units.cores(limit)) is above allocatable CPUs "
                    + "(\(Units.cores(allocatable.cpus)))")
            }
        }
        if let ratio = oversubscription.memory, ratio > 1 {
            warnings.append("memory limits add up to \(Units.ratio(ratio)) of allocatable memory: services cannot all "
                + "reach their limits at once")
        }
        return warnings
    }
}

/// One service's line in the budget.
public struct ServiceBudget: Equatable, Sendable {
    public var name: String
    public var memoryLimitBytes: Int64?
    public var memoryReservationBytes: Int64?
    public var cpuLimit: Double?
    public var cpuReservation: Double?
    public var pidsLimit: Int?
    public var qos: QoSClass

    public init(_ service: Service) {
        let resources = service.resources
        name = service.name
        memoryLimitBytes = resources.memoryLimit
        memoryReservationBytes = resources.memoryReservation
        cpuLimit = resources.cpuLimit
        cpuReservation = resources.cpuReservation
        pidsLimit = resources.pidsLimit
        qos = QoSClass(resources)
    }
}

/// Kubernetes' quality-of-service classes, on one host.
public enum QoSClass: String, Equatable, Sendable {
    /// Memory and CPU limits equal to their reservations: the service gets exactly what it asked for.
    case guaranteed
    /// Some limit or reservation, but not guaranteed.
    case burstable
    /// No memory and no CPU limit: nothing stops it from starving its neighbours.
    case unbounded

    public init(_ resources: Resources) {
        if resources.memoryLimit == nil, resources.cpuLimit == nil {
            self = .unbounded
        } else if let memory = resources.memoryLimit, memory == resources.memoryReservation,
                  let cpus = resources.cpuLimit, cpus == resources.cpuReservation {
            self = .guaranteed
        } else {
            self = .burstable
        }
    }
}
