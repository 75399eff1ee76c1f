import Foundation
import GRDB
import Testing
@testable import StateStore

@Suite("Unwritable database")
struct FailureTests {
    @Test("a database that turns read-only is reported once, and later writes do not crash")
    func readOnly() throws {
        try withTemporaryDirectory { directory in
            let log = FailureLog()
            let store = try openStore(in: directory, log: log)
            store.startSession(session("s1", at: 1))
            store.record(EventRecord(time: 1, sessionID: "s1", kind: "started"))
            #expect(store.settle())
            #expect(log.reported.isEmpty)

            // SQLite now refuses every write on the writer connection with
            // SQLITE_READONLY, as for a file that became read-only.
            try store.withWriterConnection { db in try db.execute(sql: "PRAGMA query_only = 1") }

            store.record(EventRecord(time: 2, sessionID: "s1", kind: "warning"))
            store.startRun(RunRecord(id: "r1", sessionID: "s1", service: "web", startedAt: 2))
            store.endSession(id: "s1", at: 3, reason: "stopped")
            store.closeUncleanSession(id: "s1", at: 4, detail: "gone")
            #expect(store.settle())

            #expect(log.reported.count == 1)
            let message = try #require(log.reported.first)
            #expect(message.contains(store.path))
            #expect(message.contains("readonly"))
            #expect(message.contains("record warning event"))
            #expect(message.contains("berth keeps running"))
            #expect(store.failedWrites == 4)
            #expect(store.pendingWrites == 0)

            // What was written before is intact and still readable.
            #expect(try store.events().map(\.kind) == ["started"])
            #expect(try store.unfinishedSessions(project: "demo").map(\.id) == ["s1"])

            // More writes: still no crash, no second report.
            for index in 0..<100 {
                store.record(EventRecord(time: Double(10 + index), kind: "health"))
            }
            #expect(store.settle())
            #expect(log.reported.count == 1)
            #expect(store.failedWrites == 104)

            // When the cause goes away, history resumes (still reported once).
            try store.withWriterConnection { db in try db.execute(sql: "PRAGMA query_only = 0") }
            store.record(EventRecord(time: 200, kind: "warning", detail: "back"))
            #expect(store.settle())
            #expect(try store.events().last?.detail == "back")
            #expect(log.reported.count == 1)
        }
    }

    @Test("a full disk is reported once, and the rolled-back writes leave the file consistent")
    func diskFull() throws {
        try withTemporaryDirectory { directory in
            let log = FailureLog()
            let store = try openStore(in: directory, log: log)
            store.startSession(session("s1", at: 1))
            #expect(store.settle())

            // Cap the file at its current size: SQLite answers SQLITE_FULL,
            // exactly as for a full disk.
            try store.withWriterConnection { db in
                let pages = try Int.fetchOne(db, sql: "PRAGMA page_count") ?? 0
                try db.execute(sql: "PRAGMA max_page_count = \(pages)")
            }
            let bulky = String(repeating: "x", count: 16_384)
            for index in 0..<20 {
                store.record(EventRecord(time: Double(index), sessionID: "s1", kind: "warning", detail: bulky))
            }
            #expect(store.settle())

            #expect(log.reported.count == 1)
            let message = try #require(log.reported.first)
            #expect(message.contains("full"))
            #expect(message.contains(store.path))
            #expect(store.failedWrites == 20)

            #expect(try store.events().isEmpty)
            #expect(try store.sessions(project: "demo").map(\.id) == ["s1"])
            try store.withWriterConnection { db throws in
                #expect(try String.fetchOne(db, sql: "PRAGMA integrity_check") == "ok")
                #expect(db.isInsideTransaction == false)
            }
        }
    }

    @Test("a run of an unknown session is refused by the foreign key and reported")
    func unknownSession() throws {
        try withTemporaryDirectory { directory in
            let log = FailureLog()
            let store = try openStore(in: directory, log: log)
            store.startRun(RunRecord(id: "r1", sessionID: "missing", service: "web", startedAt: 1))
            #expect(store.settle())
            #expect(log.reported.count == 1)
            #expect(log.reported.first?.contains("start run r1 of web") == true)
            #expect(log.reported.first?.contains("FOREIGN KEY") == true)
            #expect(try store.runs().isEmpty)
        }
    }
}
