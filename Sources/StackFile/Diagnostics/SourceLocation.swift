/// Where a value came from: the file it was read from, and the line and column of its first
/// character (both counted from 1, as editors and compilers do).
///
/// Every node of a loaded stack keeps its location through interpolation, merging and
/// `extends`, so that an error found late still points at the text the user has to change.
public struct SourceLocation: Hashable, Sendable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var column: Int

    public init(file: String, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }

    /// `FILE:LINE:COL`, the form terminals and editors turn into links.
    public var description: String { "\(file):\(line):\(column)" }
}
