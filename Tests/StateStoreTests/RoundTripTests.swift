import Foundation
import Testing
@testable import StateStore

@Suite("Round trips")
struct RoundTripTests {
    @Test("sessions: every field, newest first, per project, unfinished ones")
    func sessions() throws {
        try withTemporaryDirectory { directory in
            let log = FailureLog()
            let store = try openStore(in: directory, log: log)
            let first = SessionRecord(
                id: "s1", project: "demo", pid: 100, startedAt: 1_700_000_000.25,
                cgroupRoot: "/sys/fs/cgroup/berth/demo", isPID1: true)
            let second = SessionRecord(id: "s2", project: "demo", pid: 200, startedAt: 1_700_000_100.5)
            let other = SessionRecord(id: "o1", project: "other", pid: 300, startedAt: 1_700_000_050)
            store.startSession(first)
            store.startSession(other)
            store.startSession(second)
            store.endSession(id: "s1", at: 1_700_000_090.75, reason: "stopped")
            #expect(store.settle())

            var ended = first
            ended.endedAt = 1_700_000_090.75
            ended.endReason = "stopped"
            #expect(try store.sessions(project: "demo") == [second, ended])
            #expect(try store.sessions(project: "other") == [other])
            #expect(try store.sessions(project: "nobody").isEmpty)
            #expect(try store.unfinishedSessions(project: "demo") == [second])
            #expect(log.reported.isEmpty)
        }
    }

    @Test("runs: every field, nulls, unenforced as a JSON array, filters, oldest first")
    func runs() throws {
        try withTemporaryDirectory { directory in
            let log = FailureLog()
            let store = try openStore(in: directory, log: log)
            store.startSession(session("s1", at: 10))
            store.startSession(session("s2", at: 50))

            let full = RunRecord(
                id: "r1", sessionID: "s1", service: "web", pid: 1234, startedAt: 11.5,
                endedAt: 20.25, endKind: "killed", exitCode: nil, signal: 9,
                detail: "killed by SIGKILL", restartCount: 0, backoffMilliseconds: nil,
                unenforced: ["memory.max", "pids.max"])
            let bare = RunRecord(id: "r2", sessionID: "s1", service: "worker", startedAt: 12)
            let emptyList = RunRecord(
                id: "r3", sessionID: "s1", service: "web", pid: 1300, startedAt: 21,
                restartCount: 1, backoffMilliseconds: 500, unenforced: [])
            let later = RunRecord(id: "r4", sessionID: "s2", service: "web", pid: 2000, startedAt: 51)
            // Queued out of start order: reads sort by started_at.
            store.startRun(later)
            store.startRun(full)
            store.startRun(emptyList)
            store.startRun(bare)
            store.endRun(id: "r2", at: 13, kind: "exec_failed", exitCode: nil, signal: nil,
                         detail: "exec: no such file or directory")
            store.endRun(id: "r3", at: 30, kind: "exited", exitCode: 3, signal: nil, detail: nil)
            #expect(store.settle())

            let all = try store.runs()
            #expect(all.map(\.id) == ["r1", "r2", "r3", "r4"])
            #expect(all[0] == full)

            var failed = bare
            failed.endedAt = 13
            failed.endKind = "exec_failed"
            failed.detail = "exec: no such file or directory"
            #expect(all[1] == failed)
            #expect(all[1].pid == nil && all[1].backoffMilliseconds == nil && all[1].unenforced == nil)

            var exited = emptyList
            exited.endedAt = 30
            exited.endKind = "exited"
            exited.exitCode = 3
            #expect(all[2] == exited)
            #expect(all[2].unenforced == [])

            #expect(all[3] == later)

            #expect(try store.runs(service: "web").map(\.id) == ["r1", "r3", "r4"])
            #expect(try store.runs(session: "s1").map(\.id) == ["r1", "r2", "r3"])
            #expect(try store.runs(service: "web", session: "s2").map(\.id) == ["r4"])
            #expect(try store.runs(service: "nothing").isEmpty)
            #expect(try store.openRuns(session: "s1").isEmpty)
            #expect(try store.openRuns(session: "s2") == [later])
            #expect(log.reported.isEmpty)
        }
    }

    @Test("endRun without detail keeps the detail the run had")
    func endRunKeepsDetail() throws {
        try withTemporaryDirectory { directory in
            let store = try openStore(in: directory)
            store.startSession(session("s1", at: 1))
            store.startRun(RunRecord(id: "r1", sessionID: "s1", service: "db", pid: 7, startedAt: 2,
                                     detail: "started with --fast"))
            store.endRun(id: "r1", at: 3, kind: "exited", exitCode: 0, signal: nil, detail: nil)
            #expect(store.settle())
            let run = try #require(try store.runs().first)
            #expect(run.detail == "started with --fast")
            #expect(run.exitCode == 0 && run.endKind == "exited" && run.endedAt == 3)
        }
    }

