import ArgumentParser
import Confinement
import StackFile

/// `berth config`: the stack as berth will run it.
struct ConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config",
        abstract: "Print the stack fully resolved: files merged, variables interpolated, every default explicit."
    )

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case yaml, json
    }

    @OptionGroup var stack: StackOptions

    @Option(help: "Output format.")
    var format: Format = .yaml

    @Flag(help: "Print only the service names, in the order they start.")
    var services = false

    @Argument(help: "Only these services and what they depend on.")
    var selected: [String] = []

    func run() throws {
        // Seccomp profiles are part of the stack and checked; users belong to the machine
        // that runs it, which need not be this one.
        let loaded = try stack.load(services: selected, checks: ConfinementPlanner(checksUsers: false))
        if services {
            Terminal.print(loaded.stack.startOrder.map { $0 + "\n" }.joined())
            return
        }
        let document = StackEncoder.encode(loaded.stack)
        switch format {
        case .yaml: Terminal.print(Emitter.yaml(document, escapingDollars: true))
        case .json: Terminal.print(Emitter.json(document, escapingDollars: true))
        }
    }
}
