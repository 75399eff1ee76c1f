import Foundation
import Glibc
import Testing

/// berth under systemd (`Type=notify`): READY=1 once every service has started, STOPPING=1
/// when the stack is stopped, sent as datagrams to $NOTIFY_SOCKET.
@Suite struct SystemdNotifyTests {
    /// A datagram socket standing in for systemd's notification socket.
    final class NotifySocket {
        let path: String
        let fd: Int32

        init() throws {
            path = FileManager.default.temporaryDirectory.appendingPathComponent("notify-\(UUID()).sock").path
            fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
            var address = sockaddr_un()
            address.sun_family = sa_family_t(AF_UNIX)
            withUnsafeMutableBytes(of: &address.sun_path) { raw in
                for (index, byte) in path.utf8.enumerated() { raw[index] = byte }
            }
            let result = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
            }
            guard result == 0 else { throw POSIXError(.EADDRINUSE) }
        }

        deinit {
            close(fd)
            unlink(path)
        }

        /// Every message received so far.
        func messages() -> [String] {
            var received: [String] = []
            var buffer = [UInt8](repeating: 0, count: 4096)
            while true {
                let count = recv(fd, &buffer, buffer.count, 0)
                guard count > 0 else { return received }
                received.append(String(decoding: buffer[0..<count], as: UTF8.self))
            }
        }
    }

    @Test func readyOnceStartedAndStoppingOnStop() throws {
        let notify = try NotifySocket()
        let run = try StackRun("""
            name: notify
            services:
              a:
                command: [/bin/sleep, "1000"]
              b:
                command: [/bin/sleep, "1000"]
                depends_on: [a]
            """, name: "notify", start: false)
        defer { run.cleanup() }
        try run.launch(environment: ["NOTIFY_SOCKET": notify.path])

        var messages: [String] = []
        try poll("READY=1 on the notify socket", timeout: .seconds(10), context: { run.diagnostics() }) {
            messages += notify.messages()
            return messages.contains("READY=1")
        }
        // READY=1 comes only once every service runs.
        let started = Set(try run.events(kind: "started").compactMap(\.service))
        #expect(started == ["a", "b"])
        #expect(messages == ["READY=1"])

        run.signal(SIGTERM)
        #expect(try run.waitForExit() == 0)
        messages += notify.messages()
        #expect(messages == ["READY=1", "STOPPING=1"])
    }
}
