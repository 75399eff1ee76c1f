extension ServiceDecoder {
    /// `security_opt`, `cap_add` and `cap_drop`.
    func decodeSecurity(_ fields: Fields, into service: inout Service, sources: inout Sources) {
        if let node = fields["security_opt"], let options = read.stringList(node, fields.path("security_opt")) {
            for (index, option) in options.enumerated() {
                let path = "\(fields.path("security_opt"))[\(index)]"
                securityOption(option.text, node: option.node, path: path, into: &service.security)
                // The last `seccomp=` wins, and is where a problem with its profile is shown.
                if option.text.hasPrefix("seccomp") { sources.seccompProfile = (option.node.location, path) }
            }
        }
        if let node = fields["cap_add"] { service.security.capAdd = capabilities(node, fields.path("cap_add")) }
        if let node = fields["cap_drop"] { service.security.capDrop = capabilities(node, fields.path("cap_drop")) }
    }

    /// One `security_opt` item. Docker accepts `key=value` and the older `key:value`.
    private func securityOption(_ text: String, node: Node, path: String, into security: inout Security) {
        let separator = text.firstIndex(where: { $0 == "=" || $0 == ":" })
        let key = separator.map { String(text[..<$0]) } ?? text
        let value = separator.map { String(text[text.index(after: $0)...]) }
        switch (key, value) {
        case ("seccomp", "unconfined"?):
            security.seccomp = .unconfined
        case ("seccomp", "builtin"?), ("seccomp", "default"?):
            security.seccomp = .builtin
        case ("seccomp", let path?) where !path.isEmpty:
            security.seccomp = .profile(paths.absolute(path, writtenAt: node))
        case ("no-new-privileges", nil):
            security.noNewPrivileges = true
        case ("no-new-privileges", let flag?):
            switch flag.lowercased() {
            case "true": security.noNewPrivileges = true
            case "false": security.noNewPrivileges = false
            default: log.error(.invalidValue(text, expected: .securityOption), at: node.location, path: path)
            }
        case ("apparmor", _), ("label", _), ("systempaths", _), ("writable-cgroups", _):
            let reason = "berth applies seccomp, capabilities and no-new-privileges, not \(key)"
            if context.ignoreUnsupported {
                log.warning(.ignoredUnsupportedKey(reason: reason), at: node.location, path: path)
            } else {
                log.error(.unsupportedKey(reason: reason), at: node.location, path: path)
            }
        default:
            log.error(.invalidValue(text, expected: .securityOption), at: node.location, path: path)
        }
    }

    /// Capability names normalized to `NET_ADMIN` form, sorted; unknown names are errors.
    private func capabilities(_ node: Node, _ path: String) -> [String] {
        var names: [String] = []
        for (index, item) in (read.stringList(node, path) ?? []).enumerated() {
            guard let name = Capability.normalize(item.text) else {
                log.error(.invalidValue(item.text, expected: .capability), at: item.node.location, path: "\(path)[\(index)]")
                continue
            }
            if !names.contains(name) { names.append(name) }
        }
        return names.sorted()
    }

    // MARK: - x-berth

    func decodeBerthOptions(_ fields: Fields, into service: inout Service, sources: inout Sources) {
        guard let node = fields["x-berth"],
              let berth = context.fields(node, fields.path("x-berth"), keys: .berthService) else { return }
        var options = BerthOptions()
        if let node = berth["probe"] { options.probe = probe(node, berth.path("probe")) }
        if let node = berth["logs"], let logs = context.fields(node, berth.path("logs"), keys: .logs) {
            if let size = logs["max_size"], let bytes = read.bytes(size, logs.path("max_size")) {
                if bytes >= 1024 {
                    options.logs.maxSize = bytes
                } else {
                    log.error(.outOfRange(ByteCount.format(bytes), range: "at least 1k"), at: size.location, path: logs.path("max_size"))
                }
            }
            if let files = logs["max_files"], let count = read.integer(files, logs.path("max_files"), in: 1...1000) {
                options.logs.maxFiles = count
            }
        }
        if let node = berth["restart_on_unhealthy"], let value = read.bool(node, berth.path("restart_on_unhealthy")) {
            options.restartOnUnhealthy = value
        }
        if let node = berth["notify"], let value = read.bool(node, berth.path("notify")) {
            options.notify = value
        }
        if let node = berth["watchdog"], let interval = read.duration(node, berth.path("watchdog")) {
            if interval < .milliseconds(10) {
                log.error(.outOfRange(ComposeDuration.format(interval), range: "at least 10ms"), at: node.location, path: berth.path("watchdog"))
            } else if !options.notify {
                log.error(.missingKey("notify: true"), at: node.location, path: berth.path("watchdog"))
            } else {
                options.watchdog = interval
            }
        }
        if let node = berth["memory_high"], let bytes = read.bytes(node, berth.path("memory_high")) {
            if let limit = service.resources.memoryLimit, bytes >= limit {
                log.error(.memoryHighAboveLimit(high: ByteCount.format(bytes), limit: ByteCount.format(limit)),
                          at: node.location, path: berth.path("memory_high"))
            } else {
                options.memoryHigh = bytes
            }
        }
        if let node = berth["seccomp_strict"], let value = read.bool(node, berth.path("seccomp_strict")) {
            options.seccompStrict = value
        }
        if let node = berth["deploy"] {
            options.deploy = blueGreen(node, berth.path("deploy"), sources: &sources)
            if options.deploy != nil, options.deploy?.health == nil, service.healthcheck == nil, options.probe == nil {
                log.error(.deployWithoutHealth, at: node.location, path: berth.path("deploy"))
            }
        }
        if let node = berth["proxy"] { options.proxy = proxyOptions(node, berth.path("proxy"), service: service) }
        service.berth = options
    }

    /// `probe: {http: URL}` or `probe: {tcp: HOST:PORT}`, with healthcheck timing.
    private func probe(_ node: Node, _ path: String) -> Probe? {
        guard let fields = context.fields(node, path, keys: .probe) else { return nil }
        let timing = timing(fields)
        switch (fields["http"], fields["tcp"]) {
        case let (http?, nil):
            guard let url = read.string(http, fields.path("http")) else { return nil }
            guard let target = HTTPTarget(url: url) else {
                log.error(.relativeURL(url), at: http.location, path: fields.path("http"))
                return nil
            }
            return Probe(target: .http(target), timing: timing)
        case let (nil, tcp?):
            guard let text = read.string(tcp, fields.path("tcp")) else { return nil }
            guard let address = HostPort(text) else {
                log.error(.invalidValue(text, expected: .hostPort), at: tcp.location, path: fields.path("tcp"))
                return nil
            }
            return Probe(target: .tcp(host: address.host, port: address.port), timing: timing)
        case (_?, let tcp?):
            log.error(.exclusiveKeys("http", "tcp"), at: tcp.location, path: fields.path("tcp"))
            return nil
        case (nil, nil):
            log.error(.missingOneOf(["http", "tcp"]), at: node.location, path: path)
            return nil
        }
    }
}
