import Foundation
import Testing
@testable import StateStore

@Suite("Deploys")
struct DeployRecordTests {
    @Test("a deploy is read back as written, oldest first, by service")
    func deployRoundTrip() throws {
        try withTemporaryDirectory { directory in
            let store = try openStore(in: directory)
            let first = DeployRecord(id: "d1", sessionID: nil, service: "web", kind: "deploy", startedAt: 10, endedAt: 12,
                                     fromColor: "blue", toColor: "green", specDigest: "00ff", outcome: "deployed",
                                     timings: ["start": 3, "health": 412])
            let second = DeployRecord(id: "d2", sessionID: nil, service: "web", kind: "rollback", startedAt: 20, endedAt: 21,
                                      fromColor: "green", toColor: "blue", specDigest: "00fe", outcome: "rolled_back",
                                      failedStep: "verify", reason: "the proxy still answers blue")
            store.recordDeploy(second)
            store.recordDeploy(first)
            #expect(store.flush(timeout: .seconds(5)))
            #expect(try store.deploys(service: "web") == [first, second])
            #expect(try store.deploys(service: "api").isEmpty)
        }
    }
}
