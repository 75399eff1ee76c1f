import Foundation
import StateStore

/// A YAML flow sequence of double-quoted strings: `["/bin/sleep", "1000"]`.
func argv(_ words: String...) -> String {
    "[" + words.map { "\"" + $0.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\"" }
        .joined(separator: ", ") + "]"
}

/// Runs as a readable table, for failure messages.
func describe(_ runs: [RunRecord]) -> String {
    runs.enumerated().map { index, run in
        "#\(index): pid \(run.pid.map(String.init) ?? "-") end_kind \(run.endKind ?? "nil") exit_code \(run.exitCode.map(String.init) ?? "nil") "
            + "signal \(run.signal.map(String.init) ?? "nil") restart_count \(run.restartCount) "
            + "backoff_ms \(run.backoffMilliseconds.map(String.init) ?? "nil") detail \(run.detail ?? "nil")"
    }.joined(separator: "\n")
}

/// Events as readable lines, for failure messages.
func describe(_ events: [EventRecord]) -> String {
    events.map { "\($0.id ?? 0) \($0.service ?? "-") \($0.kind): \($0.detail ?? "")" }.joined(separator: "\n")
}

extension Array where Element == EventRecord {
    /// In the order berth recorded them (the database's ids).
    var inRecordedOrder: [EventRecord] { sorted { ($0.id ?? 0) < ($1.id ?? 0) } }
}
