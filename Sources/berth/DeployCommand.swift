import ArgumentParser
import Control
import Deploy
import Dispatch
import Foundation
import Glibc
import StackFile

/// `berth deploy SERVICE`: a blue-green switch of a running service to a new spec.
struct DeployCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deploy",
        abstract: "Switch a blue-green service to a new spec behind its proxy, with no failed requests.",
        discussion: """
            The idle colour starts with the new spec (the service as the -f files define it, else the live \
            spec, with --set over its environment); once it is healthy berth rewrites the proxy's upstream \
            file, runs nginx -t, reloads nginx and checks that the proxy answers with the new colour. Then \
            the old colour is drained and stopped. Any failure before the drain rolls back: the old colour \
            never stopped serving. Ctrl-C rolls back too. Exits 0 when deployed, 1 when rolled back or refused.
            """
    )

    @OptionGroup var control: ControlOptions
    @Option(name: .customLong("set"), help: ArgumentHelp("An environment variable of the new spec; repeatable.", valueName: "KEY=VALUE"))
    var settings: [String] = []
    @Option(help: "Output format: a step list (table) or JSON lines.") var format: OutputFormat = .table
    @Argument(help: "The blue-green service to deploy.") var service: String

    func validate() throws {
        for setting in settings where !setting.contains("=") || setting.hasPrefix("=") {
            throw ValidationError("--set: \"\(setting)\" is not KEY=VALUE")
        }
    }

    func run() throws {
        var request = DeployRequest(service: service)
        for setting in settings {
            let parts = setting.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            request.set[String(parts[0])] = parts.count > 1 ? String(parts[1]) : ""
        }
        if !control.stack.file.isEmpty {
            let loaded: LoadedStack
            do { loaded = try control.stack.load() } catch { throw ExitCode.invalidStack }
            guard let spec = loaded.stack[service] else {
                Terminal.printError("error: the stack files define no service \"\(service)\"")
                throw ExitCode.invalidStack
            }
            request.spec = SpecStore.text(of: spec, project: loaded.stack.name).text
        }
        try DeployProgress.run(request, client: control.client(), format: format)
    }
}

/// `berth rollback SERVICE`: the same switch, to the spec before the live one.
struct RollbackCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rollback",
        abstract: "Switch a blue-green service back to its previous spec, through the same health-gated path as deploy."
    )

    @OptionGroup var control: ControlOptions
    @Option(help: "Output format: a step list (table) or JSON lines.") var format: OutputFormat = .table
    @Argument(help: "The blue-green service to roll back.") var service: String

    func run() throws {
        try DeployProgress.run(DeployRequest(service: service, rollback: true), client: control.client(), format: format)
    }
}

/// Shows a deploy as it happens, and turns Ctrl-C into a rollback.
enum DeployProgress {
    static func run(_ request: DeployRequest, client: ControlClient, format: OutputFormat) throws {
        // Ctrl-C asks the supervisor to roll back, and the progress goes on to the rollback's end.
        signal(SIGINT, SIG_IGN)
        signal(SIGTERM, SIG_IGN)
        let interrupts = [SIGINT, SIGTERM].map { number -> DispatchSourceSignal in
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                Terminal.printError("\ninterrupted: rolling back \(request.service)\n")
                try? client.cancelDeploy(request.service)
            }
            source.resume()
            return source
        }
        defer { interrupts.forEach { $0.cancel() } }
        let result = try talking { () throws(ControlClient.Failure) in
            try client.deploy(request) { event in
                switch format {
                case .json: Terminal.print(line(event) + "\n")
                case .table: Terminal.print(render(event))
                }
            }
        }
        if result.outcome != "deployed" { throw ExitCode(1) }
    }

    static func line(_ event: DeployEvent) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return (try? encoder.encode(event)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }

    /// A step list: each step once it ended, with its time; the rollback's actions; the result.
    static func render(_ event: DeployEvent) -> String {
        switch event.event {
        case "step":
            guard event.status != "started", let step = event.step else { return "" }
            let mark = event.status == "done" ? "ok  " : "FAIL"
            let time = event.milliseconds.map { String(format: "%7.2fs", Double($0) / 1000) } ?? ""
            let title = step.title.padding(toLength: 54, withPad: " ", startingAt: 0)
            return "\(mark) \(title) \(time)  \(event.detail ?? "")\n"
        case "rollback":
            return "     rollback: \(event.detail ?? "")\n"
        case "result":
            switch event.outcome {
            case "deployed":
                return "deployed: \(event.to ?? "?") serves (spec \(event.digest ?? "?"))"
                    + (event.switchMilliseconds.map { ", switch took \($0) ms" } ?? "") + "\n"
            case "rolled_back":
                return "rolled back: \(event.failedStep?.rawValue ?? "?") failed: \(event.reason ?? ""); \(event.from ?? "?") keeps serving\n"
            default:
                return "refused: \(event.reason ?? "")\n"
            }
        default:
            return ""
        }
    }
}
