import Foundation
import Testing
@testable import Deploy
import StackFile
import Supervisor

@Suite struct UpstreamFileTests {
    @Test func rendersOneUpstreamAndOneColorVariablePerService() {
        let text = UpstreamFile.render([
            .init(service: "web", color: .green, port: 8082),
            .init(service: "api.v2", color: .blue, port: 9081),
        ])
        #expect(text == """
            # Written by berth; do not edit: berth rewrites it on every deploy.
            # api.v2: blue
            upstream api.v2 {
                server 127.0.0.1:9081;
            }
            map $host $berth_api_v2_color {
                default "blue";
            }
            # web: green
            upstream web {
                server 127.0.0.1:8082;
            }
            map $host $berth_web_color {
                default "green";
            }

            """)
    }

    @Test func writeReplacesTheFileAndLeavesNoTemporaryFile() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("berth-upstreams-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/upstreams.conf"
        try UpstreamFile.write("old\n", to: path)
        let before = try FileManager.default.attributesOfItem(atPath: path)[.systemFileNumber] as? Int
        try UpstreamFile.write("new\n", to: path)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "new\n")
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory) == ["upstreams.conf"])
        // A new inode: renamed into place, never rewritten in place.
        #expect(try FileManager.default.attributesOfItem(atPath: path)[.systemFileNumber] as? Int != before)
    }

    @Test func writeIntoAMissingDirectoryFailsWithThePath() {
        #expect(throws: DeployFailure.self) { try UpstreamFile.write("x", to: "/nonexistent-berth/upstreams.conf") }
    }
}

@Suite struct ConnectionsTests {
    static let table = """
          sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
           0: 0100007F:1F91 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1 0000000000000000 100 0 0 10 0
           1: 0100007F:1F91 0100007F:D2F0 01 00000000:00000000 00:00000000 00000000     0        0 2 1 0000000000000000 20 4 30 10 -1
           2: 0100007F:D2F0 0100007F:1F91 01 00000000:00000000 00:00000000 00000000     0        0 3 1 0000000000000000 20 4 30 10 -1
           3: 0100007F:1F91 0100007F:D2F2 06 00000000:00000000 00:00000000 00000000     0        0 0 3 0000000000000000
           4: 0100007F:1F91 0100007F:D2F4 08 00000000:00000000 00:00000000 00000000     0        0 4 1 0000000000000000 20 4 30 10 -1
        """

    @Test func countsOpenConnectionsToTheLocalPortOnly() {
        // 8081 = 0x1F91: one established, one in CLOSE_WAIT; not the listener, not TIME_WAIT,
        // not the client side of a connection to it.
        #expect(Connections.count(localPort: 8081, in: Self.table) == 2)
        #expect(Connections.count(localPort: 8082, in: Self.table) == 0)
    }
}
