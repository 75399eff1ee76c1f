import Foundation

/// Why the history store could not be opened, or could not be read.
///
/// Write failures are not thrown (writes are asynchronous); they are
/// reported once through `HistoryStore`'s `onWriteFailure` callback.
public enum HistoryStoreError: Error, Equatable, CustomStringConvertible, LocalizedError {
    /// The directory that should hold the database could not be created.
    case cannotCreateDirectory(path: String, reason: String)
    /// SQLite could not open the file (not a database, no permission, ...).
    case cannotOpen(path: String, reason: String)
    /// The file opened but its schema could not be brought up to date.
    case migrationFailed(path: String, reason: String)
    /// A read query failed.
    case readFailed(path: String, reason: String)

    public var description: String {
        switch self {
        case let .cannotCreateDirectory(path, reason):
            return "cannot create the state directory \(path): \(reason)"
        case let .cannotOpen(path, reason):
            return "cannot open the history database \(path): \(reason)"
        case let .migrationFailed(path, reason):
            return "cannot update the schema of the history database \(path): \(reason)"
        case let .readFailed(path, reason):
            return "cannot read the history database \(path): \(reason)"
        }
    }

    public var errorDescription: String? { description }
}
