import Foundation
import Synchronization
@testable import StateStore

/// A fresh directory under the system's temporary directory, removed when
/// `body` returns.
func withTemporaryDirectory<T>(_ body: (String) throws -> T) throws -> T {
    let base = FileManager.default.temporaryDirectory.path
    var template = Array("\(base)/berth-state-test-XXXXXX".utf8CString)
    guard let made = mkdtemp(&template) else {
        throw CocoaError(.fileWriteUnknown)
    }
    let directory = String(cString: made)
    defer { try? FileManager.default.removeItem(atPath: directory) }
    return try body(directory)
}

/// Collects what a store reports through `onWriteFailure`.
final class FailureLog: Sendable {
    private let messages = Mutex<[String]>([])

    var reported: [String] { messages.withLock { $0 } }

    var callback: @Sendable (String) -> Void {
        { [self] message in messages.withLock { $0.append(message) } }
    }
}

/// Opens a store in `directory` whose failures go to `log`.
func openStore(
    in directory: String,
    log: FailureLog = FailureLog(),
    maxPendingWrites: Int = HistoryStore.defaultMaxPendingWrites
) throws -> HistoryStore {
    try HistoryStore(
        path: "\(directory)/state/berth.db",
        maxPendingWrites: maxPendingWrites,
        onWriteFailure: log.callback)
}

extension HistoryStore {
    /// `flush` with a generous bound: a test that needs longer is broken.
    func settle() -> Bool { flush(timeout: .seconds(30)) }
}

func session(_ id: String, project: String = "demo", at time: Double, pid: Int32 = 4242) -> SessionRecord {
    SessionRecord(id: id, project: project, pid: pid, startedAt: time)
}
