extension ServiceDecoder {
    // MARK: - Restart

    /// `restart:` and `deploy.restart_policy`. The latter wins when both are set, as in
    /// Compose; unlike Compose, berth honours its `delay` and `window` too.
    func decodeRestart(_ fields: Fields, into service: inout Service) {
        var fromRestart: RestartPolicy?
        if let node = fields["restart"], let text = read.string(node, fields.path("restart")) {
            fromRestart = restartPolicy(text)
            if fromRestart == nil {
                log.error(.invalidValue(text, expected: .restartPolicy), at: node.location, path: fields.path("restart"))
            }
        }
        let deploy = fields["deploy"].flatMap { context.fields($0, fields.path("deploy"), keys: .deploy) }
        guard let policyNode = deploy?["restart_policy"], let deploy else {
            service.restart = fromRestart ?? RestartPolicy()
            return
        }
        guard let policy = context.fields(policyNode, deploy.path("restart_policy"), keys: .restartPolicy) else { return }
        var result = RestartPolicy(mode: .always)
        if let node = policy["condition"], let text = read.string(node, policy.path("condition")) {
            switch text {
            case "none", "no": result.mode = .no
            case "on-failure": result.mode = .onFailure
            case "any", "always": result.mode = .always
            default:
                log.error(.invalidValue(text, expected: .restartCondition), at: node.location, path: policy.path("condition"))
            }
        }
        if let node = policy["max_attempts"] {
            result.maxAttempts = read.integer(node, policy.path("max_attempts"), in: 0...Int(Int32.max))
        }
        if let node = policy["delay"] { result.delay = read.duration(node, policy.path("delay")) }
        if let node = policy["window"] { result.window = read.duration(node, policy.path("window")) }
        if let fromRestart, let node = fields["restart"],
           fromRestart.mode != result.mode || fromRestart.maxAttempts != result.maxAttempts {
            log.warning(.restartPolicyOverridesRestart(restart: fromRestart.composeText),
                        at: node.location, path: fields.path("restart"))
        }
        service.restart = result
    }

    /// `"no"`, `always`, `on-failure`, `on-failure:N`, `unless-stopped`.
    private func restartPolicy(_ text: String) -> RestartPolicy? {
        let parts = text.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        guard let mode = RestartPolicy.Mode(rawValue: String(parts[0])) else { return nil }
        guard parts.count == 2 else { return RestartPolicy(mode: mode) }
        guard mode == .onFailure, let attempts = Int(parts[1]), attempts >= 0 else { return nil }
        return RestartPolicy(mode: mode, maxAttempts: attempts)
    }

    // MARK: - Resources

    /// Limits and reservations. Compose has twins for most of them (`mem_limit` and
    /// `deploy.resources.limits.memory`); a twin that disagrees with the other is an error.
    func decodeResources(_ fields: Fields, into service: inout Service) {
        let deploy = fields["deploy"].flatMap { node in read.mapping(node, fields.path("deploy")).map { Fields($0, path: fields.path("deploy")) } }
        let resources = deploy.flatMap { deploy in deploy["resources"].flatMap { context.fields($0, deploy.path("resources"), keys: .resources) } }
        let limits = resources.flatMap { resources in resources["limits"].flatMap { context.fields($0, resources.path("limits"), keys: .limits) } }
        let reservations = resources.flatMap { resources in
            resources["reservations"].flatMap { context.fields($0, resources.path("reservations"), keys: .reservations) }
        }

        let memoryLimit = twin(fields, "mem_limit", limits, "memory") { node, path, isDeploy in
            read.bytes(node, path, numbersAllowed: !isDeploy)
        }
        let memoryReservation = twin(fields, "mem_reservation", reservations, "memory") { node, path, isDeploy in
            read.bytes(node, path, numbersAllowed: !isDeploy)
        }
        // `cpus: 0` and `pids_limit: -1` mean "no limit": unset, not a value that could disagree.
        let cpuLimit = twin(fields, "cpus", limits, "cpus") { node, path, _ in
            cpus(node, path).flatMap { $0 == 0 ? nil : $0 }
        }
        let cpuReservation = reservations.flatMap { reservations in
            reservations["cpus"].flatMap { node in
                cpus(node, reservations.path("cpus")).map { Located(value: $0, node: node, path: reservations.path("cpus")) }
            }
        }
        let pidsLimit = twin(fields, "pids_limit", limits, "pids") { node, path, _ in
            read.integer(node, path, in: -1...Int(Int32.max)).flatMap { $0 > 0 ? $0 : nil }
        }

        var result = Resources()
        result.memoryLimit = memoryLimit?.value
        result.memoryReservation = memoryReservation?.value
        result.cpuLimit = cpuLimit?.value
        result.cpuReservation = cpuReservation.flatMap { $0.value == 0 ? nil : $0.value }
        result.pidsLimit = pidsLimit?.value
        if let node = fields["cpu_shares"] {
            result.cpuShares = cpuShares(node, fields.path("cpu_shares"))
        }
        if let node = fields["memswap_limit"] {
            result.memorySwapLimit = swapLimit(node, fields.path("memswap_limit"), memoryLimit: result.memoryLimit)
        }

        if let limit = memoryLimit, limit.value < Self.minimumMemory {
            log.error(.outOfRange(ByteCount.format(limit.value),
                                  range: "at least \(ByteCount.format(Self.minimumMemory)), as in Docker"),
                      at: limit.node.location, path: limit.path)
        }
        if let reservation = memoryReservation, let limit = result.memoryLimit, reservation.value > limit {
            log.error(.reservationAboveLimit(reservation: ByteCount.format(reservation.value), limit: ByteCount.format(limit)),
                      at: reservation.node.location, path: reservation.path)
        }
        if let reservation = cpuReservation, let limit = result.cpuLimit, reservation.value > limit {
            log.error(.reservationAboveLimit(reservation: ComposeNumber.format(reservation.value), limit: ComposeNumber.format(limit)),
                      at: reservation.node.location, path: reservation.path)
        }
        service.resources = result
    }

