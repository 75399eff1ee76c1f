import Dispatch
import Foundation
import GRDB
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// berth's history (sessions, runs, events) in SQLite at `<state-dir>/berth.db`.
///
/// ## Threading model
///
/// The database is a GRDB `DatabasePool` (WAL): one writer connection that
/// GRDB drives from its own private serial dispatch queue, and a few reader
/// connections that run concurrently with it. Every write method only
/// reserves a slot in an atomic pending-write counter (a `Mutex`) and hands
/// a closure to `asyncWriteWithoutTransaction`, which runs it later on that
/// serial queue, in call order, each in its own transaction; so the
/// supervisor's loop never waits for the disk. Reads run synchronously on a
/// reader connection and see every write that has completed (call `flush`
/// first to see the writes queued so far).
///
/// ## Failures
///
/// - More than `maxPendingWrites` writes waiting (10 000 by default): a new
///   write is dropped and counted in `droppedWrites`; nothing blocks.
/// - A write that fails (read-only file, disk full, corrupt file, broken
///   invariant such as a run of an unknown session): it is rolled back and
///   counted in `failedWrites`; the first such failure in the store's life
///   is reported through `onWriteFailure`, later ones are only counted.
///   Later writes are still attempted, so history resumes if the cause goes
///   away (disk space freed).
///
/// `onWriteFailure` is called on the writer queue: it must return quickly
/// and must not call `flush` (which would then wait for itself until its
/// timeout).
///
/// ## Sendable
///
/// Every stored property is an immutable `let` of a `Sendable` type:
/// `DatabasePool` is `Sendable` (GRDB serialises its connections itself),
/// the mutable counters live inside a `Mutex`, and the callback is
/// `@Sendable`. No `@unchecked` is needed.
public final class HistoryStore: Sendable {
    /// The database file.
    public let path: String

    /// The pending-write cap: beyond it, writes are dropped and counted.
    let maxPendingWrites: Int

    private let pool: DatabasePool
    private let onWriteFailure: @Sendable (String) -> Void
    private let state = Mutex(WriteState())

    private struct WriteState: Sendable {
        var pending = 0
        var dropped = 0
        var failed = 0
        var failureReported = false
    }

    /// The default cap on writes waiting for the writer queue.
    public static let defaultMaxPendingWrites = 10_000

    /// Opens or creates the database at `path` (creating its directory),
    /// and migrates it to the current schema. Blocks while doing so.
    ///
    /// - Parameter onWriteFailure: called once, on the writer queue, with a
    ///   readable message the first time an asynchronous write fails.
    /// - Throws: `HistoryStoreError` if the directory cannot be created, the
    ///   file cannot be opened as an SQLite database, or the schema cannot be
    ///   migrated.
    public convenience init(
        path: String,
        onWriteFailure: @escaping @Sendable (String) -> Void
    ) throws {
        try self.init(
            path: path,
            maxPendingWrites: HistoryStore.defaultMaxPendingWrites,
            onWriteFailure: onWriteFailure)
    }

    /// As the public initializer, with a configurable pending-write cap
    /// (tests use a small one).
    init(
        path: String,
        maxPendingWrites: Int,
        onWriteFailure: @escaping @Sendable (String) -> Void
    ) throws {
        precondition(maxPendingWrites > 0, "maxPendingWrites must be positive")
        self.path = path
        self.maxPendingWrites = maxPendingWrites
        self.onWriteFailure = onWriteFailure

        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty {
            try HistoryStore.createDirectory(directory)
        }

        var config = Configuration()
        config.label = "berth.history"
        config.journalMode = .wal
        // Another berth process (`berth events`, a second supervisor
        // checking for an unclean session) may hold the lock for a moment.
        config.busyMode = .timeout(5)
        config.maximumReaderCount = 2
        // GRDB traps if a transaction is left open at the end of a database
        // access. `inTransaction` always rolls back on error, but should
        // SQLite refuse even the rollback (I/O error), the supervisor must
        // not die for its history: the next write rolls back and retries.
        config.allowsUnsafeTransactions = true
        config.prepareDatabase { db in
            // GRDB already sets this on the WAL writer; stated here because
            // the schema's durability contract depends on it: a commit
            // survives a crash of berth, and at worst the last commits are
            // lost on a power failure.
            if !db.configuration.readonly {
                try db.execute(sql: "PRAGMA synchronous = NORMAL")
            }
        }

        do {
            pool = try DatabasePool(path: path, configuration: config)
        } catch {
            throw HistoryStoreError.cannotOpen(path: path, reason: HistoryStore.describe(error))
        }
        do {
            try HistorySchema.migrator.migrate(pool)
        } catch {
            throw HistoryStoreError.migrationFailed(path: path, reason: HistoryStore.describe(error))
        }
    }

