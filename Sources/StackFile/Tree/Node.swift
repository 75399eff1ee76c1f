/// A YAML value together with the place it was written.
///
/// Stack files pass through several stages before they become a `Stack`: interpolation,
/// override files, `extends`, `include`. All of them work on this tree, so that every value
/// keeps its own file, line and column however it got where it is.
public struct Node: Hashable, Sendable {
    public enum Value: Hashable, Sendable {
        case scalar(Scalar)
        case mapping([Entry])
        case sequence([Node])
    }

    /// Compose's merge directives, written as YAML tags in override files.
    public enum MergeTag: String, Hashable, Sendable {
        /// `!reset`: remove the value set by earlier files.
        case reset = "!reset"
        /// `!override`: replace the value set by earlier files instead of merging with it.
        case override = "!override"
    }

    public var value: Value
    public var location: SourceLocation
    public var mergeTag: MergeTag?

    public init(_ value: Value, at location: SourceLocation, mergeTag: MergeTag? = nil) {
        self.value = value
        self.location = location
        self.mergeTag = mergeTag
    }
}

/// A scalar as written: its text, and whether it was quoted.
///
/// Quoting matters for typing: `restart: "no"` and `restart: no` are both the string "no" to
/// Compose (YAML 1.2), but `user: 1000` is a number while `user: "1000"` is a string.
public struct Scalar: Hashable, Sendable {
    public var text: String
    public var isPlain: Bool

    public init(_ text: String, isPlain: Bool) {
        self.text = text
        self.isPlain = isPlain
    }
}

/// One `key: value` pair of a mapping. Keys are always scalars in stack files.
public struct Entry: Hashable, Sendable {
    public var key: String
    public var keyLocation: SourceLocation
    public var value: Node

    public init(key: String, keyLocation: SourceLocation, value: Node) {
        self.key = key
        self.keyLocation = keyLocation
        self.value = value
    }
}

// MARK: - Convenience

extension Node {
    public static func string(_ text: String, at location: SourceLocation) -> Node {
        Node(.scalar(Scalar(text, isPlain: false)), at: location)
    }

    public var scalar: Scalar? {
        if case let .scalar(scalar) = value { return scalar }
        return nil
    }

    public var entries: [Entry]? {
        if case let .mapping(entries) = value { return entries }
        return nil
    }

    public var items: [Node]? {
        if case let .sequence(items) = value { return items }
        return nil
    }

    /// The value of `key` in a mapping node, if present.
    public subscript(key: String) -> Node? {
        entries?.last { $0.key == key }?.value
    }

    /// What this node is, in the words an error message uses ("a mapping", "a list", "a number").
    public var kindDescription: String {
        switch value {
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case let .scalar(scalar): return scalar.kind.description
        }
    }

    /// Whether this is YAML's null (`~`, `null`, or nothing at all).
    public var isNull: Bool { scalar?.kind == .null }
}
