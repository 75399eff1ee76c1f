import Foundation
import GRDB

// The public record types are plain values: callers (the supervisor, the
// `berth events` command) never need to import GRDB. Row mapping lives in
// internal extensions below.

/// One run of the supervisor (one `berth up`, say), a row of `sessions`.
public struct SessionRecord: Sendable, Equatable {
    /// A UUID string made by the caller.
    public var id: String
    public var project: String
    /// The supervisor's own PID.
    public var pid: Int32
    /// Unix time, seconds with fraction.
    public var startedAt: Double
    /// Nil while the session is running (or if berth died without ending it).
    public var endedAt: Double?
    /// `stopped`, `finished`, `signal`, `unclean`, ...
    public var endReason: String?
    /// Where the session's services' cgroup leaves live, if cgroups are used.
    public var cgroupRoot: String?
    /// Whether the supervisor ran as PID 1 (in a container).
    public var isPID1: Bool

    public init(
        id: String,
        project: String,
        pid: Int32,
        startedAt: Double,
        endedAt: Double? = nil,
        endReason: String? = nil,
        cgroupRoot: String? = nil,
        isPID1: Bool = false
    ) {
        self.id = id
        self.project = project
        self.pid = pid
        self.startedAt = startedAt
        self.endedAt = endedAt
        self.endReason = endReason
        self.cgroupRoot = cgroupRoot
        self.isPID1 = isPID1
    }
}

/// One process started for a service, a row of `runs`.
public struct RunRecord: Sendable, Equatable {
    /// A UUID string made by the caller.
    public var id: String
    /// The session that started the run; must exist in `sessions`.
    public var sessionID: String
    public var service: String
    /// Nil when the process never got a PID (exec failed before fork, say).
    public var pid: Int32?
    public var startedAt: Double
    public var endedAt: Double?
    /// `exited`, `killed`, `oom_killed`, `exec_failed`, `unclean`.
    public var endKind: String?
    public var exitCode: Int32?
    public var signal: Int32?
    /// Human text, e.g. the exec error.
    public var detail: String?
    /// How many restarts preceded this run (0 for the first).
    public var restartCount: Int
    /// The wait before this run started; nil for the first run.
    public var backoffMilliseconds: Int?
    /// Names of limits that could not be enforced; nil when none were asked
    /// for or all were enforced. Stored as a JSON array; `[]` and nil differ.
    public var unenforced: [String]?

    public init(
        id: String,
        sessionID: String,
        service: String,
        pid: Int32? = nil,
        startedAt: Double,
        endedAt: Double? = nil,
        endKind: String? = nil,
        exitCode: Int32? = nil,
        signal: Int32? = nil,
        detail: String? = nil,
        restartCount: Int = 0,
        backoffMilliseconds: Int? = nil,
        unenforced: [String]? = nil
    ) {
        self.id = id
        self.sessionID = sessionID
        self.service = service
        self.pid = pid
        self.startedAt = startedAt
        self.endedAt = endedAt
        self.endKind = endKind
        self.exitCode = exitCode
        self.signal = signal
        self.detail = detail
        self.restartCount = restartCount
        self.backoffMilliseconds = backoffMilliseconds
        self.unenforced = unenforced
    }
}

/// Something that happened, a row of `events`.
public struct EventRecord: Sendable, Equatable {
    /// Assigned by the database; leave nil when recording.
    public var id: Int64?
    /// Unix time, seconds with fraction.
    public var time: Double
    public var sessionID: String?
    /// Nil for events about the supervisor itself.
    public var service: String?
    /// `started`, `exited`, `restart_scheduled`, `stopping`, `stopped`,
    /// `health`, `warning`, `unclean_end`, ...
    public var kind: String
    public var detail: String?

    public init(
        id: Int64? = nil,
        time: Double,
        sessionID: String? = nil,
        service: String? = nil,
        kind: String,
        detail: String? = nil
    ) {
        self.id = id
        self.time = time
        self.sessionID = sessionID
        self.service = service
        self.kind = kind
        self.detail = detail
    }
}

/// One reading of a service's cgroup counters, a row of `samples`.
public struct SampleRecord: Sendable, Equatable {
    /// Unix time.
    public var time: Double
    public var sessionID: String?
    public var service: String
    public var memoryBytes: Int64?
    public var memoryPeakBytes: Int64?
    public var oomKills: Int64?
    public var cpuMicroseconds: Int64?
    public var periods: Int64?
    public var throttledPeriods: Int64?
    public var throttledMicroseconds: Int64?
    public var pids: Int64?
    /// PSI `some avg10`, percent.
    public var pressureCPU: Double?
    public var pressureMemory: Double?
    public var pressureIO: Double?