    // MARK: - Counters

    /// Writes dropped because `maxPendingWrites` were already waiting.
    public var droppedWrites: Int { state.withLock { $0.dropped } }

    /// Writes that reached SQLite and failed (only the first is reported).
    public var failedWrites: Int { state.withLock { $0.failed } }

    /// Writes queued and not yet done.
    public var pendingWrites: Int { state.withLock { $0.pending } }

    // MARK: - Asynchronous writes

    /// Records that a session started.
    public func startSession(_ session: SessionRecord) {
        enqueue("start session \(session.id)") { db in
            try db.execute(
                sql: """
                    INSERT INTO sessions (id, project, pid, started_at, ended_at, end_reason, cgroup_root, pid1)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    session.id, session.project, session.pid, session.startedAt,
                    session.endedAt, session.endReason, session.cgroupRoot, session.isPID1,
                ])
        }
    }

    /// Records that a session ended, with `reason` (`stopped`, `finished`, `signal`, ...).
    public func endSession(id: String, at time: Double, reason: String) {
        enqueue("end session \(id)") { db in
            try db.execute(
                sql: "UPDATE sessions SET ended_at = ?, end_reason = ? WHERE id = ?",
                arguments: [time, reason, id])
        }
    }

    /// Records that a process was started for a service. Its session must
    /// have been started first (a foreign key); otherwise the write fails.
    public func startRun(_ run: RunRecord) {
        enqueue("start run \(run.id) of \(run.service)") { db in
            try db.execute(
                sql: """
                    INSERT INTO runs (id, session_id, service, pid, started_at, ended_at, end_kind,
                                      exit_code, signal, detail, restart_count, backoff_ms, unenforced)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    run.id, run.sessionID, run.service, run.pid, run.startedAt, run.endedAt,
                    run.endKind, run.exitCode, run.signal, run.detail, run.restartCount,
                    run.backoffMilliseconds, UnenforcedLimits.encode(run.unenforced),
                ])
        }
    }

    /// Records how a run ended. A nil `detail` keeps the run's existing detail.
    public func endRun(
        id: String, at time: Double, kind: String,
        exitCode: Int32?, signal: Int32?, detail: String?
    ) {
        enqueue("end run \(id)") { db in
            try db.execute(
                sql: """
                    UPDATE runs
                    SET ended_at = ?, end_kind = ?, exit_code = ?, signal = ?, detail = COALESCE(?, detail)
                    WHERE id = ?
                    """,
                arguments: [time, kind, exitCode, signal, detail, id])
        }
    }

    /// Records an event. Its `id` is ignored: the database assigns one.
    public func record(_ event: EventRecord) {
        enqueue("record \(event.kind) event") { db in
            try HistoryStore.insert(event, db)
        }
    }

    /// Marks a session that never ended (berth was killed) as `unclean` at
    /// `time`, closes its open runs with end kind `unclean` (their detail,
    /// if empty, becomes `detail`), and records an `unclean_end` event; all
    /// in one transaction. A session that has already ended is left as it
    /// is, but the event is still recorded.
    public func closeUncleanSession(id: String, at time: Double, detail: String) {
        enqueue("close unclean session \(id)") { db in
            try db.execute(
                sql: """
                    UPDATE sessions SET ended_at = ?, end_reason = 'unclean'
                    WHERE id = ? AND ended_at IS NULL
                    """,
                arguments: [time, id])
            try db.execute(
                sql: """
                    UPDATE runs SET ended_at = ?, end_kind = 'unclean', detail = COALESCE(detail, ?)
                    WHERE session_id = ? AND ended_at IS NULL
                    """,
                arguments: [time, detail, id])
            try HistoryStore.insert(
                EventRecord(time: time, sessionID: id, service: nil, kind: "unclean_end", detail: detail),
                db)
        }
    }

    /// Waits until every write queued before this call is done (written or
    /// failed). Returns false if that took longer than `timeout`; the writes
    /// still go on afterwards. Blocks the caller: for tests and shutdown.
    public func flush(timeout: Duration) -> Bool {
        let done = DispatchSemaphore(value: 0)
        // The writer queue is serial and FIFO: this runs after every write
        // enqueued before it.
        pool.asyncWriteWithoutTransaction { _ in done.signal() }
        return done.wait(timeout: HistoryStore.deadline(after: timeout)) == .success
    }

    // MARK: - Reads (synchronous)

    /// The project's sessions, newest first.
    public func sessions(project: String) throws -> [SessionRecord] {
        try read { db in
            try Row.fetchAll(
                db,
                sql: "SELECT * FROM sessions WHERE project = ? ORDER BY started_at DESC, rowid DESC",
                arguments: [project]
            ).map(SessionRecord.init(row:))
        }
    }

    /// The project's sessions that never ended, newest first: the running
    /// one, and any that berth did not get to close (it was killed).
    public func unfinishedSessions(project: String) throws -> [SessionRecord] {
        try read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT * FROM sessions WHERE project = ? AND ended_at IS NULL
                    ORDER BY started_at DESC, rowid DESC
                    """,
                arguments: [project]
            ).map(SessionRecord.init(row:))
        }
    }

    /// Runs, oldest first, optionally of one service and/or one session.
    public func runs(service: String? = nil, session: String? = nil) throws -> [RunRecord] {
        var conditions: [String] = []
        var arguments = StatementArguments()
        if let service {
            conditions.append("service = ?")
            arguments += [service]
        }
        if let session {
            conditions.append("session_id = ?")
            arguments += [session]
        }
        let sql = "SELECT * FROM runs" + HistoryStore.whereClause(conditions)
            + " ORDER BY started_at, rowid"
        return try read { db in
            try Row.fetchAll(db, sql: sql, arguments: arguments).map(RunRecord.init(row:))
        }
    }

    /// The session's runs that have not ended, oldest first.
    public func openRuns(session: String) throws -> [RunRecord] {
        try read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT * FROM runs WHERE session_id = ? AND ended_at IS NULL
                    ORDER BY started_at, rowid
                    """,
                arguments: [session]
            ).map(RunRecord.init(row:))
        }
    }

    /// Events, oldest first.
    ///
    /// - Parameters:
    ///   - since: only events at or after this Unix time.
    ///   - service: only events of this service.
    ///   - limit: at most this many events: the newest ones (like `tail`),
    ///     still returned oldest first. Zero or less returns none.
    public func events(since: Double? = nil, service: String? = nil, limit: Int? = nil) throws -> [EventRecord] {
        var conditions: [String] = []
        var arguments = StatementArguments()
        if let since {
            conditions.append("time >= ?")
            arguments += [since]
        }
        if let service {
            conditions.append("service = ?")
            arguments += [service]
        }
        let filtered = "SELECT * FROM events" + HistoryStore.whereClause(conditions)
        let sql: String
        if let limit {
            arguments += [max(0, limit)]
            sql = "SELECT * FROM (\(filtered) ORDER BY time DESC, id DESC LIMIT ?) ORDER BY time, id"
        } else {
            sql = filtered + " ORDER BY time, id"
        }
        return try read { db in
            try Row.fetchAll(db, sql: sql, arguments: arguments).map(EventRecord.init(row:))
        }
    }

    // MARK: - Samples

    /// Records one sampling tick (every service's counters) in one transaction, and forgets
    /// samples older than `pruneBefore` (Unix time) when given.
    public func record(samples: [SampleRecord], pruneBefore: Double? = nil) {
        guard !samples.isEmpty || pruneBefore != nil else { return }
        enqueue("record \(samples.count) samples") { db in
            for sample in samples {
                try db.execute(
                    sql: """
                        INSERT INTO samples (time, session_id, service, memory_bytes, memory_peak_bytes, oom_kills,
                            cpu_usec, nr_periods, nr_throttled, throttled_usec, pids, psi_cpu, psi_memory, psi_io)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                        """,
                    arguments: [
                        sample.time, sample.sessionID, sample.service, sample.memoryBytes, sample.memoryPeakBytes,
                        sample.oomKills, sample.cpuMicroseconds, sample.periods, sample.throttledPeriods,
                        sample.throttledMicroseconds, sample.pids, sample.pressureCPU, sample.pressureMemory,
                        sample.pressureIO,
                    ])
            }
            if let pruneBefore {
                try db.execute(sql: "DELETE FROM samples WHERE time < ?", arguments: [pruneBefore])
            }
        }
    }

    /// Records a deploy (or rollback) once it has ended.
    public func recordDeploy(_ deploy: DeployRecord) {
        let timings = String(decoding: (try? JSONEncoder().encode(deploy.timings)) ?? Data("{}".utf8), as: UTF8.self)
        enqueue("record deploy \(deploy.id) of \(deploy.service)") { db in
            try db.execute(
                sql: """
                    INSERT INTO deploys (id, session_id, service, kind, started_at, ended_at, from_color, to_color,
                                         spec_digest, outcome, failed_step, reason, timings)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [deploy.id, deploy.sessionID, deploy.service, deploy.kind, deploy.startedAt, deploy.endedAt,
                            deploy.fromColor, deploy.toColor, deploy.specDigest, deploy.outcome, deploy.failedStep,
                            deploy.reason, timings])
        }
    }

    /// Deploys, oldest first, of one service or all.
    public func deploys(service: String? = nil) throws -> [DeployRecord] {
        var arguments = StatementArguments()
        var sql = "SELECT * FROM deploys"
        if let service {
            sql += " WHERE service = ?"
            arguments += [service]
        }
        sql += " ORDER BY started_at, rowid"
        return try read { db in
            try Row.fetchAll(db, sql: sql, arguments: arguments).map(DeployRecord.init(row:))
        }
    }

    /// Samples, oldest first: at or after `since` (Unix time), of one service or all.
    public func samples(since: Double? = nil, service: String? = nil) throws -> [SampleRecord] {
        var conditions: [String] = []
        var arguments = StatementArguments()
        if let since {
            conditions.append("time >= ?")
            arguments += [since]
        }
        if let service {
            conditions.append("service = ?")
            arguments += [service]
        }
        let sql = "SELECT * FROM samples" + HistoryStore.whereClause(conditions) + " ORDER BY time, rowid"
        return try read { db in
            try Row.fetchAll(db, sql: sql, arguments: arguments).map(SampleRecord.init(row:))
        }
    }

    // MARK: - Internals

    /// Reserves a pending-write slot (or drops and counts the write) and
    /// queues `body` on GRDB's serial writer queue, in a transaction.
    private func enqueue(_ operation: String, _ body: @escaping @Sendable (Database) throws -> Void) {
        let accepted = state.withLock { state -> Bool in
            guard state.pending < maxPendingWrites else {
                state.dropped += 1
                return false
            }
            state.pending += 1
            return true
        }
        guard accepted else { return }

        // The closure keeps `self` (and so the pool) alive until it has run.
        pool.asyncWriteWithoutTransaction { db in
            var failure: (any Error)?
            do {
                try db.inTransaction {
                    try body(db)
                    return .commit
                }
            } catch {
                failure = error
                if db.isInsideTransaction {
                    // The rollback in `inTransaction` failed too; try again
                    // so that the next write does not start inside it.
                    try? db.rollback()
                }
            }
            let shouldReport = self.state.withLock { state -> Bool in
                state.pending -= 1
                guard failure != nil else { return false }
                state.failed += 1
                guard !state.failureReported else { return false }
                state.failureReported = true
                return true
            }
            if shouldReport, let failure {
                self.onWriteFailure(
                    "cannot write berth's history to \(self.path) (\(operation)): "
                        + HistoryStore.describe(failure)
                        + ". berth keeps running, but its history may be incomplete from now on;"
                        + " further write failures are counted, not reported.")
            }
        }
    }

    private func read<T>(_ body: (Database) throws -> T) throws -> T {
        do {
            return try pool.read(body)
        } catch {
            throw HistoryStoreError.readFailed(path: path, reason: HistoryStore.describe(error))
        }
    }

    private static func insert(_ event: EventRecord, _ db: Database) throws {
        try db.execute(
            sql: "INSERT INTO events (time, session_id, service, kind, detail) VALUES (?, ?, ?, ?, ?)",
            arguments: [event.time, event.sessionID, event.service, event.kind, event.detail])
    }

    private static func whereClause(_ conditions: [String]) -> String {
        conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND ")
    }

    /// A short, human message for an SQLite or other error.
    static func describe(_ error: any Error) -> String {
        if let error = error as? DatabaseError {
            let message = error.message ?? "unknown error"
            return "\(message) (SQLite error \(error.extendedResultCode.rawValue))"
        }
        if let error = error as? HistoryStoreError {
            return error.description
        }
        return String(describing: error)
    }

    static func deadline(after timeout: Duration) -> DispatchTime {
        let (seconds, attoseconds) = timeout.components
        if seconds < 0 || (seconds == 0 && attoseconds <= 0) {
            return .now()
        }
        // Beyond ~30 years, wait forever rather than overflow.
        if seconds > 1_000_000_000 {
            return .distantFuture
        }
        let nanoseconds = Int(seconds) * 1_000_000_000 + Int(attoseconds / 1_000_000_000)
        return .now() + .nanoseconds(nanoseconds)
    }

    /// `mkdir -p` with the reason of a failure in plain words.
    static func createDirectory(_ directory: String) throws {
        var prefix = directory.hasPrefix("/") ? "" : "."
        for component in directory.split(separator: "/", omittingEmptySubsequences: true) {
            prefix += "/" + component
            if mkdir(prefix, 0o755) == 0 {
                continue
            }
            let code = errno
            if code == EEXIST {
                var info = stat()
                if stat(prefix, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR {
                    continue
                }
                throw HistoryStoreError.cannotCreateDirectory(
                    path: directory,
                    reason: "\(prefix) exists and is not a directory")
            }
            throw HistoryStoreError.cannotCreateDirectory(
                path: directory,
                reason: "\(prefix): \(String(cString: strerror(code)))")
        }
    }
}

// MARK: - Test hooks

extension HistoryStore {
    /// Runs `body` synchronously on the writer connection, outside any
    /// transaction (tests use it to inspect PRAGMAs or to make the
    /// connection fail like a full disk or a read-only file would).
    func withWriterConnection<T>(_ body: (Database) throws -> T) throws -> T {
        try pool.writeWithoutTransaction(body)
    }

    /// Blocks the writer queue until the returned function is called (or
    /// `limit` passes, so that a failing test cannot hang), so that tests
    /// can hold writes pending deterministically.
    func pauseWriter(limit: Duration = .seconds(60)) -> @Sendable () -> Void {
        let release = DispatchSemaphore(value: 0)
        let deadline = HistoryStore.deadline(after: limit)
        pool.asyncWriteWithoutTransaction { _ in _ = release.wait(timeout: deadline) }
        return { release.signal() }
    }
}
