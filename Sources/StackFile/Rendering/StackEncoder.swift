/// The canonical form of a stack: a compose file with every default explicit, one spelling per
/// setting (long-form `depends_on`, `deploy.resources` rather than `mem_limit`...), durations
/// and sizes in canonical units. Loading it again gives the same `Stack`.
public enum StackEncoder {
    public static func encode(_ stack: Stack) -> PlainValue {
        var top: [String: PlainValue] = [
            "name": .string(stack.name),
            "services": .map(Dictionary(stack.services.map { ($0.name, encode($0)) }, uniquingKeysWith: { $1 })),
        ]
        if let host = stack.hostProfile { top["x-berth"] = .map(["host": .string(host)]) }
        for (key, value) in stack.extensions { top[key] = value }
        return .map(top)
    }

    public static func encode(_ service: Service) -> PlainValue {
        var fields: [String: PlainValue] = [
            "environment": .map(service.environment.mapValues(PlainValue.string)),
            "init": .bool(service.runsInit),
            "security_opt": .list(securityOptions(service.security).map(PlainValue.string)),
            "stop_grace_period": .string(ComposeDuration.format(service.stopGracePeriod)),
            "stop_signal": .string(SignalName.name(of: service.stopSignal) ?? String(service.stopSignal)),
            "working_dir": .string(service.workingDirectory),
            "x-berth": berthOptions(service.berth),
        ]
        if let entrypoint = service.entrypoint { fields["entrypoint"] = strings(entrypoint) }
        if let command = service.command { fields["command"] = strings(command) }
        if let user = service.user { fields["user"] = .string(user) }
        if let health = service.healthcheck { fields["healthcheck"] = healthcheck(health) }
        if !service.dependencies.isEmpty {
            fields["depends_on"] = .map(Dictionary(service.dependencies.map { dependency in
                (dependency.service, PlainValue.map([
                    "condition": .string(dependency.condition.rawValue),
                    "required": .bool(dependency.required),
                    "restart": .bool(dependency.restart),
                ]))
            }, uniquingKeysWith: { $1 }))
        }
        if let deploy = deploy(service) { fields["deploy"] = deploy }
        // `restart:` when it says it all; else `deploy.restart_policy` alone, which Compose
        // lets win over `restart:` anyway.
        if !Self.needsRestartPolicy(service.restart) { fields["restart"] = .string(service.restart.composeText) }
        if let shares = service.resources.cpuShares { fields["cpu_shares"] = .int(Int64(shares)) }
        switch service.resources.memorySwapLimit {
        case let .bytes(bytes)?: fields["memswap_limit"] = .string(ByteCount.format(bytes))
        case .unlimited?: fields["memswap_limit"] = .int(-1)
        case nil: break
        }
        if !service.security.capAdd.isEmpty { fields["cap_add"] = strings(service.security.capAdd) }
        if !service.security.capDrop.isEmpty { fields["cap_drop"] = strings(service.security.capDrop) }
        if !service.ulimits.isEmpty {
            fields["ulimits"] = .map(Dictionary(service.ulimits.map { limit in
                (limit.name, PlainValue.map(["soft": .int(limit.soft), "hard": .int(limit.hard)]))
            }, uniquingKeysWith: { $1 }))
        }
        if let adjust = service.oomScoreAdjust { fields["oom_score_adj"] = .int(Int64(adjust)) }
        if !service.profiles.isEmpty { fields["profiles"] = strings(service.profiles) }
        if !service.labels.isEmpty { fields["labels"] = .map(service.labels.mapValues(PlainValue.string)) }
        for (key, value) in service.extensions { fields[key] = value }
        return .map(fields)
    }

    private static func strings(_ values: [String]) -> PlainValue {
        .list(values.map(PlainValue.string))
    }

    /// `security_opt` with both defaults spelled out.
    static func securityOptions(_ security: Security) -> [String] {
        let seccomp: String
        switch security.seccomp {
        case .builtin: seccomp = "builtin"
        case .unconfined: seccomp = "unconfined"
        case let .profile(path): seccomp = path
        }
        return ["no-new-privileges=\(security.noNewPrivileges)", "seccomp=\(seccomp)"]
    }

    private static func timing(_ timing: ProbeTiming) -> [String: PlainValue] {
        [
            "interval": .string(ComposeDuration.format(timing.interval)),
            "timeout": .string(ComposeDuration.format(timing.timeout)),
            "start_period": .string(ComposeDuration.format(timing.startPeriod)),
            "start_interval": .string(ComposeDuration.format(timing.startInterval)),
            "retries": .int(Int64(timing.retries)),
        ]
    }

