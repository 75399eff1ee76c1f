extension ServiceDecoder {
    // MARK: - healthcheck

    /// Docker's health check: a test, and timing whose defaults become explicit here.
    func decodeHealth(_ fields: Fields, into service: inout Service) {
        guard let node = fields["healthcheck"],
              let health = context.fields(node, fields.path("healthcheck"), keys: .healthcheck) else { return }
        let disabled = health["disable"].flatMap { read.bool($0, health.path("disable")) } ?? false
        let testNode = health["test"]
        let test = testNode.flatMap { healthTest($0, health.path("test")) }
        if disabled {
            if case .some(.some) = test, let testNode {
                log.error(.exclusiveKeys("disable: true", "test"), at: testNode.location, path: health.path("test"))
            }
            return
        }
        guard testNode != nil else {
            // Compose would take the test from the image; a host program has none.
            log.error(.missingKey("test"), at: node.location, path: fields.path("healthcheck"))
            return
        }
        // `NONE` turns the check off; an invalid test has been reported.
        guard case let .some(.some(test)) = test else { return }
        service.healthcheck = HealthCheck(test: test, timing: timing(health))
    }

    /// `.some(nil)` for `NONE`, `nil` when invalid (reported).
    private func healthTest(_ node: Node, _ path: String) -> HealthCheck.Test?? {
        if node.scalar != nil {
            guard let text = read.string(node, path) else { return nil }
            return .some(.shell(text))
        }
        guard let items = read.stringList(node, path, unique: false)?.map(\.text) else { return nil }
        switch items.first {
        case "NONE":
            return .some(nil)
        case "CMD" where items.count > 1:
            return .some(.exec(Array(items.dropFirst())))
        case "CMD-SHELL" where items.count > 1:
            return .some(.shell(items.dropFirst().joined(separator: " ")))
        default:
            log.error(.invalidValue(items.joined(separator: " "), expected: .healthcheckTest), at: node.location, path: path)
            return nil
        }
    }

    /// `interval`, `timeout`, `start_period`, `start_interval` and `retries`, shared by
    /// health checks and native probes. Zero means Docker's default, as in Docker.
    func timing(_ fields: Fields) -> ProbeTiming {
        var timing = ProbeTiming()
        let defaults = ProbeTiming()
        func duration(_ key: String, default value: Duration) -> Duration {
            guard let node = fields[key], let duration = read.duration(node, fields.path(key)) else { return value }
            return duration == .zero && key != "start_period" ? value : duration
        }
        timing.interval = duration("interval", default: defaults.interval)
        timing.timeout = duration("timeout", default: defaults.timeout)
        timing.startPeriod = duration("start_period", default: defaults.startPeriod)
        timing.startInterval = duration("start_interval", default: defaults.startInterval)
        if let node = fields["retries"], let retries = read.integer(node, fields.path("retries"), in: 0...Int(Int32.max)) {
            timing.retries = retries == 0 ? defaults.retries : retries
        }
        if let node = fields["start_interval"], fields["start_period"] == nil {
            log.error(.startIntervalWithoutStartPeriod, at: node.location, path: fields.path("start_interval"))
        }
        return timing
    }

    // MARK: - depends_on

    /// The short form (a list of names) and the long form (a mapping with a `condition`).
    func decodeDependencies(_ fields: Fields, into service: inout Service, sources: inout Sources) {
        guard let node = fields["depends_on"] else { return }
        let path = fields.path("depends_on")
        var dependencies: [Dependency] = []
        switch node.value {
        case .sequence:
            for item in read.stringList(node, path) ?? [] {
                dependencies.append(Dependency(service: item.text))
                sources.dependencies[item.text] = item.node.location
            }
        case let .mapping(entries):
            for entry in entries {
                let entryPath = "\(path).\(entry.key)"
                guard let options = context.fields(entry.value, entryPath, keys: .dependency) else { continue }
                var dependency = Dependency(service: entry.key)
                if let condition = options["condition"], let text = read.string(condition, options.path("condition")) {
                    if let value = Dependency.Condition(rawValue: text) {
                        dependency.condition = value
                    } else {
                        log.error(.invalidValue(text, expected: .dependencyCondition),
                                  at: condition.location, path: options.path("condition"))
                    }
                } else if options["condition"] == nil {
                    log.error(.missingKey("condition"), at: entry.keyLocation, path: entryPath)
                }
                if let required = options["required"], let value = read.bool(required, options.path("required")) {
                    dependency.required = value
                }
                if let restart = options["restart"], let value = read.bool(restart, options.path("restart")) {
                    dependency.restart = value
                }
                dependencies.append(dependency)
                sources.dependencies[entry.key] = entry.keyLocation
            }
        case .scalar:
            log.error(.wrongType(expected: "a list of service names or a mapping", found: node.kindDescription),
                      at: node.location, path: path)
        }
        service.dependencies = dependencies.sorted { $0.service < $1.service }
    }
}
