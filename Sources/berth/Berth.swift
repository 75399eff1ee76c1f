import ArgumentParser
import Supervisor

/// berth: runs a small server's stack from a compose file, with limits that are enforced.
@main
struct Berth: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "berth",
        abstract: "A resource-budgeted supervisor for compose-style stacks.",
        discussion: """
            berth reads compose files (compose.yaml, berth.yml, ...) and runs each service as a host \
            process in its own cgroup, with the limits the file sets.
            """,
        version: "0.1.0",
        subcommands: [UpCommand.self, PsCommand.self, LogsCommand.self, StopCommand.self, StartCommand.self,
                      RestartCommand.self, DeployCommand.self, RollbackCommand.self, EventsCommand.self, DownCommand.self, ConfigCommand.self, BudgetCommand.self]
    )

    /// Parses the arguments glibc gave the process (as PID 1 there is no /proc for the Swift
    /// runtime to read them from), and as PID 1 never exits: an error powers the machine off.
    static func main() {
        let arguments = PIDOne.arguments
        guard PIDOne.isPID1 else { return main(arguments) }
        do {
            var command = try parseAsRoot(arguments)
            try command.run()
        } catch {
            Terminal.printError(fullMessage(for: error))
        }
        PIDOne.powerOff()
    }
}