    @Test("events: ids assigned, oldest first, since / service / limit filters")
    func events() throws {
        try withTemporaryDirectory { directory in
            let log = FailureLog()
            let store = try openStore(in: directory, log: log)
            store.startSession(session("s1", at: 0))
            let recorded: [EventRecord] = [
                EventRecord(time: 1, sessionID: "s1", service: nil, kind: "warning", detail: "no cgroup v2"),
                EventRecord(time: 2, sessionID: "s1", service: "web", kind: "started", detail: "pid 10"),
                EventRecord(time: 3, sessionID: "s1", service: "db", kind: "started"),
                EventRecord(time: 5, sessionID: "s1", service: "web", kind: "exited", detail: "status 1"),
                // Queued late but earlier in time: ordered by time.
                EventRecord(time: 4, sessionID: nil, service: "db", kind: "health", detail: "ok"),
                // Same time as the previous "exited": ordered by id.
                EventRecord(time: 5, sessionID: "s1", service: "web", kind: "restart_scheduled", detail: "in 500 ms"),
            ]
            for event in recorded { store.record(event) }
            #expect(store.settle())

            let all = try store.events()
            #expect(all.count == 6)
            #expect(all.map(\.kind) == ["warning", "started", "started", "health", "exited", "restart_scheduled"])
            #expect(all.allSatisfy { $0.id != nil })
            // Everything but the id comes back as recorded.
            var stripped = all
            for index in stripped.indices { stripped[index].id = nil }
            #expect(stripped == [0, 1, 2, 4, 3, 5].map { recorded[$0] })

            #expect(try store.events(since: 4).map(\.time) == [4, 5, 5])
            #expect(try store.events(since: 4.5).map(\.kind) == ["exited", "restart_scheduled"])
            #expect(try store.events(service: "web").map(\.kind) == ["started", "exited", "restart_scheduled"])
            #expect(try store.events(since: 3, service: "db").map(\.kind) == ["started", "health"])
            // limit keeps the newest events, still oldest first.
            #expect(try store.events(limit: 2).map(\.kind) == ["exited", "restart_scheduled"])
            #expect(try store.events(service: "db", limit: 1).map(\.kind) == ["health"])
            #expect(try store.events(since: 2, service: "web", limit: 10).count == 3)
            #expect(try store.events(limit: 0).isEmpty)
            #expect(try store.events(since: 100).isEmpty)
            #expect(log.reported.isEmpty)
        }
    }

    @Test("closeUncleanSession ends the session and its open runs, and records unclean_end")
    func closeUnclean() throws {
        try withTemporaryDirectory { directory in
            let log = FailureLog()
            let store = try openStore(in: directory, log: log)
            store.startSession(session("dead", at: 100))
            store.startSession(session("other", at: 150))
            store.startRun(RunRecord(id: "done", sessionID: "dead", service: "job", pid: 1, startedAt: 101))
            store.endRun(id: "done", at: 102, kind: "exited", exitCode: 0, signal: nil, detail: nil)
            store.startRun(RunRecord(id: "open1", sessionID: "dead", service: "web", pid: 2, startedAt: 103))
            store.startRun(RunRecord(id: "open2", sessionID: "dead", service: "db", pid: 3, startedAt: 104,
                                     detail: "own detail"))
            store.startRun(RunRecord(id: "elsewhere", sessionID: "other", service: "web", pid: 4, startedAt: 151))
            #expect(store.settle())
            #expect(try store.unfinishedSessions(project: "demo").map(\.id) == ["other", "dead"])

            store.closeUncleanSession(id: "dead", at: 200, detail: "berth (pid 4242) died without stopping")
            #expect(store.settle())

            let dead = try #require(try store.sessions(project: "demo").first { $0.id == "dead" })
            #expect(dead.endedAt == 200)
            #expect(dead.endReason == "unclean")
            #expect(try store.unfinishedSessions(project: "demo").map(\.id) == ["other"])

            #expect(try store.openRuns(session: "dead").isEmpty)
            let runs = Dictionary(uniqueKeysWithValues: try store.runs(session: "dead").map { ($0.id, $0) })
            #expect(runs["done"]?.endKind == "exited")
            #expect(runs["done"]?.endedAt == 102)
            #expect(runs["open1"]?.endKind == "unclean")
            #expect(runs["open1"]?.endedAt == 200)
            #expect(runs["open1"]?.detail == "berth (pid 4242) died without stopping")
            #expect(runs["open2"]?.endKind == "unclean")
            #expect(runs["open2"]?.detail == "own detail")
            #expect(runs["open1"]?.exitCode == nil && runs["open1"]?.signal == nil)
            // Another session's open run is untouched.
            #expect(try store.openRuns(session: "other").map(\.id) == ["elsewhere"])

            let events = try store.events()
            #expect(events.count == 1)
            #expect(events.first?.kind == "unclean_end")
            #expect(events.first?.sessionID == "dead")
            #expect(events.first?.service == nil)
            #expect(events.first?.time == 200)
            #expect(events.first?.detail == "berth (pid 4242) died without stopping")
            #expect(log.reported.isEmpty)
        }
    }

    @Test("samples: filtered by time and service; older ones pruned with the next batch")
    func samplesArePrunedByAge() throws {
        try withTemporaryDirectory { directory in
            let log = FailureLog()
            let store = try openStore(in: directory, log: log)
            store.startSession(session("s1", at: 10))
            var old = SampleRecord(time: 100, sessionID: "s1", service: "web")
            old.memoryBytes = 1024
            let middle = SampleRecord(time: 200, sessionID: "s1", service: "db")
            store.record(samples: [old, middle])
            #expect(store.settle())
            #expect(try store.samples().map(\.time) == [100, 200])
            #expect(try store.samples(since: 150).map(\.service) == ["db"])
            #expect(try store.samples(service: "web").first?.memoryBytes == 1024)

            // The next tick's batch drops what is older than the retention.
            store.record(samples: [SampleRecord(time: 300, sessionID: "s1", service: "web")], pruneBefore: 150)
            #expect(store.settle())
            #expect(try store.samples().map(\.time) == [200, 300])
            #expect(log.reported.isEmpty)
        }
    }
}
