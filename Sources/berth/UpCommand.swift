import ArgumentParser
import Budget
import Confinement
import Control
import Deploy
import Foundation
import Glibc
import StackFile
import Supervisor

/// `berth up`: run the stack in the foreground.
struct UpCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "up",
        abstract: "Run the stack in the foreground, as a command, under systemd, or as PID 1.",
        discussion: """
            Services start in dependency order, each in its own cgroup v2 leaf with the stack's limits, \
            and are restarted by their restart policies. SIGTERM or Ctrl-C stops them in reverse order; a \
            second Ctrl-C kills them at once. Exits 0 when stopped or when every service exited 0, else 1.
            """
    )

    @OptionGroup var stack: StackOptions

    @Option(name: .customLong("state-dir"), help: ArgumentHelp("Where the history and logs go (default: /var/lib/berth/<project> for root).", valueName: "dir"))
    var stateDirectory: String?

    @Option(name: .customLong("run-dir"), help: ArgumentHelp("Where the control socket goes (default: /run/berth/<project> for root).", valueName: "dir"))
    var runDirectory: String?

    @Flag(name: .customLong("allow-unenforced"), help: "Run even when this host cannot enforce some limits; each is reported and recorded as not enforced.")
    var allowUnenforced = false

    @Flag(inversion: .prefixedNo, help: "Print services' output with a `service |` prefix (default: when attached to a terminal).")
    var attach: Bool?

    @Flag(name: .customLong("no-color"), help: "Do not colour the output.")
    var noColor = false

    @Flag(help: "Run in the background; return once every service is running and healthy (or has completed), with a summary. Exits 1, naming the services, when they are not.")
    var wait = false

    @Option(name: .customLong("wait-timeout"), help: ArgumentHelp("How long --wait waits (default 60s).", valueName: "duration"))
    var waitTimeout: String?

    @Option(name: .customLong("metrics-listen"), help: ArgumentHelp("Serve Prometheus metrics at http://ADDR:PORT/metrics.", valueName: "addr:port"))
    var metricsListen: String?

    @Option(name: .customLong("sample-interval"), help: ArgumentHelp("How often to sample each service's usage into the history (default 10s).", valueName: "duration"))
    var sampleInterval: String = "10s"

    @Option(name: .customLong("sample-retention"), help: ArgumentHelp("How long samples are kept (default 24h).", valueName: "duration"))
    var sampleRetention: String = "24h"

    @Argument(help: "Only these services and what they depend on.")
    var selected: [String] = []

    func validate() throws {
        for (option, text) in [("--sample-interval", sampleInterval), ("--sample-retention", sampleRetention)] {
            guard let duration = ComposeDuration.parse(text), duration >= .seconds(1) else {
                throw ValidationError("\(option): \"\(text)\" is not a duration of at least 1s (examples: 10s, 24h)")
            }
        }
        if let metricsListen, HostPort(metricsListen) == nil {
            throw ValidationError("--metrics-listen: \"\(metricsListen)\" is not ADDR:PORT (example: 127.0.0.1:9464)")
        }
    }

    func run() throws {
        let isPID1 = PIDOne.isPID1
        if isPID1 { PIDOne.mountSystemFilesystems() }
        let code = runStack(isPID1: isPID1)
        if isPID1 { PIDOne.powerOff() }
        if code != 0 { throw ExitCode(code) }
    }

    private func runStack(isPID1: Bool) -> Int32 {
        // Users and seccomp profiles are checked as the stack loads (their problems are
        // reported at their keys); the same planner then compiles each filter once.
        let planner = ConfinementPlanner()
        let loaded: LoadedStack
        do {
            loaded = try stack.load(services: selected, checks: planner)
        } catch {
            return ExitCode.invalidStack.rawValue
        }
        let environment = ProcessInfo.processInfo.environment
        let state = stateDirectory.map { StateDirectory(path: FilePath.join(FileManager.default.currentDirectoryPath, $0)) }
            ?? StateDirectory.default(project: loaded.stack.name, environment: environment)
        // Blue-green services run the spec deployed last, in the colour that served.
        let deployed = SpecStore(stateDirectory: state.path, project: loaded.stack.name).apply(to: loaded.stack)
        for warning in deployed.warnings { Terminal.printError("warning: \(warning)") }
        let terminal = isatty(STDOUT_FILENO) != 0 && !wait
        var options = Supervisor.Options(
            stateDirectory: state, allowUnenforced: allowUnenforced, echoServiceOutput: attach ?? terminal,
            color: terminal && !noColor && environment["NO_COLOR"] == nil, isPID1: isPID1, environment: environment,
            confinement: planner
        )
        options.liveColors = deployed.colors
        options.sampling = SamplingPolicy(interval: ComposeDuration.parse(sampleInterval) ?? .seconds(10),
                                          retention: ComposeDuration.parse(sampleRetention) ?? .seconds(86_400))
        var metricsReport: BudgetReport?
        if metricsListen != nil {
            guard let host = try? BudgetCommand.machine(for: loaded.stack, profile: nil) else { return ExitCode.invalidStack.rawValue }
            metricsReport = BudgetReport(stack: loaded.stack, host: host)
        }
        if wait {
            guard let timeout = ComposeDuration.parse(waitTimeout ?? "60s") else {
                Terminal.printError("error: --wait-timeout: \"\(waitTimeout ?? "")\" is not a duration (examples: 30s, 2m)")
                return ExitCode.invalidStack.rawValue
            }
            options.waitTimeout = timeout
            switch Background.detach(logFile: state.path + "/berth.log") {
            case let .waiter(reader): return Background.waitForReport(from: reader, stack: loaded.stack.name)
            case let .supervisor(report): options.waitReport = report
            }
        }
        let run = runDirectory.map { RunDirectory(path: FilePath.join(FileManager.default.currentDirectoryPath, $0)) }
            ?? RunDirectory.default(project: loaded.stack.name, environment: environment)
        do {
            let supervisor = try Supervisor.prepare(deployed.stack, options: options)
            // The proxies' upstream files, before any proxy starts (and under the state lock).
            do throws(DeployFailure) {
                try UpstreamFile.renderAll(stack: deployed.stack, colors: deployed.colors)
            } catch {
                supervisor.abandon(reason: "cannot write an upstream file: \(error)")
                Terminal.printError("error: nothing was started: cannot write an upstream file: \(error)")
                return 1
            }
            let desk = DeployDesk(context: Deployer.Context(
                handle: supervisor.handle, history: supervisor.history, stateDirectory: state.path,
                project: loaded.stack.name, machine: try? BudgetCommand.machine(for: loaded.stack, profile: nil)))
            // After prepare: the servers' threads must start with the supervisor's signals blocked.
            let server: ControlServer
            do {
                try FileManager.default.createDirectory(atPath: run.path, withIntermediateDirectories: true)
                server = try ControlServer.start(socketPath: run.socket, handle: supervisor.handle, history: supervisor.history,
                                                 deploys: desk)
            } catch {
                let reason = "cannot open the control socket \(run.socket): \(error)"
                supervisor.abandon(reason: reason)
                Terminal.printError("error: nothing was started: \(reason) (choose another place with --run-dir)")
                return 1
            }
            defer { server.close() }
            var metrics: MetricsServer?
            if let metricsListen, let address = HostPort(metricsListen), let metricsReport {
                do {
                    metrics = try MetricsServer.start(host: address.host, port: address.port, report: metricsReport,
                                                      handle: supervisor.handle)
                } catch {
                    let reason = "cannot listen on \(metricsListen) for --metrics-listen: \(error)"
                    supervisor.abandon(reason: reason)
                    Terminal.printError("error: nothing was started: \(reason)")
                    return 1
                }
            }
            defer { metrics?.close() }
            return supervisor.run()
        } catch {
            Terminal.printError("error: nothing was started:\n" + error.description.split(separator: "\n").map { "  " + $0 }.joined(separator: "\n"))
            return 1
        }
    }
}
