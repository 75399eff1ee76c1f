import ArgumentParser

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
        subcommands: [UpCommand.self, ConfigCommand.self, BudgetCommand.self]
    )
}
