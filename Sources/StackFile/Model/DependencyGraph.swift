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

    /// Each distinct cycle once, written from its alphabetically first service and closed:
    /// `["a", "b", "c", "a"]`.
    public var cycles: [[String]] {
        var found: [[String]] = []
        var seen: Set<[String]> = []
        for start in names {
            var path: [String] = []
            var onPath: Set<String> = []
            var visited: Set<String> = []
            func visit(_ node: String) {
                if onPath.contains(node) {
                    guard let index = path.firstIndex(of: node) else { return }
                    var cycle = Array(path[index...])
                    // Rotate to start at the smallest name so each cycle is reported once.
                    if let smallest = cycle.indices.min(by: { cycle[$0] < cycle[$1] }) {
                        cycle = Array(cycle[smallest...] + cycle[..<smallest])
                    }
                    if seen.insert(cycle).inserted { found.append(cycle + [cycle[0]]) }
                    return
                }
                guard visited.insert(node).inserted else { return }
                path.append(node)
                onPath.insert(node)
                for next in edges[node] ?? [] { visit(next) }
                path.removeLast()
                onPath.remove(node)
            }
            visit(start)
        }
        return found
    }
}
