import CLibcap
import Confinement
import Testing
import StackFile

/// Capability sets: Docker's rules for cap_add/cap_drop, and the five sets root and non-root
/// services start with.
@Suite struct CapabilityTests {
    /// A kernel with capabilities 0 to 40 (as this project's machines have), berth holding all.
    private let host = CapabilityHost(lastCapability: 40, permitted: .all(through: 40), effective: .all(through: 40))

    private func set(_ names: String...) -> CapabilitySet { CapabilitySet(names: names) }

    @Test func dockerDefaultIsTheFourteenAsTheKernelPrintsThem() {
        #expect(CapabilitySet.dockerDefault.count == 14)
        // What `docker run` shows in /proc/self/status as CapEff for root.
        #expect(CapabilitySet.dockerDefault.hex == "00000000a80425fb")
        #expect(CapabilitySet.all(through: 40).hex == "000001ffffffffff")
        #expect(set("NET_BIND_SERVICE").hex == "0000000000000400")
    }

    @Test func capAddAndCapDropFollowDocker() {
        let all = CapabilitySet.all(through: 40)
        func service(add: [String] = [], drop: [String] = []) -> CapabilitySet {
            CapabilitySets.serviceCapabilities(add: add, drop: drop, all: all)
        }
        #expect(service() == .dockerDefault)
        #expect(service(add: ["SYS_PTRACE"], drop: ["NET_RAW"])
            == CapabilitySet.dockerDefault.subtracting(set("NET_RAW")).union(set("SYS_PTRACE")))
        #expect(service(add: ["NET_BIND_SERVICE"], drop: ["ALL"]) == set("NET_BIND_SERVICE"))
        #expect(service(drop: ["ALL"]) == .empty)
        #expect(service(add: ["ALL"], drop: ["SYS_ADMIN"]) == all.subtracting(set("SYS_ADMIN")))
        // Docker: cap_add ALL wins over cap_drop ALL.
        #expect(service(add: ["ALL"], drop: ["ALL"]) == all)
        // A capability both added and dropped is added (Docker drops first, then adds).
        #expect(service(add: ["CHOWN"], drop: ["CHOWN"]) == .dockerDefault)
    }

    @Test func rootGetsItsSetAsBoundingPermittedAndEffective() {
        let sets = CapabilitySets.resolve(add: [], drop: [], runsAsRoot: true, host: host)
        #expect(sets.bounding == .dockerDefault)
        #expect(sets.permitted == .dockerDefault)
        #expect(sets.effective == .dockerDefault)
        #expect(sets.inheritable == .empty)
        #expect(sets.ambient == .empty)
        let none = CapabilitySets.resolve(add: [], drop: ["ALL"], runsAsRoot: true, host: host)
        #expect([none.bounding, none.permitted, none.effective, none.inheritable, none.ambient].allSatisfy { $0.isEmpty })
    }

    @Test func nonRootKeepsOnlyWhatCapAddNamesAsAmbient() {
        let plain = CapabilitySets.resolve(add: [], drop: [], runsAsRoot: false, host: host)
        #expect(plain.bounding == .dockerDefault)
        #expect([plain.permitted, plain.effective, plain.inheritable, plain.ambient].allSatisfy { $0.isEmpty })

        let web = CapabilitySets.resolve(add: ["NET_BIND_SERVICE"], drop: ["ALL"], runsAsRoot: false, host: host)
        #expect(web.bounding == set("NET_BIND_SERVICE"))
        #expect(web.ambient == set("NET_BIND_SERVICE"))
        #expect(web.permitted == web.ambient && web.effective == web.ambient && web.inheritable == web.ambient)

        // Added to the defaults: the bounding set is the whole service set, ambient only the added one.
        let added = CapabilitySets.resolve(add: ["SYS_PTRACE"], drop: [], runsAsRoot: false, host: host)
        #expect(added.bounding == CapabilitySet.dockerDefault.union(set("SYS_PTRACE")))
        #expect(added.ambient == set("SYS_PTRACE"))

        // Dropped again: what cap_add names but the service does not keep is not ambient.
        let everything = CapabilitySets.resolve(add: ["ALL"], drop: ["SYS_ADMIN"], runsAsRoot: false, host: host)
        #expect(everything.ambient == CapabilitySet.all(through: 40).subtracting(set("SYS_ADMIN")))
    }

    @Test func berthCannotGiveWhatItDoesNotHold() {
        // This machine's berth has every capability but CAP_SYS_RESOURCE (24).
        let limited = CapabilityHost(lastCapability: 40, permitted: CapabilitySet(mask: 0x1fffeffffff),
                                     effective: CapabilitySet(mask: 0x1fffeffffff))
        let all = CapabilitySets.resolve(add: ["ALL"], drop: [], runsAsRoot: true, host: limited)
        #expect(all.bounding == CapabilitySet(mask: 0x1fffeffffff))
        #expect(all.unavailable == .empty)
        let named = CapabilitySets.resolve(add: ["SYS_RESOURCE", "NET_ADMIN"], drop: [], runsAsRoot: true, host: limited)
        #expect(named.unavailable == set("SYS_RESOURCE"))
        #expect(named.bounding == CapabilitySet.dockerDefault.union(set("NET_ADMIN")))
        // A kernel with fewer capabilities: ALL means the ones it has.
        let older = CapabilityHost(lastCapability: 37, permitted: .all(through: 37), effective: .all(through: 37))
        #expect(CapabilitySets.resolve(add: ["ALL"], drop: [], runsAsRoot: true, host: older).bounding.hex == "0000003fffffffff")
    }

    @Test func anUnprivilegedBerthLeavesTheBoundingSetAlone() {
        let user = CapabilityHost(lastCapability: 40, permitted: .empty, effective: .empty)
        #expect(!user.canDropBoundingSet)
        #expect(host.canDropBoundingSet)
        let sets = CapabilitySets.resolve(add: ["NET_BIND_SERVICE"], drop: [], runsAsRoot: false, host: user)
        #expect(sets.ambient == .empty)
        #expect(sets.unavailable == set("NET_BIND_SERVICE"))
    }

    @Test func procStatusMasksAreRead() {
        let status = "Name:\tprobe\nCapInh:\t0000000000000000\nCapPrm:\t00000000a80425fb\nCapEff:\t00000000a80425fb\n"
        #expect(CapabilityHost.statusMask("CapPrm", in: status) == .dockerDefault)
        #expect(CapabilityHost.statusMask("CapInh", in: status) == .empty)
        #expect(CapabilityHost.statusMask("CapAmb", in: status) == nil)
        #expect(CapabilitySet.dockerDefault.names == ["CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "SETGID", "SETUID",
                                                      "SETPCAP", "NET_BIND_SERVICE", "NET_RAW", "SYS_CHROOT", "MKNOD",
                                                      "AUDIT_WRITE", "SETFCAP"])
    }

    /// berth's own table of names and the kernel's last capability agree with libcap.
    @Test func namesAndTheLastCapabilityAgreeWithLibcap() {
        for (number, name) in Capability.all.enumerated() {
            var value = cap_value_t(0)
            let known = cap_from_name("cap_" + name.lowercased(), &value) == 0
            if known { #expect(Int(value) == number, "\(name)") }
        }
        #expect(Int(cap_max_bits()) - 1 == CapabilityHost.current().lastCapability)
    }
}
