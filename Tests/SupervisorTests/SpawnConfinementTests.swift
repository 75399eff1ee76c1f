import Confinement
import Foundation
import StackFile
import Supervisor
import Testing

/// The child's confinement step with real plans: what the program finds in /proc/self/status
/// once it runs, on both ways a child is created (clone3 into a leaf, which skips glibc's fork
/// bookkeeping, and plain fork), and how a failed step is reported.
@Suite("Spawner: confinement", .timeLimit(.minutes(2)), .enabled(if: geteuid() == 0))
struct SpawnConfinementTests {
    private static let users = UserTable(
        passwd: "root:x:0:0::/root:/bin/sh\nnobody:x:65534:65534::/nonexistent:/bin/false\n",
        group: "root:x:0:\nnogroup:x:65534:\nextra:x:4242:nobody\n")

    private func plan(_ configure: (inout Service) -> Void) throws -> ConfinementPlan {
        var service = Service(name: "probe")
        service.command = ["/bin/grep"]
        configure(&service)
        return try ConfinementPlanner(users: Self.users, berthUID: 0).plan(for: service).plan
    }

    /// `grep` of the status lines, as the confined program sees them; in a leaf when `leaf`.
    private func status(under plan: ConfinementPlan, inLeaf: Bool) throws -> (run: Run, status: String) {
        let leaf = inLeaf ? try CgroupLeaf() : nil
        defer { leaf?.remove() }
        let run = try Run(SpawnRequest(
            executable: "/bin/grep", arguments: ["grep", "-E", "^(Uid|Gid|Groups|Cap...|NoNewPrivs|Seccomp):", "/proc/self/status"],
            cgroupDirectory: leaf?.descriptor, confinement: plan))
        return (run, run.stdout)
    }

    private static let placements: [Bool] = CgroupLeaf.base == nil ? [false] : [false, true]

    @Test("root with the defaults: Docker's 14 capabilities, no_new_privs, a filter", arguments: placements)
    func rootDefaults(inLeaf: Bool) throws {
        let (run, status) = try status(under: try plan { _ in }, inLeaf: inLeaf)
        #expect(run.outcome == .executed)
        #expect(run.placedByClone3 == inLeaf)
        #expect(field("Uid", in: status) == "0\t0\t0\t0")
        #expect(field("CapEff", in: status) == "00000000a80425fb")
        #expect(field("CapPrm", in: status) == "00000000a80425fb")
        #expect(field("CapBnd", in: status) == "00000000a80425fb")
        #expect(field("CapInh", in: status) == "0000000000000000")
        #expect(field("CapAmb", in: status) == "0000000000000000")
        #expect(field("NoNewPrivs", in: status) == "1")
        #expect(field("Seccomp", in: status) == "2")
    }

    @Test("nobody with cap_add NET_BIND_SERVICE: its ids and groups, the capability ambient", arguments: placements)
    func nonRootWithAnAmbientCapability(inLeaf: Bool) throws {
        let (run, status) = try status(under: try plan {
            $0.user = "nobody"
            $0.security.capAdd = ["NET_BIND_SERVICE"]
        }, inLeaf: inLeaf)
        #expect(run.outcome == .executed)
        #expect(field("Uid", in: status) == "65534\t65534\t65534\t65534")
        #expect(field("Gid", in: status) == "65534\t65534\t65534\t65534")
        #expect(field("Groups", in: status) == "4242 65534")
        #expect(field("CapEff", in: status) == "0000000000000400")
        #expect(field("CapAmb", in: status) == "0000000000000400")
        #expect(field("CapInh", in: status) == "0000000000000400")
        #expect(field("CapBnd", in: status) == "00000000a80425fb")
    }

    @Test("no_new_privs off, unconfined, every capability dropped", arguments: placements)
    func everythingOff(inLeaf: Bool) throws {
        let (run, status) = try status(under: try plan {
            $0.security.noNewPrivileges = false
            $0.security.seccomp = .unconfined
            $0.security.capDrop = ["ALL"]
        }, inLeaf: inLeaf)
        #expect(run.outcome == .executed)
        #expect(field("NoNewPrivs", in: status) == "0")
        #expect(field("Seccomp", in: status) == "0")
        #expect(field("CapEff", in: status) == "0000000000000000")
        #expect(field("CapBnd", in: status) == "0000000000000000")
    }

    @Test("a filter without no_new_privs is installed before the user switch", arguments: placements)
    func filterWithoutNoNewPrivs(inLeaf: Bool) throws {
        let (run, status) = try status(under: try plan {
            $0.user = "nobody"
            $0.security.noNewPrivileges = false
        }, inLeaf: inLeaf)
        #expect(run.outcome == .executed)
        #expect(field("Uid", in: status) == "65534\t65534\t65534\t65534")
        #expect(field("NoNewPrivs", in: status) == "0")
        #expect(field("Seccomp", in: status) == "2")
    }

    @Test func aStepThatFailsIsReportedWithItsStep() throws {
        var broken = try plan { _ in }
        // A jump past the end of the program: the kernel refuses it (EINVAL) at seccomp(2).
        broken.seccomp = SeccompProgram(filter: [0x05, 0x00, 0, 0, 0x10, 0, 0, 0])
        let run = try Run(SpawnRequest(executable: "/bin/true", arguments: ["true"], confinement: broken))
        #expect(run.outcome == .failedConfinement(step: .seccomp, errno: EINVAL))
        #expect(run.exitCode == 127)
        #expect(SpawnFailure.message(service: "web", executable: "/bin/true", step: .seccomp, errno: EINVAL)
            == #"web: start "/bin/true": confinement: install the seccomp filter: Invalid argument"#)
    }
}
