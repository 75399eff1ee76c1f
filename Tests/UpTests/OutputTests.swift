import Foundation
import Glibc
import StateStore
import Testing

/// Services' output: log files, rotation, and the attached terminal.
@Suite("berth up: output")
struct OutputTests {
    /// `2026-11-22T15:04:05.123Z out <text>`.
    static var logLine: Regex<(Substring, Substring, Substring, Substring)> { #/^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3})Z (out|err) (.*)$/# }

    /// 9. Logs rotate by size: at most `max_files` files of at most `max_size`, newest in
    /// `svc.log`.
    @Test func logsRotateBySize() throws {
        // 300 KiB in 100-byte lines: 3072 lines numbered 0000...3071.
        let run = try StackRun("""
            services:
              svc:
                command: \(argv(example("logspam"), "--bytes", "300k", "--line-bytes", "100", "--hold"))
                x-berth:
                  logs:
                    max_size: 64k
                    max_files: 3
            """, name: "rotation")
        let directory = run.stateDirectory + "/logs"
        try run.waitUntil("the last line (3071) in svc.log", timeout: .seconds(20)) {
            run.log("svc").split(separator: "\n").last.map { $0.contains(" out 3071 ") } == true
        }
        // The writer may still be closing a file: wait until nothing changes any more.
        var last = ""
        try run.waitUntil("the log files to stop changing") {
            let files = (try FileManager.default.contentsOfDirectory(atPath: directory)).sorted()
            let sizes = try files.map { "\($0):\(try FileManager.default.attributesOfItem(atPath: directory + "/" + $0)[.size] ?? 0)" }
                .joined(separator: ",")
            defer { last = sizes }
            return sizes == last
        }

        let files = try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
        #expect(files == ["svc.log", "svc.log.1", "svc.log.2"])

        var sequences: [[Int]] = []
        for name in ["svc.log.2", "svc.log.1", "svc.log"] {
            let path = directory + "/" + name
            let size = try #require(try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int)
            // A line is 24 (time) + 5 (" out ") + 99 (text) + 1 bytes.
            #expect(size <= 64 * 1024 + 129, "\(name) is \(size) bytes")
            let text = try String(contentsOfFile: path, encoding: .utf8)
            var numbers: [Int] = []
            for line in text.split(separator: "\n") {
                guard let match = line.wholeMatch(of: Self.logLine) else {
                    Issue.record("\(name): not a log line: \(line)")
                    continue
                }
                #expect(match.2 == "out")
                let words = match.3.split(separator: " ")
                #expect(words.count == 2 && words[1].allSatisfy(\.isLowercase), "\(name): \(line)")
                if let number = words.first.flatMap({ Int($0) }) { numbers.append(number) }
            }
            #expect(!numbers.isEmpty, "\(name) is empty")
            sequences.append(numbers)
        }
        // Oldest in svc.log.2, newest in svc.log, nothing lost in between, ending with the last.
        let all = sequences.flatMap { $0 }
        #expect(all.last == 3071)
        #expect(all == Array((all.first ?? 0)...(all.last ?? 0)), "sequence numbers are not contiguous across the files")
        #expect((all.first ?? 0) > 0, "the oldest lines should have been dropped")
        #expect(sequences[2].min() ?? 0 > sequences[1].max() ?? 0)
        #expect(sequences[1].min() ?? 0 > sequences[0].max() ?? 0)

        run.signal(SIGTERM)
        #expect(try run.waitForExit() == 0)
    }

    /// 13. stdout and stderr land in the service's log as `out` and `err` lines; with `--attach`,
    /// berth prints them after a `service |` prefix.
    @Test func outputIsCapturedAndEchoedWhenAttached() throws {
        let run = try StackRun("""
            services:
              echoer:
                command: \(argv("/bin/sh", "-c", "echo hello-out; echo hello-err >&2; exec /bin/sleep 1000"))
            """, name: "capture")
        try run.waitUntil("both lines in echoer's log") {
            run.log("echoer").contains("hello-out") && run.log("echoer").contains("hello-err")
        }
        let lines = run.log("echoer").split(separator: "\n").compactMap { $0.wholeMatch(of: Self.logLine) }
        #expect(lines.contains { $0.2 == "out" && $0.3 == "hello-out" }, "\(run.log("echoer"))")
        #expect(lines.contains { $0.2 == "err" && $0.3 == "hello-err" }, "\(run.log("echoer"))")
        #expect(!run.stdout.contains("hello-out"), "without --attach, services' output stays off the terminal")
        run.signal(SIGTERM)
        #expect(try run.waitForExit() == 0)

        let attached = try run.launch(attach: true)
        try run.waitUntil("echoer's lines on berth's stdout") {
            attached.stdout.contains("echoer | hello-out\n") && attached.stdout.contains("echoer | hello-err\n")
        }
        #expect(attached.stdout.contains("berth  | "), "berth's own lines share the padded prefix:\n\(attached.tail())")
        run.signal(SIGTERM)
        #expect(try run.waitForExit() == 0)
        #expect(run.log("echoer").components(separatedBy: "hello-out").count - 1 == 2, "both runs appended to the log")
    }
}
