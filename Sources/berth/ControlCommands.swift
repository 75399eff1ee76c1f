import ArgumentParser
import Control
import Foundation
import StackFile
import Supervisor

/// How the commands that talk to a running berth find it: the project name (from `-p`, or the
/// stack file), then its control socket.
struct ControlOptions: ParsableArguments {
    @OptionGroup var stack: StackOptions

    @Option(name: .customLong("run-dir"), help: ArgumentHelp("Where the control socket is (default: /run/berth/<project> for root).", valueName: "dir"))
    var runDirectory: String?

    func client() throws -> ControlClient {
        try ControlOptions.client(stack: stack, runDirectory: runDirectory)
    }

    static func client(stack: StackOptions, runDirectory: String?) throws -> ControlClient {
        let project = try stack.projectName ?? stack.load().stack.name
        return client(project: project, runDirectory: runDirectory)
    }

    /// `--run-dir`, else where a berth for `project` listens (the user's own run directory,
    /// then root's).
    static func client(project: String, runDirectory: String?) -> ControlClient {
        let run = runDirectory.map { RunDirectory(path: FilePath.join(FileManager.default.currentDirectoryPath, $0)) }
            ?? RunDirectory.locate(project: project, environment: ProcessInfo.processInfo.environment)
        return ControlClient(socketPath: run.socket)
    }
}

/// `ControlOptions` for `berth logs`, where `-f` means follow (as in `docker compose logs -f`),
/// so the stack file is given with `--file` only.
struct LogsControlOptions: ParsableArguments {
    @Option(name: .customLong("file"), help: ArgumentHelp("A stack file; repeatable.", valueName: "file"))
    var file: [String] = []

    @Option(name: [.customShort("p"), .customLong("project-name")], help: "Project name (default: name: in the file, else the directory's name).")
    var projectName: String?

    @Option(name: .customLong("env-file"), help: ArgumentHelp("Variables for interpolation, instead of .env in the project directory.", valueName: "file"))
    var envFiles: [String] = []

    @Option(name: .customLong("run-dir"), help: ArgumentHelp("Where the control socket is (default: /run/berth/<project> for root).", valueName: "dir"))
    var runDirectory: String?

    func client() throws -> ControlClient {
        var arguments = file.flatMap { ["--file", $0] } + envFiles.flatMap { ["--env-file", $0] }
        if let projectName { arguments += ["--project-name", projectName] }
        return try ControlOptions.client(stack: try StackOptions.parse(arguments), runDirectory: runDirectory)
    }
}

extension ExitCode {
    /// No supervisor runs the stack, or it refused the request.
    static let notRunning = ExitCode(1)
}

/// Runs `body`, turning the client's failures into a message and exit code 1.
func talking<Value>(_ body: () throws(ControlClient.Failure) -> Value) throws -> Value {
    do {
        return try body()
    } catch {
        Terminal.printError("error: \(error)")
        throw ExitCode.notRunning
    }
}

enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case table, json
}

func printJSON<Value: Encodable>(_ value: Value) {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
    if let data = try? encoder.encode(value) { Terminal.print(String(decoding: data, as: UTF8.self) + "\n") }
}

// MARK: - ps

struct PsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ps", abstract: "Show the services of a running stack: state, health, pid, uptime, restarts, usage.")

    @OptionGroup var control: ControlOptions
    @Option(help: "Output format.") var format: OutputFormat = .table

    func run() throws {
        let client = try control.client()
        let status = try talking { () throws(ControlClient.Failure) in try client.status() }
        switch format {
        case .json: printJSON(status)
        case .table: Terminal.print(StatusTable.render(status, now: Date().timeIntervalSince1970))
        }
    }
}

/// `berth ps` as a table.
enum StatusTable {
    static func render(_ status: StackStatus, now: Double) -> String {
        var rows: [[String]] = [["SERVICE", "STATE", "HEALTH", "PID", "UPTIME", "RESTARTS", "LAST EXIT", "MEMORY", "CPU", "PIDS"]]
        var unenforcedNote = false
        for service in status.services {
            let usage = service.usage
            let unenforced = Set(service.limits.unenforced.map { $0.split(separator: " ").first.map(String.init) ?? "" })
            func limit(_ text: String?, _ kind: String) -> String {
                guard let text else { return "" }
                if unenforced.contains(kind) { unenforcedNote = true; return "/" + text + "*" }
                return "/" + text
            }
            let memory = usage?.memoryBytes.map { Self.bytes($0) } ?? "-"
            let memoryLimit = limit(service.limits.memoryBytes.map(Self.bytes), "memory")
            let cpu = usage?.cpuPercent.map { String(format: "%.1f%%", $0) } ?? "-"
            let cpuLimit = limit(service.limits.cpus.map { ComposeNumber.format($0) }, "CPU")
            let pids = usage?.pids.map(String.init) ?? "-"
            let pidsLimit = limit(service.limits.pids.map(String.init), "pids")
            rows.append([
                service.instanceOf != nil ? "  " + service.name : service.color.map { "\(service.name) (\($0))" } ?? service.name,
                service.stoppedByUser && service.state == "stopped" ? "stopped (by user)" : service.state,
                service.health ?? "-",
                service.pid.map(String.init) ?? "-",
                service.startedAt.map { Self.duration(now - $0) } ?? "-",
                String(service.restarts),
                service.lastExit ?? "-",
                memory + memoryLimit,
                cpu + cpuLimit,
                pids + pidsLimit,
            ])
        }
        let widths = rows[0].indices.map { column in rows.map { $0[column].count }.max() ?? 0 }
        var text = rows.map { row in
            row.indices.map { row[$0] + String(repeating: " ", count: widths[$0] - row[$0].count) }
                .joined(separator: "  ").trimmingCharacters(in: .whitespaces)
        }.joined(separator: "\n") + "\n"
        if unenforcedNote { text += "* not enforced on this host\n" }
        return text
    }

