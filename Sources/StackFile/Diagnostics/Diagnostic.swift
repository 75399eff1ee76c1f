/// One problem found in a stack: where it is, which key it concerns, and what is wrong.
///
/// Rendered the way compilers print errors, so that terminals and editors can jump to it:
///
///     compose.yaml:12:16: services.web.mem_limit: "12xb" is not a byte value (examples: 512m, 1g)
public struct Diagnostic: Hashable, Sendable, CustomStringConvertible {
    public enum Severity: String, Hashable, Sendable {
        case error
        case warning
    }

    public var severity: Severity
    /// The text the user has to change; `nil` for problems that have no place in a file
    /// (a missing file, an unknown `--profile`).
    public var location: SourceLocation?
    /// The key path in Compose's dotted notation (`services.web.healthcheck.test`); `nil` when
    /// the problem concerns a whole file or a command-line argument.
    public var path: String?
    public var problem: Problem

    public init(_ severity: Severity, _ problem: Problem, at location: SourceLocation?, path: String?) {
        self.severity = severity
        self.problem = problem
        self.location = location
        self.path = path
    }

    public var description: String {
        var text = ""
        if let location { text += "\(location): " }
        if let path, !path.isEmpty { text += "\(path): " }
        return text + problem.description
    }
}

/// Collects every problem found while loading, so that a user sees all of them at once rather
/// than fixing one per run.
///
/// A reference type on purpose: the loader's helpers all append to the same log.
public final class DiagnosticLog {
    public private(set) var entries: [Diagnostic] = []

    public init() {}

    public var hasErrors: Bool { entries.contains { $0.severity == .error } }
    public var errors: [Diagnostic] { entries.filter { $0.severity == .error } }
    public var warnings: [Diagnostic] { entries.filter { $0.severity == .warning } }

    /// Entries in reading order: by file, line and column; those without a place first.
    public var sortedEntries: [Diagnostic] {
        entries.enumerated().sorted { first, second in
            switch (first.element.location, second.element.location) {
            case let (a?, b?):
                if a.file != b.file { return a.file < b.file }
                if a.line != b.line { return a.line < b.line }
                if a.column != b.column { return a.column < b.column }
                return first.offset < second.offset
            case (nil, _?): return true
            case (_?, nil): return false
            case (nil, nil): return first.offset < second.offset
            }
        }.map(\.element)
    }

    public func error(_ problem: Problem, at location: SourceLocation?, path: String? = nil) {
        append(Diagnostic(.error, problem, at: location, path: path))
    }

    public func warning(_ problem: Problem, at location: SourceLocation?, path: String? = nil) {
        append(Diagnostic(.warning, problem, at: location, path: path))
    }

    public func append(_ diagnostic: Diagnostic) {
        // The same node can be reached twice (a YAML alias, a service extended twice); one
        // report per problem is enough. And one error per place: a value that could not be
        // interpolated would otherwise be reported again as an invalid value.
        if entries.contains(diagnostic) { return }
        if diagnostic.severity == .error, let location = diagnostic.location,
           entries.contains(where: { $0.severity == .error && $0.location == location }) { return }
        entries.append(diagnostic)
    }

    public func append(contentsOf other: DiagnosticLog) {
        for entry in other.entries { append(entry) }
    }
}

/// Thrown when a stack cannot be used: it carries every error and warning that was found.
public struct StackError: Error, CustomStringConvertible, Sendable {
    public var diagnostics: [Diagnostic]

    public init(_ diagnostics: [Diagnostic]) { self.diagnostics = diagnostics }

    public var errors: [Diagnostic] { diagnostics.filter { $0.severity == .error } }

    public var description: String {
        diagnostics.map { ($0.severity == .warning ? "warning: " : "") + $0.description }
            .joined(separator: "\n")
    }
}
