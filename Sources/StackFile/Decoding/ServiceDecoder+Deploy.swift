extension ServiceDecoder {
    // MARK: - x-berth.deploy

    /// `x-berth.deploy: {strategy: blue-green, ports: [BLUE, GREEN], proxy: SERVICE,
    /// deploy_timeout: 30s, drain: 10s, health: PATH}`. Whether the proxy exists and is one is
    /// checked once every service is known (`ServiceSelection`).
    func blueGreen(_ node: Node, _ path: String, sources: inout Sources) -> BlueGreen? {
        guard let fields = context.fields(node, path, keys: .blueGreen) else { return nil }
        var complete = true
        if let strategy = fields["strategy"], let text = read.string(strategy, fields.path("strategy")), text != "blue-green" {
            log.error(.invalidValue(text, expected: .deployStrategy), at: strategy.location, path: fields.path("strategy"))
        }
        var ports: [Int] = []
        if let portsNode = fields["ports"] {
            if let items = portsNode.items, items.count == 2 {
                for (index, item) in items.enumerated() {
                    if let port = read.integer(item, "\(fields.path("ports"))[\(index)]", in: 1...65535) { ports.append(port) }
                }
                if ports.count == 2, ports[0] == ports[1] {
                    log.error(.samePortForBothColors(ports[0]), at: items[1].location, path: "\(fields.path("ports"))[1]")
                    complete = false
                }
            } else {
                log.error(.wrongType(expected: "a list of two ports [BLUE, GREEN]", found: portsNode.kindDescription
                    + (portsNode.items.map { " of \($0.count)" } ?? "")), at: portsNode.location, path: fields.path("ports"))
            }
        } else {
            log.error(.missingKey("ports"), at: node.location, path: path)
        }
        var proxy: String?
        if let proxyNode = fields["proxy"] {
            proxy = read.string(proxyNode, fields.path("proxy"))
            sources.deployProxy = proxyNode.location
        } else {
            log.error(.missingKey("proxy"), at: node.location, path: path)
        }
        guard complete, ports.count == 2, let proxy else { return nil }
        var options = BlueGreen(bluePort: ports[0], greenPort: ports[1], proxy: proxy)
        if let timeout = fields["deploy_timeout"], let value = read.duration(timeout, fields.path("deploy_timeout")) {
            if value < .milliseconds(100) {
                log.error(.outOfRange(ComposeDuration.format(value), range: "at least 100ms"), at: timeout.location,
                          path: fields.path("deploy_timeout"))
            } else {
                options.deployTimeout = value
            }
        }
        if let drain = fields["drain"], let value = read.duration(drain, fields.path("drain")) { options.drain = value }
        if let health = fields["health"], let text = read.string(health, fields.path("health")) {
            if text.hasPrefix("/"), !text.contains(where: { $0 == " " || $0 == "\t" }) {
                options.health = text
            } else {
                log.error(.healthPathNotAbsolute(text), at: health.location, path: fields.path("health"))
            }
        }
        return options
    }

    // MARK: - x-berth.proxy

    /// `x-berth.proxy: {kind: nginx, upstreams: FILE, listen: HOST:PORT, config: FILE, error_log: FILE}`.
    /// `config` and `error_log` default to the `-c` and `-e` of the proxy's command line.
    func proxyOptions(_ node: Node, _ path: String, service: Service) -> ProxyOptions? {
        guard let fields = context.fields(node, path, keys: .proxy) else { return nil }
        if let kind = fields["kind"], let text = read.string(kind, fields.path("kind")), ProxyOptions.Kind(rawValue: text) == nil {
            log.error(.invalidValue(text, expected: .proxyKind), at: kind.location, path: fields.path("kind"))
        }
        var upstreams: String?
        if let file = fields["upstreams"] {
            if let text = read.string(file, fields.path("upstreams")) { upstreams = paths.absolute(text, writtenAt: file) }
        } else {
            log.error(.missingKey("upstreams"), at: node.location, path: path)
        }
        var listen: HostPort?
        if let address = fields["listen"] {
            if let text = read.string(address, fields.path("listen")) {
                listen = HostPort(text)
                if listen == nil { log.error(.invalidValue(text, expected: .hostPort), at: address.location, path: fields.path("listen")) }
            }
        } else {
            log.error(.missingKey("listen"), at: node.location, path: path)
        }
        guard let upstreams, let listen else { return nil }
        var options = ProxyOptions(upstreams: upstreams, listen: listen)
        let argv = service.argv
        func argument(after flag: String) -> String? {
            guard let index = argv.firstIndex(of: flag), index + 1 < argv.count else { return nil }
            return FilePath.join(service.workingDirectory, argv[index + 1])
        }
        if let config = fields["config"], let text = read.string(config, fields.path("config")) {
            options.config = paths.absolute(text, writtenAt: config)
        } else {
            options.config = argument(after: "-c")
        }
        if let errorLog = fields["error_log"], let text = read.string(errorLog, fields.path("error_log")) {
            options.errorLog = paths.absolute(text, writtenAt: errorLog)
        } else {
            options.errorLog = argument(after: "-e")
        }
        return options
    }
}
