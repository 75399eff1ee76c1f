import Confinement
import Glibc
import StackFile

extension Supervisor {
    // MARK: - Status

    /// The stack as it stands, with live counters from each leaf. Rates (CPU %, throttling)
    /// are taken over the time since the previous reading of the same leaf.
    func status() -> StackStatus {
        func row(_ runner: ServiceRunner, name: String) -> ServiceStatus {
            let resources = runner.service.resources
            var usage: ServiceStatus.Usage?
            if let leaf = runner.leaf {
                usage = readUsage(of: runner, leaf: leaf)
            }
            return ServiceStatus(
                name: name, state: Self.stateWord(runner.state), detail: runner.state.description,
                health: runner.healthDescription, pid: runner.state.pid, startedAt: runner.state.pid == nil ? nil : runner.startedAtWall,
                restarts: runner.lifecycle.tracker.restarts, lastExit: runner.lifecycle.lastExit?.description,
                stoppedByUser: userStopped.contains(name), notifyStatus: runner.statusText,
                limits: ServiceStatus.Limits(memoryBytes: resources.memoryLimit, memoryReservationBytes: resources.memoryReservation,
                                             cpus: resources.cpuLimit, pids: resources.pidsLimit,
                                             unenforced: runner.unenforced.map(\.description)),
                usage: usage,
                color: runner.color?.rawValue)
        }
        // During a deploy both instances are shown, and counted by the live budget: the new
        // one as its own row, `web-green`, right after the service.
        var services: [ServiceStatus] = []
        for runner in runners {
            var status = row(runner, name: runner.name)
            let slot = blueGreen.slots[runner.name]
            if let candidate = slot?.candidate, let color = candidate.color {
                status.deploying = "\(color.rawValue) \(Self.stateWord(candidate.state))"
            }
            services.append(status)
            for second in [slot?.candidate, slot?.retiring].compactMap({ $0 }) {
                guard let color = second.color else { continue }
                var extra = row(second, name: Self.instanceName(runner.name, color))
                extra.instanceOf = runner.name
                services.append(extra)
            }
        }
        return StackStatus(project: stack.name, pid: getpid(), stateDirectory: options.stateDirectory.path,
                           logDirectory: options.stateDirectory.logs, cgroupRoot: tree?.root,
                           startedAt: startedAt, services: services)
    }

    /// Reads a leaf's counters, keeping the reading as the base of later rates when the last
    /// one is at least a second old (the sampler's ticks keep a base there for `berth ps`).
    func readCounters(of runner: ServiceRunner, leaf: CgroupLeaf) -> CgroupUsage {
        let now = Instant.now
        let current = leaf.usage
        if runner.lastUsage.map({ now.since($0.time) >= .seconds(1) }) ?? true {
            runner.lastUsage = (now, current)
        }
        return current
    }

    func readUsage(of runner: ServiceRunner, leaf: CgroupLeaf) -> ServiceStatus.Usage {
        let now = Instant.now
        let current = leaf.usage
        var usage = ServiceStatus.Usage(
            memoryBytes: current.memoryCurrent, memoryPeakBytes: current.memoryPeak, oomKills: current.oomKills,
            cpuMicroseconds: current.cpuUsageMicroseconds, pids: current.pids,
            pressureCPU: current.pressureCPU, pressureMemory: current.pressureMemory, pressureIO: current.pressureIO)
        usage.periods = current.periods
        usage.throttledPeriods = current.throttledPeriods
        usage.throttledMicroseconds = current.throttledMicroseconds
        if let last = runner.lastUsage {
            let elapsed = Double(now.since(last.time).nanoseconds) / 1000
            if elapsed > 0, let before = last.usage.cpuUsageMicroseconds, let after = current.cpuUsageMicroseconds, after >= before {
                usage.cpuPercent = (Double(after - before) / elapsed * 1000).rounded() / 10
            }
            if let periods = current.periods, let before = last.usage.periods, periods > before,
               let throttled = current.throttledPeriods, let throttledBefore = last.usage.throttledPeriods {
                usage.throttledPercent = (Double(throttled - throttledBefore) / Double(periods - before) * 1000).rounded() / 10
            }
        }
        // Keep the older reading while the newer one would make a rate over too short a time.
        if runner.lastUsage.map({ now.since($0.time) >= .seconds(1) }) ?? true {
            runner.lastUsage = (now, current)
        }
        return usage
    }