    /// Docker's smallest memory limit: below it a process cannot even start.
    static let minimumMemory: Int64 = 6 * 1024 * 1024

    /// A value read from the stack, with where it was written.
    struct Located<Value> {
        var value: Value
        var node: Node
        var path: String
    }

    /// Reads a value that may be set in two places; both set to different values is an error.
    private func twin<Value: Equatable>(
        _ fields: Fields, _ key: String, _ deploy: Fields?, _ deployKey: String,
        read value: (Node, String, _ isDeploy: Bool) -> Value?
    ) -> Located<Value>? {
        let plain = fields[key].flatMap { node in
            value(node, fields.path(key), false).map { Located(value: $0, node: node, path: fields.path(key)) }
        }
        let fromDeploy = deploy.flatMap { deploy in
            deploy[deployKey].flatMap { node in
                value(node, deploy.path(deployKey), true).map { Located(value: $0, node: node, path: deploy.path(deployKey)) }
            }
        }
        if let plain, let fromDeploy, plain.value != fromDeploy.value {
            let shortPath = fromDeploy.path.split(separator: ".").dropFirst(2).joined(separator: ".")
            log.error(.conflictingValues(key, shortPath), at: fromDeploy.node.location, path: fromDeploy.path)
        }
        return fromDeploy ?? plain
    }

    /// Cores as a decimal number; Docker's finest grain is 0.01 CPU.
    private func cpus(_ node: Node, _ path: String) -> Double? {
        guard let value = read.number(node, path) else { return nil }
        if value < 0 || (value > 0 && value < 0.01) {
            log.error(.outOfRange(ComposeNumber.format(value), range: "0.01 or more, or 0 for no limit"),
                      at: node.location, path: path)
            return nil
        }
        return value
    }

    /// Docker's weight scale; 0 leaves it unset.
    private func cpuShares(_ node: Node, _ path: String) -> Int? {
        guard let shares = read.integer(node, path), shares != 0 else { return nil }
        guard (2...262_144).contains(shares) else {
            log.error(.outOfRange(String(shares), range: "2 to 262144"), at: node.location, path: path)
            return nil
        }
        return shares
    }

    /// `memswap_limit`: memory plus swap. `-1` lifts the swap limit, `0` leaves it unset.
    private func swapLimit(_ node: Node, _ path: String, memoryLimit: Int64?) -> Resources.SwapLimit? {
        guard let text = read.numberOrString(node, path) else { return nil }
        switch text.trimmingSpaces {
        case "0": return nil
        case "-1":
            if memoryLimit == nil { log.error(.swapWithoutMemory, at: node.location, path: path) }
            return .unlimited
        default:
            guard let bytes = ByteCount.parse(text) else {
                log.error(.invalidValue(text, expected: .byteValue), at: node.location, path: path)
                return nil
            }
            guard let memoryLimit else {
                log.error(.swapWithoutMemory, at: node.location, path: path)
                return nil
            }
            guard bytes >= memoryLimit else {
                log.error(.swapBelowMemory(swap: ByteCount.format(bytes), memory: ByteCount.format(memoryLimit)),
                          at: node.location, path: path)
                return nil
            }
            return .bytes(bytes)
        }
    }
}
