import Budget
import Testing
@testable import Deploy
import StackFile

@Suite struct AdmissionTests {
    static let host = Machine(name: "vps", source: "test", capacity: Amount(memoryBytes: 512 << 20, cpus: 1),
                              reserved: Amount(memoryBytes: 96 << 20, cpus: 0))

    static func service(_ name: String, reservation: Int64) -> Service {
        var service = Service(name: name)
        service.command = ["/bin/true"]
        service.resources.memoryReservation = reservation
        return service
    }

    @Test func theOverlapCountsBothColours() throws {
        let stack = Stack(name: "shop", projectDirectory: "/", services: [Self.service("web", reservation: 150 << 20),
                                                                        Self.service("db", reservation: 100 << 20)])
        // 150 + 100 + 150 = 400M of 416M: it fits.
        let fits = Admission.check(running: stack, service: "web", newSpec: Self.service("web", reservation: 150 << 20),
                                   color: .green, host: Self.host)
        #expect(try fits.get() == "memory reservations with both colours 400M of 416M allocatable")
        // 150 + 100 + 200 = 450M: refused, and it says by how much.
        let refused = Admission.check(running: stack, service: "web", newSpec: Self.service("web", reservation: 200 << 20),
                                      color: .green, host: Self.host)
        #expect(throws: DeployFailure.refused("memory reservations with both colours 450M of 416M allocatable: "
            + "the overlap does not fit (short by 34M)")) { try refused.get() }
    }
}
