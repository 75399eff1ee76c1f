import Glibc
import StackFile

/// A set of Linux capabilities as the kernel keeps it: bit N is capability N
/// (`<linux/capability.h>`; `/proc/<pid>/status` prints these masks as `CapEff`, `CapBnd`, ...).
public struct CapabilitySet: Equatable, Hashable, Sendable, CustomStringConvertible {
    public var mask: UInt64

    public init(mask: UInt64) {
        self.mask = mask
    }

    /// Capability names as the stack model keeps them (`NET_BIND_SERVICE`); `ALL` and unknown
    /// names are not capabilities and are left out (the stack loader has rejected unknown ones).
    public init(names: [String]) {
        var mask: UInt64 = 0
        for name in names {
            if let number = Capability.number(of: name) { mask |= 1 << UInt64(number) }
        }
        self.mask = mask
    }

    public static let empty = CapabilitySet(mask: 0)

    /// Docker's default set (moby `daemon/pkg/oci/caps/defaults.go`), 14 capabilities:
    /// what a service has without `cap_add` and `cap_drop`.
    public static let dockerDefault = CapabilitySet(names: Capability.dockerDefaults)

    /// Capabilities 0 to `last`: every capability this kernel has.
    public static func all(through last: Int) -> CapabilitySet {
        last >= 63 ? CapabilitySet(mask: .max) : CapabilitySet(mask: (UInt64(1) << UInt64(last + 1)) - 1)
    }

    public func contains(_ number: Int) -> Bool {
        number >= 0 && number < 64 && mask & (1 << UInt64(number)) != 0
    }

    public var isEmpty: Bool { mask == 0 }
    public var count: Int { mask.nonzeroBitCount }

    public func union(_ other: CapabilitySet) -> CapabilitySet { CapabilitySet(mask: mask | other.mask) }
    public func intersection(_ other: CapabilitySet) -> CapabilitySet { CapabilitySet(mask: mask & other.mask) }
    public func subtracting(_ other: CapabilitySet) -> CapabilitySet { CapabilitySet(mask: mask & ~other.mask) }

    /// The numbers in the set, ascending.
    public var numbers: [Int] { (0..<64).filter(contains) }

    /// The names, in number order (`CAP_` omitted; `CAP_41` style for numbers newer than berth).
    public var names: [String] {
        numbers.map { $0 < Capability.all.count ? Capability.all[$0] : "CAP_\($0)" }
    }

    /// As `/proc/self/status` prints it: 16 hex digits (`00000000a80425fb`).
    public var hex: String {
        let digits = String(mask, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }

    public var description: String { names.isEmpty ? "none" : names.joined(separator: ",") }
}

/// What the kernel gives berth to hand on: the capabilities this kernel has, and the ones berth
/// holds itself. A service can only get capabilities berth has: `capset(2)` cannot raise a
/// capability the caller does not hold, and `PR_CAPBSET_DROP` needs `CAP_SETPCAP`.
public struct CapabilityHost: Equatable, Sendable {
    /// `/proc/sys/kernel/cap_last_cap`: the highest capability number this kernel knows.
    public var lastCapability: Int
    /// berth's own permitted set (`CapPrm` in `/proc/self/status`).
    public var permitted: CapabilitySet
    /// berth's own effective set (`CapEff`).
    public var effective: CapabilitySet

    public init(lastCapability: Int, permitted: CapabilitySet, effective: CapabilitySet) {
        self.lastCapability = lastCapability
        self.permitted = permitted
        self.effective = effective
    }

    /// Every capability of this kernel.
    public var all: CapabilitySet { .all(through: lastCapability) }

    /// Whether berth can shrink a child's bounding set (`PR_CAPBSET_DROP` needs `CAP_SETPCAP`
    /// in the effective set; a berth run by an ordinary user has none and leaves it alone).
    public var canDropBoundingSet: Bool {
        effective.contains(Capability.number(of: "SETPCAP") ?? 8)
    }

    /// This machine and this process: the kernel's `cap_last_cap`, and berth's own sets from
    /// `/proc/self/status`. If `/proc` cannot be read, the capabilities of berth's headers and
    /// no capability of its own are assumed.
    public static func current() -> CapabilityHost {
        let last = CgroupFiles.read("/proc/sys/kernel/cap_last_cap").flatMap { firstWord($0).flatMap { Int($0) } }
            ?? (Capability.all.count - 1)
        let status = CgroupFiles.read("/proc/self/status") ?? ""
        return CapabilityHost(lastCapability: last, permitted: statusMask("CapPrm", in: status) ?? .empty,
                              effective: statusMask("CapEff", in: status) ?? .empty)
    }