    private static func healthcheck(_ health: HealthCheck) -> PlainValue {
        var fields = timing(health.timing)
        switch health.test {
        case let .exec(argv): fields["test"] = strings(["CMD"] + argv)
        case let .shell(command): fields["test"] = strings(["CMD-SHELL", command])
        }
        return .map(fields)
    }

    /// `deploy.resources` and, when `restart:` cannot say it all, `deploy.restart_policy`.
    private static func deploy(_ service: Service) -> PlainValue? {
        let resources = service.resources
        var limits: [String: PlainValue] = [:]
        var reservations: [String: PlainValue] = [:]
        if let memory = resources.memoryLimit { limits["memory"] = .string(ByteCount.format(memory)) }
        if let cpus = resources.cpuLimit { limits["cpus"] = number(cpus) }
        if let pids = resources.pidsLimit { limits["pids"] = .int(Int64(pids)) }
        if let memory = resources.memoryReservation { reservations["memory"] = .string(ByteCount.format(memory)) }
        if let cpus = resources.cpuReservation { reservations["cpus"] = number(cpus) }

        var deploy: [String: PlainValue] = [:]
        var resourceFields: [String: PlainValue] = [:]
        if !limits.isEmpty { resourceFields["limits"] = .map(limits) }
        if !reservations.isEmpty { resourceFields["reservations"] = .map(reservations) }
        if !resourceFields.isEmpty { deploy["resources"] = .map(resourceFields) }

        let restart = service.restart
        if needsRestartPolicy(restart) {
            var policy: [String: PlainValue] = [:]
            switch restart.mode {
            case .no: policy["condition"] = .string("none")
            case .onFailure: policy["condition"] = .string("on-failure")
            case .always, .unlessStopped: policy["condition"] = .string("any")
            }
            if let attempts = restart.maxAttempts { policy["max_attempts"] = .int(Int64(attempts)) }
            if let delay = restart.delay { policy["delay"] = .string(ComposeDuration.format(delay)) }
            if let window = restart.window { policy["window"] = .string(ComposeDuration.format(window)) }
            deploy["restart_policy"] = .map(policy)
        }
        return deploy.isEmpty ? nil : .map(deploy)
    }

    /// Whether `restart:` cannot say the whole policy (a delay, a window, or attempts without
    /// `on-failure`).
    static func needsRestartPolicy(_ restart: RestartPolicy) -> Bool {
        restart.delay != nil || restart.window != nil || (restart.maxAttempts != nil && restart.mode != .onFailure)
    }

    private static func number(_ value: Double) -> PlainValue {
        value == value.rounded() && abs(value) < 1e15 ? .int(Int64(value)) : .float(value)
    }

    private static func berthOptions(_ options: BerthOptions) -> PlainValue {
        var fields: [String: PlainValue] = [
            "logs": .map([
                "max_size": .string(ByteCount.format(options.logs.maxSize)),
                "max_files": .int(Int64(options.logs.maxFiles)),
            ]),
            "notify": .bool(options.notify),
            "restart_on_unhealthy": .bool(options.restartOnUnhealthy),
            "seccomp_strict": .bool(options.seccompStrict),
        ]
        if let high = options.memoryHigh { fields["memory_high"] = .string(ByteCount.format(high)) }
        if let watchdog = options.watchdog { fields["watchdog"] = .string(ComposeDuration.format(watchdog)) }
        if let probe = options.probe {
            var probeFields = timing(probe.timing)
            switch probe.target {
            case let .http(target): probeFields["http"] = .string(target.description)
            case let .tcp(host, port): probeFields["tcp"] = .string(HostPort.format(host: host, port: port))
            }
            fields["probe"] = .map(probeFields)
        }
        if let deploy = options.deploy {
            var deployFields: [String: PlainValue] = [
                "strategy": .string("blue-green"),
                "ports": .list([.int(Int64(deploy.bluePort)), .int(Int64(deploy.greenPort))]),
                "proxy": .string(deploy.proxy),
                "deploy_timeout": .string(ComposeDuration.format(deploy.deployTimeout)),
                "drain": .string(ComposeDuration.format(deploy.drain)),
            ]
            if let health = deploy.health { deployFields["health"] = .string(health) }
            fields["deploy"] = .map(deployFields)
        }
        if let proxy = options.proxy {
            var proxyFields: [String: PlainValue] = [
                "kind": .string(proxy.kind.rawValue),
                "upstreams": .string(proxy.upstreams),
                "listen": .string(proxy.listen.description),
            ]
            if let config = proxy.config { proxyFields["config"] = .string(config) }
            if let errorLog = proxy.errorLog { proxyFields["error_log"] = .string(errorLog) }
            fields["proxy"] = .map(proxyFields)
        }
        return .map(fields)
    }
}

extension HostPort {
    static func format(host: String, port: Int) -> String {
        host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }
}