    static func bytes(_ value: Int64) -> String {
        let units = ["B", "K", "M", "G", "T"]
        var amount = Double(value)
        var index = 0
        while amount >= 1024, index < units.count - 1 { amount /= 1024; index += 1 }
        return amount >= 100 || amount == amount.rounded() ? "\(Int(amount.rounded()))\(units[index])" : String(format: "%.1f%@", amount, units[index])
    }

    static func duration(_ seconds: Double) -> String {
        let total = max(0, Int(seconds))
        if total < 60 { return "\(total)s" }
        if total < 3600 { return "\(total / 60)m\(total % 60)s" }
        if total < 86_400 { return "\(total / 3600)h\(total % 3600 / 60)m" }
        return "\(total / 86_400)d\(total % 86_400 / 3600)h"
    }
}

// MARK: - stop, start, restart, down

struct StopCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stop", abstract: "Stop services (and what depends on them); they stay stopped until started.")
    @OptionGroup var control: ControlOptions
    @Argument(help: "The services to stop.") var services: [String]

    func run() throws {
        let client = try control.client()
        let status = try talking { () throws(ControlClient.Failure) in try client.perform("stop", services: services) }
        ServiceChange.report(status, changed: status.services.filter { $0.stoppedByUser }.map(\.name))
    }
}

struct StartCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "start", abstract: "Start stopped services (and what they depend on).")
    @OptionGroup var control: ControlOptions
    @Argument(help: "The services to start.") var services: [String]

    func run() throws {
        let client = try control.client()
        let status = try talking { () throws(ControlClient.Failure) in try client.perform("start", services: services) }
        ServiceChange.report(status, changed: services)
    }
}

struct RestartCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restart", abstract: "Restart services (dependents with depends_on restart: true follow).")
    @OptionGroup var control: ControlOptions
    @Argument(help: "The services to restart.") var services: [String]

    func run() throws {
        let client = try control.client()
        let status = try talking { () throws(ControlClient.Failure) in try client.perform("restart", services: services) }
        ServiceChange.report(status, changed: services)
    }
}

struct DownCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "down", abstract: "Stop every service in order and end the supervisor.")
    @OptionGroup var control: ControlOptions

    func run() throws {
        let client = try control.client()
        let status = try talking { () throws(ControlClient.Failure) in try client.down() }
        Terminal.print("stack \(status.project) is down\n")
    }
}

enum ServiceChange {
    static func report(_ status: StackStatus, changed names: [String]) {
        for service in status.services where names.contains(service.name) {
            Terminal.print("\(service.name): \(service.detail)\n")
        }
    }
}

// MARK: - events

struct EventsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "events", abstract: "Show the stack's history: starts, exits, restarts, health, commands.")
    @OptionGroup var control: ControlOptions
    @Option(help: ArgumentHelp("Only events newer than this (a duration: 10m, 1h).", valueName: "duration")) var since: String?
    @Option(help: ArgumentHelp("Only this service's events.", valueName: "service")) var service: String?
    @Option(help: "Output format.") var format: OutputFormat = .table

    func run() throws {
        var sinceTime: Double?
        if let since {
            guard let duration = ComposeDuration.parse(since) else {
                Terminal.printError("error: --since: \"\(since)\" is not a duration (examples: 10m, 1h30m)")
                throw ExitCode.invalidStack
            }
            sinceTime = Date().timeIntervalSince1970 - Double(duration.components.seconds)
        }
        let client = try control.client()
        let events = try talking { () throws(ControlClient.Failure) in try client.events(since: sinceTime, service: service) }
        switch format {
        case .json:
            printJSON(events)
        case .table:
            Terminal.print(EventTable.render(events))
        }
    }
}

/// `berth events` as a table: local time with milliseconds, who, what.
enum EventTable {
    static func render(_ events: [EventPayload], timeZone: TimeZone = .current) -> String {
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss.SSS"
        formatter.timeZone = timeZone
        formatter.locale = Locale(identifier: "en_US_POSIX")
        let width = max(5, events.map { ($0.service ?? "berth").count }.max() ?? 0)
        var text = ""
        for event in events {
            let who = event.service ?? "berth"
            text += formatter.string(from: Date(timeIntervalSince1970: event.time)) + "  "
                + who + String(repeating: " ", count: width - who.count) + "  " + event.kind
                + (event.detail.map { ": " + $0 } ?? "") + "\n"
        }
        return text
    }
}