    /// The mask on a `Cap...:` line of `/proc/<pid>/status`.
    public static func statusMask(_ key: String, in status: String) -> CapabilitySet? {
        for line in status.split(separator: "\n") where line.hasPrefix(key + ":") {
            return firstWord(line.dropFirst(key.count + 1)).flatMap { UInt64($0, radix: 16) }.map(CapabilitySet.init(mask:))
        }
        return nil
    }
}

/// The five capability sets a service starts with, from its `cap_add`/`cap_drop` and its user.
///
/// The service's capabilities follow Docker's rules (moby `TweakCapabilities`): Docker's 14
/// defaults; `cap_drop: [ALL]` starts from none; `cap_add: [ALL]` gives every capability but
/// those dropped (and wins over `cap_drop: [ALL]`); otherwise the defaults minus `cap_drop`
/// plus `cap_add`. Then, by user:
///
/// - **root** (uid 0, or no `user` while berth is root): bounding, permitted and effective are
///   the service's capabilities; inheritable and ambient are empty (Docker's sets since
///   CVE-2022-24769). On exec, root's permitted set becomes its bounding set.
/// - **non-root**: the bounding set is still the service's capabilities (what a setuid or
///   file-capability program could reach — nothing while no_new_privs is on), but only the
///   capabilities the stack grants by name in `cap_add` are kept across the user switch, and
///   raised as **ambient** capabilities, which a non-root program keeps across exec. So a web
///   server running as `www-data` with `cap_add: [NET_BIND_SERVICE]` can bind port 80. Docker
///   gives a non-root user nothing (its ambient set is empty). The defaults are not made
///   ambient: that would give a non-root user CAP_DAC_OVERRIDE, CAP_SETUID and the rest.
///
/// Everything is limited to what berth holds itself (``CapabilityHost``): `ALL` means every
/// capability berth has; a capability named in `cap_add` that berth lacks is reported in
/// `unavailable` and left out.
public struct CapabilitySets: Equatable, Sendable {
    public var bounding: CapabilitySet
    public var permitted: CapabilitySet
    public var effective: CapabilitySet
    public var inheritable: CapabilitySet
    public var ambient: CapabilitySet
    /// The service's capabilities (what seccomp rules' `includes.caps`/`excludes.caps` are
    /// matched against, as Docker matches them against the container's set).
    public var service: CapabilitySet
    /// Capabilities `cap_add` names that berth does not hold, so cannot give.
    public var unavailable: CapabilitySet

    public init(bounding: CapabilitySet, permitted: CapabilitySet, effective: CapabilitySet,
                inheritable: CapabilitySet, ambient: CapabilitySet, service: CapabilitySet,
                unavailable: CapabilitySet = .empty) {
        self.bounding = bounding
        self.permitted = permitted
        self.effective = effective
        self.inheritable = inheritable
        self.ambient = ambient
        self.service = service
        self.unavailable = unavailable
    }

    /// The sets for a service with these `cap_add`/`cap_drop` (normalized names, `ALL`
    /// allowed), running as root or not, on this host.
    public static func resolve(add: [String], drop: [String], runsAsRoot: Bool, host: CapabilityHost) -> CapabilitySets {
        let wanted = serviceCapabilities(add: add, drop: drop, all: host.all)
        let service = wanted.intersection(host.permitted)
        let named = CapabilitySet(names: add).intersection(host.all)
        let unavailable = named.subtracting(host.permitted)
        if runsAsRoot {
            return CapabilitySets(bounding: service, permitted: service, effective: service, inheritable: .empty,
                                  ambient: .empty, service: service, unavailable: unavailable)
        }
        // `cap_add: [ALL]` grants everything by name; otherwise the capabilities listed.
        let granted = (add.contains("ALL") ? service : named.intersection(service))
        return CapabilitySets(bounding: service, permitted: granted, effective: granted, inheritable: granted,
                              ambient: granted, service: service, unavailable: unavailable)
    }

    /// Docker's `TweakCapabilities` over the capabilities `all` this kernel has.
    public static func serviceCapabilities(add: [String], drop: [String], all: CapabilitySet,
                                           defaults: CapabilitySet = .dockerDefault) -> CapabilitySet {
        let added = CapabilitySet(names: add)
        let dropped = CapabilitySet(names: drop)
        if add.contains("ALL") { return all.subtracting(dropped) }
        if drop.contains("ALL") { return added.intersection(all) }
        return defaults.subtracting(dropped).union(added).intersection(all)
    }
}

/// `text` without its blanks (a value alone on its line, as in `/proc`).
private func firstWord(_ text: some StringProtocol) -> String? {
    let word = String(text.filter { !$0.isWhitespace })
    return word.isEmpty ? nil : word
}
