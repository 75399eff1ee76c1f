/// The `depends_on` graph of a stack: the order services start in, and the cycles that make
/// any order impossible.
public struct DependencyGraph: Sendable {
    /// Dependencies of each service, by name, restricted to services in the graph.
    private let edges: [String: [String]]
    private let names: [String]
    /// Dependencies first; among services that are ready to start, alphabetical order.
    /// Services caught in a cycle are left out (load reports the cycle).
    public let startOrder: [String]

    public init(_ services: [Service]) {
        let known = Set(services.map(\.name))
        names = services.map(\.name).sorted()
        var edges: [String: [String]] = [:]
        for service in services {
            edges[service.name] = Array(Set(service.dependencies.map(\.service).filter(known.contains))).sorted()
        }
        self.edges = edges
        startOrder = Self.order(names, edges)
    }

    /// Kahn's algorithm, always taking the alphabetically first service that is ready.
    private static func order(_ names: [String], _ edges: [String: [String]]) -> [String] {
        var waitingOn = edges.mapValues(\.count)
        var dependents: [String: [String]] = [:]
        for (name, dependencies) in edges {
            for dependency in dependencies { dependents[dependency, default: []].append(name) }
        }
        var ready = names.filter { waitingOn[$0] == 0 }.reversed() as [String]  // a stack, smallest last
        var order: [String] = []
        while let next = ready.popLast() {
            order.append(next)
            for dependent in dependents[next] ?? [] {
                waitingOn[dependent, default: 0] -= 1
                if waitingOn[dependent] == 0 {
                    ready.append(dependent)
                    ready.sort(by: >)
                }
            }
        }
        return order
    }

    /// Every service that `name` needs, directly or not, in start order.
    public func dependencies(of name: String) -> [String] {
        var needed: Set<String> = []
        var stack = edges[name] ?? []
        while let next = stack.popLast() {
            if needed.insert(next).inserted { stack.append(contentsOf: edges[next] ?? []) }
        }
        return startOrder.filter(needed.contains)
    }

    /// The services that depend on `name`, directly or not, in start order.
    public func dependents(of name: String) -> [String] {
        startOrder.filter { dependencies(of: $0).contains(name) }
    }

    /// The cycles of the graph, each written from its alphabetically first service and closed
    /// (`["a", "b", "c", "a"]`): one per back edge of a depth-first search, so every set of
    /// services that cannot start is named at least once.
    public var cycles: [[String]] {
        enum Mark { case visiting, done }
        var marks: [String: Mark] = [:]
        var path: [String] = []
        var found: [[String]] = []
        var seen: Set<[String]> = []
        func visit(_ node: String) {
            marks[node] = .visiting
            path.append(node)
            for next in edges[node] ?? [] {
                switch marks[next] {
                case nil:
                    visit(next)
                case .visiting?:
                    guard let index = path.lastIndex(of: next) else { continue }
                    var cycle = Array(path[index...])
                    if let smallest = cycle.indices.min(by: { cycle[$0] < cycle[$1] }) {
                        cycle = Array(cycle[smallest...] + cycle[..<smallest])
                    }
                    if seen.insert(cycle).inserted { found.append(cycle + [cycle[0]]) }
                case .done?:
                    continue
                }
            }
            path.removeLast()
            marks[node] = .done
        }
        for name in names where marks[name] == nil { visit(name) }
        return found
    }
}
