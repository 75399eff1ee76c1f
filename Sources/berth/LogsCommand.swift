import ArgumentParser
import CLinux
import Control
import Foundation
import Glibc
import StackFile
import Supervisor

struct LogsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logs", abstract: "Show services' output from their log files; -f follows, across rotations.")

    @OptionGroup var control: LogsControlOptions
    @Flag(name: [.short, .customLong("follow")], help: "Keep printing new lines until the supervisor ends.")
    var follow = false
    @Option(help: ArgumentHelp("Only the last N lines of each service.", valueName: "N")) var tail: Int?
    @Option(help: ArgumentHelp("Only lines newer than this (a duration: 10m, 1h).", valueName: "duration")) var since: String?
    @Flag(name: [.short, .customLong("timestamps")], help: "Show each line's time (UTC).") var timestamps = false
    @Flag(name: .customLong("no-log-prefix"), help: "Do not prefix lines with the service name.") var noPrefix = false
    @Argument(help: "The services to show (default: all).") var services: [String] = []

    func run() throws {
        var sinceTime: Double?
        if let since {
            guard let duration = ComposeDuration.parse(since) else {
                Terminal.printError("error: --since: \"\(since)\" is not a duration (examples: 10m, 1h30m)")
                throw ExitCode.invalidStack
            }
            sinceTime = Date().timeIntervalSince1970 - Double(duration.components.seconds)
        }
        if let tail, tail < 0 {
            Terminal.printError("error: --tail: must be 0 or more")
            throw ExitCode.invalidStack
        }
        let client = try control.client()
        let status = try talking { () throws(ControlClient.Failure) in try client.status() }
        let known = status.services.map(\.name)
        let unknown = services.filter { !known.contains($0) }
        guard unknown.isEmpty else {
            Terminal.printError("error: no such service: " + unknown.map { "\"\($0)\"" }.joined(separator: ", ")
                + " (the stack has " + known.joined(separator: ", ") + ")")
            throw ExitCode.notRunning
        }
        let shown = services.isEmpty ? known : services
        let printer = LinePrinter(width: shown.map(\.count).max() ?? 0, timestamps: timestamps, prefix: !noPrefix)
        let reader = LogReader(directory: status.logDirectory, services: shown)
        printer.print(reader.read(.init(since: sinceTime, tail: tail)))
        guard follow else { return }
        Terminal.endOnInterrupt()

        let watch = DirectoryWatch(path: status.logDirectory)
        while true {
            let changed = watch.wait(milliseconds: 1000)
            printer.print(reader.poll())
            if !changed, (try? client.status()) == nil {
                printer.print(reader.poll())
                return
            }
        }
    }
}

/// `web | text`, names padded so the text lines up, the way `docker compose logs` prints.
struct LinePrinter {
    let width: Int
    let timestamps: Bool
    let prefix: Bool

    func print(_ lines: [LogLine]) {
        guard !lines.isEmpty else { return }
        Terminal.print(render(lines))
    }

    func render(_ lines: [LogLine]) -> String {
        var text = ""
        for line in lines {
            if prefix { text += line.service + String(repeating: " ", count: max(0, width - line.service.count)) + " | " }
            if timestamps, !line.timestamp.isEmpty { text += line.timestamp + " " }
            text += line.text + "\n"
        }
        return text
    }
}

/// Wakes `berth logs -f` when a file in the log directory is written, created or renamed.
final class DirectoryWatch {
    private let fd: Int32

    init(path: String) {
        fd = inotify_init1(Int32(IN_CLOEXEC))
        if fd >= 0 {
            _ = inotify_add_watch(fd, path, UInt32(IN_MODIFY | IN_CREATE | IN_MOVED_TO))
        }
    }

    deinit { if fd >= 0 { close(fd) } }

    /// True when something changed; false after `milliseconds` of quiet.
    func wait(milliseconds: Int32) -> Bool {
        guard fd >= 0 else {
            usleep(UInt32(milliseconds) * 1000)
            return true
        }
        var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&poller, 1, milliseconds) > 0 else { return false }
        var buffer = [UInt8](repeating: 0, count: 4096)
        _ = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        return true
    }
}
