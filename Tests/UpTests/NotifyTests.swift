import Foundation
import Glibc
import StateStore
import Testing

/// sd_notify for services (`x-berth.notify`): READY=1 and STATUS= on the service's own socket,
/// the watchdog, and only the service's own processes are listened to.
@Suite("berth up: sd_notify")
struct NotifyTests {
    /// STATUS= is shown, READY=1 makes the service ready, and a `service_healthy` dependent
    /// starts only after it.
    @Test func readyAndStatusGateTheDependent() throws {
        let run = try StackRun("""
            services:
              boot:
                command: \(argv(example("notify"), "--ready-after", "500", "--status", "warming up"))
                x-berth:
                  notify: true
              web:
                command: \(argv("/bin/sleep", "1000"))
                depends_on:
                  boot: {condition: service_healthy}
            """, name: "notifyready")
        // The history is written off the loop: wait for the event, not only the run's row.
        try run.waitUntil("web to start", timeout: .seconds(20)) { try !run.events(service: "web", kind: "started").isEmpty }
        let events = try run.events().inRecordedOrder
        let status = events.index(of: "boot", "status") { $0 == "warming up" }
        let ready = events.index(of: "boot", "ready") { $0 == "READY=1" }
        let waiting = events.index(of: "web", "waiting") { $0 == "waiting for boot to be healthy" }
        let started = events.index(of: "web", "started")
        #expect(status != nil && ready != nil && status! < ready!, "STATUS, then READY:\n\(describe(events))")
        #expect(ready != nil && started != nil && ready! < started!, "web starts after READY=1:\n\(describe(events))")
        #expect(waiting != nil && started != nil && waiting! < started!, "\(describe(events))")
        #expect(try run.events(service: "boot", kind: "ready").count == 1)
        run.signal(SIGTERM)
        #expect(try run.waitForExit() == 0)
    }

    /// `x-berth.watchdog: 1s`: WATCHDOG_USEC is given; once the pings stop, berth says so and
    /// restarts the service as unhealthy (a new run, a new pid).
    @Test func watchdogRestartsAServiceThatStopsPinging() throws {
        let run = try StackRun("""
            services:
              dog:
                command: \(argv(example("notify"), "--watchdog", "--watchdog-stop-after", "1500"))
                restart: always
                x-berth:
                  notify: true
                  watchdog: 1s
            """, name: "watchdog")
        try run.waitUntil("dog to run a second time", timeout: .seconds(20)) { try run.runs("dog").count >= 2 }
        let runs = try run.runs("dog")
        #expect(runs[0].pid != runs[1].pid, "\(describe(runs))")
        let events = try run.events().inRecordedOrder
        let watchdog = events.index(of: "dog", "watchdog") { $0 == "no WATCHDOG=1 for 1s" }
        let restart = events.index(of: "dog", "unhealthy_restart")
        let second = events.index(of: "dog", "started").flatMap { events.index(of: "dog", "started", from: $0 + 1) }
        #expect(watchdog != nil && restart != nil && second != nil && watchdog! < restart! && restart! < second!,
                "watchdog, unhealthy_restart, started again:\n\(describe(events))")
        // It pinged (WATCHDOG_USEC was set: notify --watchdog exits 2 without it) before it stopped.
        #expect(lines(of: run.log("dog"), containing: "notify: sent WATCHDOG=1") >= 2, "\(run.log("dog"))")
        #expect(run.log("dog").contains("notify: watchdog pings stopped"), "\(run.log("dog"))")
        run.signal(SIGTERM)
        #expect(try run.waitForExit() == 0)
    }

    /// A READY=1 sent to the service's socket by a process outside its leaf (the test itself)
    /// is ignored: the dependent keeps waiting. The service's own STATUS=, sent after the
    /// forged datagrams on the same socket, proves berth has read the forgeries by then.
    @Test func datagramsFromOutsideTheLeafAreIgnored() throws {
        let run = try StackRun("", name: "notifyauth", start: false)
        let flag = run.directory + "/go"
        try """
            services:
              quiet:
                command: \(argv("/bin/sh", "-c", "while [ ! -e \(flag) ]; do sleep 0.05; done; exec \(example("notify")) --status authentic --never-ready"))
                x-berth:
                  notify: true
              web:
                command: \(argv("/bin/sleep", "1000"))
                depends_on:
                  quiet: {condition: service_healthy}
              witness:
                command: \(argv("/bin/sleep", "1000"))
                depends_on:
                  quiet: {condition: service_started}
            """.write(toFile: run.stackFile, atomically: true, encoding: .utf8)
        try run.launch()
        // witness starts once quiet runs (its program was executed): a READY=1 now would count.
        try run.waitUntil("quiet to run and web to wait for it", timeout: .seconds(20)) {
            try !run.runs("witness").isEmpty && !run.events(service: "web", kind: "waiting").isEmpty
        }
        let socket = run.stateDirectory + "/notify/quiet.sock"
        #expect(FileManager.default.fileExists(atPath: socket), "no \(socket)")
        #expect(sendDatagram("READY=1\nSTATUS=forged", to: socket), "cannot send to \(socket): \(String(cString: strerror(errno)))")
        #expect(sendDatagram("READY=1", to: socket))
        _ = FileManager.default.createFile(atPath: flag, contents: nil)

        try run.waitUntil("quiet's own STATUS=authentic", timeout: .seconds(20)) {
            try run.events(service: "quiet", kind: "status").contains { $0.detail == "authentic" }
        }
        let quiet = try run.events(service: "quiet")
        #expect(!quiet.contains { $0.kind == "ready" }, "a forged READY=1 was accepted:\n\(describe(quiet))")
        #expect(!quiet.contains { $0.kind == "status" && $0.detail == "forged" }, "a forged STATUS= was accepted:\n\(describe(quiet))")
        #expect(try run.runs("web").isEmpty, "web started on a forged READY=1")
        run.signal(SIGTERM)
        #expect(try run.waitForExit() == 0)
    }
}
