import ArgumentParser
import Budget
import Confinement
import Control
import Foundation
import StackFile

/// `berth budget`: does the stack fit this machine, or the machine a profile describes? With a
/// running supervisor, also what each service uses now, and over `--since` from the samples.
struct BudgetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "budget",
        abstract: "Check the stack's limits and reservations against the host; with a running berth, live usage too.",
        discussion: """
            Exits 0 when the reservations fit what the host can allocate, 3 when they do not. When a berth runs \
            the stack, the report adds live columns (memory now and peak, OOM kills, CPU and throttling, pids, \
            pressure); --since adds averages and peaks over that much sampled history; --watch redraws like top.
            """
    )

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case table, json, prometheus
    }

    @OptionGroup var stack: StackOptions

    @Option(name: .customLong("host"), help: ArgumentHelp("A host profile (cgroups/NAME.yml) instead of this machine.", valueName: "file"))
    var hostProfile: String?

    @Option(help: "Output format.")
    var format: Format = .table

    @Option(name: .customLong("run-dir"), help: ArgumentHelp("Where the running berth's control socket is.", valueName: "dir"))
    var runDirectory: String?

    @Option(help: ArgumentHelp("Add averages and peaks over this much sampled history (needs a running berth).", valueName: "duration"))
    var since: String?

    @Flag(help: "Redraw the report every --interval, like top (needs a running berth; table format).")
    var watch = false

    @Option(help: ArgumentHelp("How often --watch redraws.", valueName: "duration"))
    var interval: String = "2s"

    @Flag(name: .customLong("static"), help: "Only the static report, even when a berth runs the stack.")
    var staticOnly = false

    @Argument(help: "Only these services and what they depend on.")
    var selected: [String] = []

    func validate() throws {
        if watch, format != .table { throw ValidationError("--watch redraws the table; it cannot be used with --format \(format.rawValue)") }
        if staticOnly, watch || since != nil { throw ValidationError("--static cannot be used with --watch or --since") }
    }

    func run() throws {
        let window = try since.map { try Self.seconds($0, option: "--since") }
        let refresh = try Self.seconds(interval, option: "--interval")
        let loaded = try stack.load(services: selected, checks: ConfinementPlanner(checksUsers: false))
        let host = try self.host(for: loaded.stack)
        let report = BudgetReport(stack: loaded.stack, host: host)
        let client = ControlOptions.client(project: loaded.stack.name, runDirectory: runDirectory)
        let needsLive = watch || window != nil

        func withLive() throws -> BudgetReport {
            var live = report
            guard !staticOnly else { return live }
            do {
                let (status, budget) = try client.liveStatus(window: window)
                // During a deploy both colours run: the new one counts as a service of its own.
                let instances = status.services.filter { $0.instanceOf != nil }
                if !instances.isEmpty {
                    var both = loaded.stack
                    for instance in instances {
                        guard let owner = instance.instanceOf, var second = both[owner] else { continue }
                        second.name = instance.name
                        second.dependencies = []
                        second.resources.memoryLimit = instance.limits.memoryBytes
                        second.resources.memoryReservation = instance.limits.memoryReservationBytes
                        second.resources.cpuLimit = instance.limits.cpus
                        second.resources.pidsLimit = instance.limits.pids
                        both.services.append(second)
                    }
                    live = BudgetReport(stack: both, host: host)
                }
                live.attach(budget)
            } catch {
                if case .noSupervisor = error, !needsLive { return live }
                Terminal.printError("error: \(error)")
                throw ExitCode.notRunning
            }
            return live
        }

        guard watch else {
            let shown = try withLive()
            switch format {
            case .table: Terminal.print(shown.table)
            case .json: Terminal.print(shown.json)
            case .prometheus: Terminal.print(shown.prometheus)
            }
            if !shown.fits { throw ExitCode.doesNotFit }
            return
        }
        // Like top: clear once, then home the cursor, draw, and clear what the previous frame
        // left to the right and below.
        Terminal.endOnInterrupt()
        Terminal.print("\u{1B}[2J")
        while true {
            let shown = try withLive()
            Terminal.print("\u{1B}[H" + shown.table.replacingOccurrences(of: "\n", with: "\u{1B}[K\n") + "\u{1B}[J")
            Thread.sleep(forTimeInterval: refresh)
        }
    }

    static func seconds(_ text: String, option: String) throws -> Double {
        guard let duration = ComposeDuration.parse(text), duration > .zero else {
            Terminal.printError("error: \(option): \"\(text)\" is not a duration (examples: 10s, 1h30m)")
            throw ExitCode.invalidStack
        }
        let parts = duration.components
        return Double(parts.seconds) + Double(parts.attoseconds) / 1e18
    }

    private func host(for stack: Stack) throws -> Machine {
        try Self.machine(for: stack, profile: hostProfile)
    }

    /// `--host`, else the stack's `x-berth.host`, else what this machine has.
    static func machine(for stack: Stack, profile: String?) throws -> Machine {
        let cwd = FileManager.default.currentDirectoryPath
        let path = profile.map { $0.hasPrefix("/") ? $0 : cwd + "/" + $0 } ?? stack.hostProfile
        guard let path else { return HostResources.detect() }
        let shown = profile ?? FilePath.display(path, relativeTo: cwd)
        do {
            return Machine(profile: try HostProfile.load(path: path, displayName: shown), source: shown)
        } catch {
            Terminal.report(error.diagnostics)
            throw ExitCode.invalidStack
        }
    }
}