    static func stateWord(_ state: ServiceLifecycle.State) -> String {
        switch state {
        case .waiting: return "waiting"
        case .starting: return "starting"
        case .running: return "running"
        case .stopping: return "stopping"
        case .cleaning, .backoff, .restarting: return "restarting"
        case .stopped: return "stopped"
        case .exited: return "exited"
        case .gaveUp: return "gave up"
        }
    }

    // MARK: - Commands

    func perform(_ command: ControlCommand, completion: @escaping @Sendable (Result<StackStatus, ControlError>) -> Void) {
        let names: [String]
        switch command {
        case let .stop(list), let .start(list), let .restart(list): names = list
        case .down: names = []
        }
        let unknown = names.filter { byName[$0] == nil }
        guard unknown.isEmpty else { return completion(.failure(.unknownServices(unknown))) }
        guard phase == .running else { return completion(.failure(.supervisorStopping)) }

        switch command {
        case .stop:
            // Dependents first: stopping a service stops what depends on it.
            let targets = closure(of: names, following: { self.dependents[$0] ?? [] })
            userStopped.formUnion(targets)
            stopTargets.formUnion(targets)
            environment.record(service: nil, kind: "command", detail: "stop " + names.joined(separator: " "))
            whenDone({ targets.allSatisfy { self.byName[$0]?.state.isFinal ?? true } }, completion)
            advanceUserStop()
        case .start:
            // What they depend on first: starting a service starts its dependencies.
            let targets = closure(of: names, following: { self.byName[$0]?.service.dependencies.map(\.service) ?? [] })
            environment.record(service: nil, kind: "command", detail: "start " + names.joined(separator: " "))
            for name in stack.startOrder where targets.contains(name) {
                guard let runner = byName[name] else { continue }
                // A dependency that ended on its own and did its job (a migration that
                // completed) is not run again; one stopped by the user or that failed is.
                if !names.contains(name), !userStopped.contains(name), runner.state.isFinal,
                   runner.lifecycle.lastExit?.isSuccess ?? false { continue }
                userStopped.remove(name)
                stopTargets.remove(name)
                failedToStart.remove(name)
                if runner.state.isFinal { runner.send(.restart) }
            }
            whenDone({ names.allSatisfy { self.byName[$0].map { $0.state.pid != nil && !$0.isWaitingToStart || $0.state.isFinal } ?? true } }, completion)
            startReadyServices()
        case .restart:
            environment.record(service: nil, kind: "command", detail: "restart " + names.joined(separator: " "))
            let before = Dictionary(uniqueKeysWithValues: names.compactMap { name in byName[name].map { (name, $0.starts) } })
            for name in names {
                userStopped.remove(name)
                stopTargets.remove(name)
                failedToStart.remove(name)
                byName[name]?.send(.restart)
            }
            whenDone({
                names.allSatisfy { name in
                    guard let runner = self.byName[name] else { return true }
                    return (runner.starts > before[name, default: 0] && runner.state.pid != nil) || runner.state.isFinal
                }
            }, completion)
            startReadyServices()
        case .down:
            downCompletions.append(completion)
            beginStop(reason: "berth down")
        }
        checkFinished()
    }

    /// Every service reachable from `names` by `next`, `names` included.
    private func closure(of names: [String], following next: (String) -> [String]) -> Set<String> {
        var found = Set(names)
        var queue = names
        while let name = queue.popLast() {
            for other in next(name) where found.insert(other).inserted { queue.append(other) }
        }
        return found
    }

    /// Runs `completion` with the stack's status as soon as `isDone` holds (checked after every change).
    private func whenDone(_ isDone: @escaping () -> Bool,
                          _ completion: @escaping @Sendable (Result<StackStatus, ControlError>) -> Void) {
        pendingCommands.append((isDone, { completion(.success(self.status())) }))
    }

    /// Completes the commands whose effect is there.
    func completeCommands() {
        var remaining: [(isDone: () -> Bool, complete: () -> Void)] = []
        for command in pendingCommands {
            if command.isDone() { command.complete() } else { remaining.append(command) }
        }
        pendingCommands = remaining
    }

    /// `berth stop`: each target gets its stop once what depends on it has stopped.
    func advanceUserStop() {
        for runner in runners.reversed() where stopTargets.contains(runner.name) {
            let waitingOn = (dependents[runner.name] ?? []).filter { byName[$0].map { !$0.state.isFinal } ?? false }
            guard waitingOn.isEmpty else { continue }
            stopTargets.remove(runner.name)
            // Sending a stop changes the service, which comes back here: the target is gone by then.
            if !runner.state.isFinal { runner.send(.stop) }
        }
    }

    func recordRefusal(_ detail: String) {
        environment.record(service: nil, kind: "refused", detail: detail)
    }
}