    public init(time: Double, sessionID: String? = nil, service: String) {
        self.time = time
        self.sessionID = sessionID
        self.service = service
    }
}

// MARK: - Row mapping

extension SampleRecord {
    init(row: Row) {
        self.init(time: row["time"], sessionID: row["session_id"], service: row["service"])
        memoryBytes = row["memory_bytes"]
        memoryPeakBytes = row["memory_peak_bytes"]
        oomKills = row["oom_kills"]
        cpuMicroseconds = row["cpu_usec"]
        periods = row["nr_periods"]
        throttledPeriods = row["nr_throttled"]
        throttledMicroseconds = row["throttled_usec"]
        pids = row["pids"]
        pressureCPU = row["psi_cpu"]
        pressureMemory = row["psi_memory"]
        pressureIO = row["psi_io"]
    }
}

extension SessionRecord {
    init(row: Row) {
        self.init(
            id: row["id"],
            project: row["project"],
            pid: row["pid"],
            startedAt: row["started_at"],
            endedAt: row["ended_at"],
            endReason: row["end_reason"],
            cgroupRoot: row["cgroup_root"],
            isPID1: row["pid1"]
        )
    }
}

extension RunRecord {
    init(row: Row) {
        self.init(
            id: row["id"],
            sessionID: row["session_id"],
            service: row["service"],
            pid: row["pid"],
            startedAt: row["started_at"],
            endedAt: row["ended_at"],
            endKind: row["end_kind"],
            exitCode: row["exit_code"],
            signal: row["signal"],
            detail: row["detail"],
            restartCount: row["restart_count"],
            backoffMilliseconds: row["backoff_ms"],
            unenforced: UnenforcedLimits.decode(row["unenforced"])
        )
    }
}

extension EventRecord {
    init(row: Row) {
        self.init(
            id: row["id"],
            time: row["time"],
            sessionID: row["session_id"],
            service: row["service"],
            kind: row["kind"],
            detail: row["detail"]
        )
    }
}

/// The `runs.unenforced` column: a JSON array of strings, or NULL.
enum UnenforcedLimits {
    static func encode(_ names: [String]?) -> String? {
        guard let names else { return nil }
        // Encoding an array of strings cannot fail.
        guard let data = try? JSONEncoder().encode(names) else { return nil }
        return String(decoding: data, as: UTF8.self)
    }

    /// Only berth writes this column, so text that is not a JSON array of
    /// strings would mean outside tampering; it reads as nil rather than
    /// making the whole history unreadable.
    static func decode(_ text: String?) -> [String]? {
        guard let text else { return nil }
        return try? JSONDecoder().decode([String].self, from: Data(text.utf8))
    }
}

/// One `berth deploy` or `berth rollback`, a row of `deploys`.
public struct DeployRecord: Sendable, Equatable, Codable {
    public var id: String
    public var sessionID: String?
    public var service: String
    /// `deploy` or `rollback`.
    public var kind: String
    public var startedAt: Double
    public var endedAt: Double
    public var fromColor: String
    public var toColor: String
    /// The deployed spec's digest (see `SpecStore`).
    public var specDigest: String
    /// `deployed`, `rolled_back` or `refused`.
    public var outcome: String
    public var failedStep: String?
    public var reason: String?
    /// Milliseconds by step, e.g. `{"start": 3, "health": 412}`.
    public var timings: [String: Int]

    public init(id: String, sessionID: String?, service: String, kind: String, startedAt: Double, endedAt: Double,
                fromColor: String, toColor: String, specDigest: String, outcome: String, failedStep: String? = nil,
                reason: String? = nil, timings: [String: Int] = [:]) {
        self.id = id
        self.sessionID = sessionID
        self.service = service
        self.kind = kind
        self.startedAt = startedAt
        self.endedAt = endedAt
        self.fromColor = fromColor
        self.toColor = toColor
        self.specDigest = specDigest
        self.outcome = outcome
        self.failedStep = failedStep
        self.reason = reason
        self.timings = timings
    }

    init(row: Row) {
        let timingsText: String = row["timings"]
        self.init(id: row["id"], sessionID: row["session_id"], service: row["service"], kind: row["kind"],
                  startedAt: row["started_at"], endedAt: row["ended_at"], fromColor: row["from_color"],
                  toColor: row["to_color"], specDigest: row["spec_digest"], outcome: row["outcome"],
                  failedStep: row["failed_step"], reason: row["reason"],
                  timings: (try? JSONDecoder().decode([String: Int].self, from: Data(timingsText.utf8))) ?? [:])
    }
}
