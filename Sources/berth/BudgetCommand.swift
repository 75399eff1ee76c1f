import ArgumentParser
import Budget
import Confinement
import Foundation
import StackFile

/// `berth budget`: does the stack fit this machine, or the machine a profile describes?
struct BudgetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "budget",
        abstract: "Check the stack's limits and reservations against the host.",
        discussion: "Exits 0 when the reservations fit what the host can allocate, 3 when they do not."
    )

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case table, json, prometheus
    }

    @OptionGroup var stack: StackOptions

    @Option(name: .customLong("host"), help: ArgumentHelp("A host profile (cgroups/NAME.yml) instead of this machine.", valueName: "file"))
    var hostProfile: String?

    @Option(help: "Output format.")
    var format: Format = .table

    @Argument(help: "Only these services and what they depend on.")
    var selected: [String] = []

    func run() throws {
        let loaded = try stack.load(services: selected)
        let host = try self.host(for: loaded.stack)
        let report = BudgetReport(stack: loaded.stack, host: host)
        switch format {
        case .table: Terminal.print(report.table)
        case .json: Terminal.print(report.json)
        case .prometheus: Terminal.print(report.prometheus)
        }
        if !report.fits { throw ExitCode.doesNotFit }
    }

    /// `--host`, else the stack's `x-berth.host`, else what this machine has.
    private func host(for stack: Stack) throws -> Machine {
        let cwd = FileManager.default.currentDirectoryPath
        let path = hostProfile.map { $0.hasPrefix("/") ? $0 : cwd + "/" + $0 } ?? stack.hostProfile
        guard let path else { return HostResources.detect() }
        let shown = hostProfile ?? FilePath.display(path, relativeTo: cwd)
        do {
            return Machine(profile: try HostProfile.load(path: path, displayName: shown), source: shown)
        } catch {
            Terminal.report(error.diagnostics)
            throw ExitCode.invalidStack
        }
    }
}
