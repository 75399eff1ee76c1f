/// Decides which services a load keeps — by profile, and by the services named on the command
/// line — and checks that what they depend on is there, enabled, and free of cycles.
struct ServiceSelection {
    let options: LoadOptions
    /// The project environment: `COMPOSE_PROFILES` may come from `.env`, as in Compose.
    let environment: [String: String]
    let log: DiagnosticLog
    /// Services whose `extends` could not be resolved: already reported, so depending on them
    /// is not reported again.
    var unresolved: Set<String> = []

    typealias Decoded = (service: Service, sources: ServiceDecoder.Sources)

    func select(_ decoded: [Decoded]) -> [Service] {
        let byName = Dictionary(decoded.map { ($0.service.name, $0) }, uniquingKeysWith: { $1 })
        let knownProfiles = Set(decoded.flatMap(\.service.profiles))

        var active = Set(requestedProfiles)
        for profile in active.subtracting(["*"]) where !knownProfiles.contains(profile) {
            log.error(.unknownProfile(profile, known: knownProfiles.sorted()), at: nil, path: "--profile")
        }
        for name in options.services {
            guard let target = byName[name] else {
                log.error(.unknownService(name, suggestion: Suggestion.closest(to: name, among: Array(byName.keys))),
                          at: nil, path: "service argument")
                continue
            }
            // Naming a service enables it, whatever its profiles (Compose's rule).
            active.formUnion(target.service.profiles)
        }
        func isEnabled(_ service: Service) -> Bool {
            service.profiles.isEmpty || active.contains("*") || !active.isDisjoint(with: service.profiles)
        }

        var kept: [Decoded] = decoded.filter { isEnabled($0.service) }
        kept = kept.map { checkDependencies(of: $0, byName: byName, isEnabled: isEnabled) }
        if !options.services.isEmpty {
            let graph = DependencyGraph(kept.map(\.service))
            let wanted = Set(options.services.flatMap { [$0] + graph.dependencies(of: $0) })
            kept = kept.filter { wanted.contains($0.service.name) }
        }
        reportCycles(in: kept)
        checkProxies(of: kept, byName: byName)
        return kept.map(\.service)
    }

    private var requestedProfiles: [String] {
        let fromEnvironment = environment["COMPOSE_PROFILES"]?
            .split(separator: ",").map { String($0).trimmingSpaces }.filter { !$0.isEmpty } ?? []
        return options.profiles + fromEnvironment
    }

    /// Reports dependencies on services that do not exist or are disabled; optional ones
    /// (`required: false`) are dropped with a warning instead.
    private func checkDependencies(of entry: Decoded, byName: [String: Decoded], isEnabled: (Service) -> Bool) -> Decoded {
        var entry = entry
        let path = "services.\(entry.service.name).depends_on"
        entry.service.dependencies = entry.service.dependencies.filter { dependency in
            let location = entry.sources.dependencies[dependency.service] ?? entry.sources.service
            if unresolved.contains(dependency.service) { return false }
            let problem: Problem
            if let target = byName[dependency.service] {
                if isEnabled(target.service) {
                    if dependency.condition == .healthy, !Self.reportsHealth(target.service) {
                        log.error(.dependencyWithoutHealthCheck(dependency.service), at: location, path: path)
                    }
                    return true
                }
                problem = .disabledService(dependency.service, profiles: target.service.profiles)
            } else {
                problem = .undefinedService(dependency.service,
                                            suggestion: Suggestion.closest(to: dependency.service, among: Array(byName.keys)))
            }
            if dependency.required {
                log.error(problem, at: location, path: path)
            } else {
                log.warning(.optionalDependencyDropped(dependency.service, reason: problem.description),
                            at: location, path: path)
            }
            return false
        }
        return entry
    }

    /// A service can be waited on for health when it has a health check, a probe, or
    /// announces readiness with sd_notify.
    static func reportsHealth(_ service: Service) -> Bool {
        service.healthcheck != nil || service.berth.probe != nil || service.berth.notify
    }

    /// A blue-green service's proxy must be a service of the stack marked with `x-berth.proxy`.
    private func checkProxies(of kept: [Decoded], byName: [String: Decoded]) {
        for entry in kept {
            guard let deploy = entry.service.berth.deploy else { continue }
            let location = entry.sources.deployProxy ?? entry.sources.service
            let path = "services.\(entry.service.name).x-berth.deploy.proxy"
            if let target = byName[deploy.proxy] {
                if target.service.berth.proxy == nil { log.error(.proxyIsNotAProxy(deploy.proxy), at: location, path: path) }
            } else {
                log.error(.undefinedProxy(deploy.proxy, suggestion: Suggestion.closest(to: deploy.proxy, among: Array(byName.keys))),
                          at: location, path: path)
            }
        }
    }

    private func reportCycles(in kept: [Decoded]) {
        let locations = Dictionary(kept.map { ($0.service.name, $0.sources) }, uniquingKeysWith: { $1 })
        for cycle in DependencyGraph(kept.map(\.service)).cycles {
            let first = cycle[0]
            let location = locations[first].map { $0.dependencies[cycle[1]] ?? $0.service }
            log.error(.dependencyCycle(cycle), at: location, path: "services.\(first).depends_on")
        }
    }
}
