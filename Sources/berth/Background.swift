import CLinux
import Foundation
import Glibc
import Supervisor

/// `up --wait`: the supervisor goes on in the background; the command returns with a summary
/// once the stack is ready, has failed, or the wait timed out.
enum Background {
    enum Side {
        /// The background supervisor: write the readiness report here.
        case supervisor(report: Int32)
        /// The command the user ran: read the report from here.
        case waiter(reader: Int32)
    }

    /// Forks. The child becomes the background supervisor, in a new session with its output in
    /// `logFile`; the parent waits for its report.
    static func detach(logFile: String) -> Side {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else {
            Terminal.printError("error: cannot run in the background: \(String(cString: strerror(errno)))")
            exit(1)
        }
        try? FileManager.default.createDirectory(atPath: (logFile as NSString).deletingLastPathComponent,
                                                 withIntermediateDirectories: true)
        let pid = fork()
        if pid > 0 {
            close(fds[1])
            return .waiter(reader: fds[0])
        }
        if pid < 0 {
            Terminal.printError("error: cannot run in the background: \(String(cString: strerror(errno)))")
            exit(1)
        }
        close(fds[0])
        setsid()
        let null = open("/dev/null", O_RDONLY)
        let log = open(logFile, O_WRONLY | O_CREAT | O_APPEND, 0o640)
        dup2(null, STDIN_FILENO)
        dup2(log >= 0 ? log : null, STDOUT_FILENO)
        dup2(log >= 0 ? log : null, STDERR_FILENO)
        // Keep nothing else the caller gave us: a parent waiting for the end of a descriptor
        // it handed down (a pipe, a socket) would otherwise wait as long as the stack runs.
        dup2(fds[1], 3)
        clinux_close_from(4)
        return .supervisor(report: 3)
    }

    /// Reads the background supervisor's report and prints it as a table; the exit code.
    static func waitForReport(from reportReader: Int32, stack: String) -> Int32 {
        var data: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = read(reportReader, &buffer, buffer.count)
            if count < 0, errno == EINTR { continue }
            guard count > 0 else { break }
            data.append(contentsOf: buffer[0..<count])
        }
        let lines = String(decoding: data, as: UTF8.self).split(separator: "\n").map { $0.split(separator: "\t", omittingEmptySubsequences: false).map(String.init) }
        guard let head = lines.first, head.count == 3 else {
            Terminal.printError("error: the stack did not start (see the log in the state directory)")
            return 1
        }
        let (verdict, pid, state) = (head[0], head[1], head[2])
        let rows = lines.dropFirst().filter { $0.count == 4 }
        let width = max(7, rows.map(\.[0].count).max() ?? 0)
        var table = "SERVICE" + String(repeating: " ", count: width - 7) + "  STATE / HEALTH\n"
        for row in rows {
            table += row[0] + String(repeating: " ", count: width - row[0].count) + "  " + row[1]
                + (row[2] == "-" ? "" : ", \(row[2])") + (row[3] == "ok" ? "" : "  <- not ready") + "\n"
        }
        Terminal.print(table)
        let notReady = rows.filter { $0[3] != "ok" }.map(\.[0])
        switch verdict {
        case "ready":
            Terminal.print("stack \(stack) is up: berth runs in the background (pid \(pid)); state and logs in \(state); "
                + "stop it with berth down\n")
            return 0
        case "timeout":
            Terminal.printError("error: not ready in time: \(notReady.joined(separator: ", ")) (berth keeps running, pid \(pid))")
        case "failed":
            Terminal.printError("error: not ready: \(notReady.joined(separator: ", ")) (berth keeps running, pid \(pid))")
        default:
            Terminal.printError("error: the stack stopped before it was ready: \(notReady.joined(separator: ", "))")
        }
        return 1
    }
}
