/// A loaded stack: every file merged, every variable interpolated, every default explicit.
///
/// This is what `berth config` prints and what the supervisor runs. It holds only the services
/// enabled by the active profiles.
public struct Stack: Equatable, Sendable {
    /// The project name: `-p`, else `name:`, else the project directory's name.
    public var name: String
    /// The first stack file's directory; relative paths in the stack are resolved against it.
    public var projectDirectory: String
    /// Services sorted by name. `startOrder` gives the order they start in.
    public var services: [Service]
    /// `x-berth.host`: the host profile the budget is checked against, as an absolute path.
    public var hostProfile: String?
    /// Top-level `x-*` keys other than `x-berth`, kept as written.
    public var extensions: [String: PlainValue]

    public init(name: String, projectDirectory: String, services: [Service],
                hostProfile: String? = nil, extensions: [String: PlainValue] = [:]) {
        self.name = name
        self.projectDirectory = projectDirectory
        self.services = services.sorted { $0.name < $1.name }
        self.hostProfile = hostProfile
        self.extensions = extensions
    }

    public subscript(name: String) -> Service? {
        services.first { $0.name == name }
    }

    /// Service names in the order they start: every dependency before its dependents, ties
    /// broken by name so the order is the same on every run. Stop in the reverse order.
    public var startOrder: [String] {
        DependencyGraph(services).startOrder
    }
}

/// A value under an `x-` key that berth does not interpret: kept, compared and printed as is.
public indirect enum PlainValue: Hashable, Sendable {
    case null
    case bool(Bool)
    case int(Int64)
    case float(Double)
    case string(String)
    case list([PlainValue])
    case map([String: PlainValue])
}
