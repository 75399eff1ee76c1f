import Foundation
import StackFile

/// One cgroup v2 file write that enforces part of a service's resources.
public struct LimitSetting: Equatable, Sendable, CustomStringConvertible {
    /// The file in the leaf: `memory.max`, `cpu.max`...
    public var file: String
    public var value: String
    /// The controller that must be enabled for the file to exist.
    public var controller: String
    /// What the user wrote, in their words: `memory limit 256m`.
    public var description: String
    /// Whether the user asked for it; implied settings (the swap default, `memory.oom.group`)
    /// are applied when possible and never make a stack fail.
    public var isExplicit: Bool
}

/// Translates a service's resources into cgroup v2 files, as runc and crun do for Docker.
public enum CgroupLimits {
    public static let period = 100_000

    public static func settings(for service: Service) -> [LimitSetting] {
        let resources = service.resources
        var settings: [LimitSetting] = []
        func add(_ file: String, _ value: String, _ controller: String, _ description: String, explicit: Bool = true) {
            settings.append(LimitSetting(file: file, value: value, controller: controller,
                                         description: description, isExplicit: explicit))
        }
        if let memory = resources.memoryLimit {
            add("memory.max", String(memory), "memory", "memory limit \(ByteCount.format(memory))")
            // Compose: memswap_limit is memory plus swap; unset means as much swap as memory.
            switch resources.memorySwapLimit {
            case let .bytes(total)?:
                add("memory.swap.max", String(total - memory), "memory", "memswap_limit \(ByteCount.format(total))")
            case .unlimited?:
                add("memory.swap.max", "max", "memory", "memswap_limit -1")
            case nil:
                add("memory.swap.max", String(memory), "memory", "swap limit (as much as memory)", explicit: false)
            }
        }
        if let high = service.berth.memoryHigh {
            add("memory.high", String(high), "memory", "x-berth.memory_high \(ByteCount.format(high))")
        }
        if let reservation = resources.memoryReservation {
            add("memory.low", String(reservation), "memory", "memory reservation \(ByteCount.format(reservation))")
        }
        if !settings.isEmpty {
            // The whole service is one unit: the OOM killer takes all of it or nothing.
            add("memory.oom.group", "1", "memory", "OOM group kill", explicit: false)
        }
        if let cpus = resources.cpuLimit {
            let quota = max(1000, Int((cpus * Double(period)).rounded()))
            add("cpu.max", "\(quota) \(period)", "cpu", "CPU limit \(ComposeNumber.format(cpus))")
        }
        if let shares = resources.cpuShares {
            add("cpu.weight", String(weight(forShares: shares)), "cpu", "cpu_shares \(shares)")
        }
        if let pids = resources.pidsLimit {
            add("pids.max", String(pids), "pids", "pids limit \(pids)")
        }
        return settings
    }

    /// Docker's CPU shares on cgroup v2's weight scale: the quadratic mapping crun, runc and
    /// youki share (1024 shares → weight 100).
    public static func weight(forShares shares: Int) -> Int {
        if shares <= 2 { return 1 }
        if shares >= 262_144 { return 10_000 }
        let l = log2(Double(shares))
        let exponent = (l * l + 125 * l) / 612.0 - 7.0 / 34.0
        return Int(pow(10, exponent).rounded(.up))
    }
}
