import Foundation
import GRDB
import Testing
@testable import StateStore

@Suite("Schema and opening")
struct SchemaTests {
    @Test("migrations create the four tables, their columns and indexes")
    func migrationsCreateSchema() throws {
        try withTemporaryDirectory { directory in
            let store = try openStore(in: directory)
            try store.withWriterConnection { db in
                #expect(try db.tableExists("sessions"))
                #expect(try db.tableExists("runs"))
                #expect(try db.tableExists("events"))

                let sessionColumns = try db.columns(in: "sessions").map(\.name)
                #expect(sessionColumns == [
                    "id", "project", "pid", "started_at", "ended_at", "end_reason", "cgroup_root", "pid1",
                ])
                let runColumns = try db.columns(in: "runs").map(\.name)
                #expect(runColumns == [
                    "id", "session_id", "service", "pid", "started_at", "ended_at", "end_kind",
                    "exit_code", "signal", "detail", "restart_count", "backoff_ms", "unenforced",
                ])
                let eventColumns = try db.columns(in: "events").map(\.name)
                #expect(eventColumns == ["id", "time", "session_id", "service", "kind", "detail"])

                let pid1 = try #require(try db.columns(in: "sessions").first { $0.name == "pid1" })
                #expect(pid1.isNotNull)
                #expect(pid1.defaultValueSQL == "0")
                let restarts = try #require(try db.columns(in: "runs").first { $0.name == "restart_count" })
                #expect(restarts.isNotNull)
                #expect(restarts.defaultValueSQL == "0")

                let foreignKeys = try db.foreignKeys(on: "runs")
                #expect(foreignKeys.count == 1)
                #expect(foreignKeys.first?.destinationTable == "sessions")
                #expect(foreignKeys.first?.mapping.first?.origin == "session_id")

                let runIndexes = try db.indexes(on: "runs").map(\.columns)
                #expect(runIndexes.contains(["service", "started_at"]))
                let eventIndexes = try db.indexes(on: "events").map(\.columns)
                #expect(eventIndexes.contains(["time"]))
                #expect(eventIndexes.contains(["service", "time"]))

                // events.id is AUTOINCREMENT: SQLite keeps its counter here.
                #expect(try db.tableExists("sqlite_sequence"))

                let types = Dictionary(
                    uniqueKeysWithValues: try db.columns(in: "runs").map { ($0.name, $0.type.uppercased()) })
                #expect(types["started_at"] == "REAL")
                #expect(types["pid"] == "INTEGER")
                #expect(types["unenforced"] == "TEXT")

                let sampleColumns = Set(try db.columns(in: "samples").map(\.name))
                #expect(sampleColumns.isSuperset(of: ["time", "service", "memory_bytes", "cpu_usec", "nr_throttled", "pids", "psi_io"]))
                let sampleIndexes = try db.indexes(on: "samples").map(\.columns)
                #expect(sampleIndexes.contains(["time"]))
                #expect(sampleIndexes.contains(["service", "time"]))

                let applied = try HistorySchema.migrator.appliedMigrations(db)
                #expect(applied == ["v1: sessions, runs, events", "v2: samples", "v3: deploys"])
                let deployColumns = Set(try db.columns(in: "deploys").map(\.name))
                #expect(deployColumns.isSuperset(of: ["service", "kind", "from_color", "to_color", "spec_digest", "outcome",
                                                      "failed_step", "reason", "timings"]))
            }
        }
    }

    @Test("WAL journal mode and synchronous=NORMAL")
    func walMode() throws {
        try withTemporaryDirectory { directory in
            let store = try openStore(in: directory)
            try store.withWriterConnection { db throws in
                #expect(try String.fetchOne(db, sql: "PRAGMA journal_mode") == "wal")
                // 1 is NORMAL.
                #expect(try Int.fetchOne(db, sql: "PRAGMA synchronous") == 1)
                #expect(try Bool.fetchOne(db, sql: "PRAGMA foreign_keys") == true)
            }
            // WAL is recorded in the file itself: another connection sees it.
            let other = try DatabaseQueue(path: store.path)
            try other.read { db throws in
                #expect(try String.fetchOne(db, sql: "PRAGMA journal_mode") == "wal")
            }
        }
    }

    @Test("reopening an existing database keeps its data and does not migrate again")
    func reopenKeepsData() throws {
        try withTemporaryDirectory { directory in
            do {
                let store = try openStore(in: directory)
                store.startSession(session("s1", at: 100))
                store.startRun(RunRecord(id: "r1", sessionID: "s1", service: "web", pid: 10, startedAt: 101))
                store.record(EventRecord(time: 101, sessionID: "s1", service: "web", kind: "started"))
                #expect(store.settle())
            }
            let log = FailureLog()
            let reopened = try openStore(in: directory, log: log)
            #expect(try reopened.sessions(project: "demo").map(\.id) == ["s1"])
            #expect(try reopened.runs().map(\.id) == ["r1"])
            #expect(try reopened.events().map(\.kind) == ["started"])

            // And it is still writable, with ids carrying on.
            reopened.record(EventRecord(time: 102, sessionID: "s1", service: "web", kind: "exited"))
            #expect(reopened.settle())
            let ids = try reopened.events().compactMap(\.id)
            #expect(ids.count == 2 && ids[0] < ids[1])
            #expect(log.reported.isEmpty)
        }
    }

    @Test("a directory that cannot be created is a clear error from init")
    func uncreatableDirectory() throws {
        try withTemporaryDirectory { directory in
            // A regular file where a directory should be: fails even for root.
            let blocker = "\(directory)/not-a-dir"
            #expect(FileManager.default.createFile(atPath: blocker, contents: Data("x".utf8)))
            let path = "\(blocker)/state/berth.db"

            let error = try #require(throws: HistoryStoreError.self) {
                try HistoryStore(path: path, onWriteFailure: { _ in })
            }
            guard case let .cannotCreateDirectory(failedPath, reason) = error else {
                Issue.record("unexpected error \(error)")
                return
            }
            #expect(failedPath == "\(blocker)/state")
            #expect(reason == "\(blocker) exists and is not a directory")
            #expect(error.description.hasPrefix("cannot create the state directory \(blocker)/state"))
        }
    }

    @Test("a file that is not a database is a clear error from init")
    func notADatabase() throws {
        try withTemporaryDirectory { directory in
            let path = "\(directory)/berth.db"
            let garbage = Data(repeating: 0xA5, count: 8192)
            #expect(FileManager.default.createFile(atPath: path, contents: garbage))

            let error = try #require(throws: HistoryStoreError.self) {
                try HistoryStore(path: path, onWriteFailure: { _ in })
            }
            guard case let .cannotOpen(failedPath, reason) = error else {
                Issue.record("unexpected error \(error)")
                return
            }
            #expect(failedPath == path)
            #expect(reason.contains("not a database"))
        }
    }

    @Test("the directory is created, with its parents")
    func createsDirectory() throws {
        try withTemporaryDirectory { directory in
            let path = "\(directory)/a/b/c/berth.db"
            let store = try HistoryStore(path: path, onWriteFailure: { _ in })
            #expect(store.path == path)
            #expect(FileManager.default.fileExists(atPath: path))
        }
    }
}
