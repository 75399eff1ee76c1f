import Foundation
import Glibc
import Testing

/// A limit the host cannot enforce stops `up` before anything starts, unless
/// `--allow-unenforced` says to run anyway (every other test here says so).
@Suite("berth up: limits this host cannot enforce")
struct UnenforcedLimitTests {
    /// The memory and cpu controllers are missing from the v2 hierarchy berth uses (the
    /// development machines: hybrid hosts). Elsewhere the VM suite proves enforcement instead.
    static let controllersMissing: Bool = {
        let controllers = (try? String(contentsOfFile: cgroupMount + "/cgroup.controllers", encoding: .utf8)) ?? ""
        let names = controllers.split(whereSeparator: \.isWhitespace)
        return !names.contains("memory") && !names.contains("cpu")
    }()

    @Test(.enabled(if: controllersMissing)) func upRefusesAndStartsNothing() throws {
        let run = try StackRun("""
            services:
              first:
                command: \(argv("/bin/sleep", "1000"))
              web:
                command: \(argv("/bin/touch", "started"))
                mem_limit: 64m
                cpus: 0.5
                depends_on: [first]
            """, name: "unenforced", start: false)
        try run.launch(arguments: ["up", "-f", run.stackFile, "-p", run.project, "--state-dir", run.stateDirectory,
                                   "--no-attach", "--no-color"])
        #expect(try run.waitForExit() == 1)
        #expect(run.stderr.contains("error: nothing was started:"), "\(run.stderr)")
        #expect(run.stderr.contains("web: memory limit 64m cannot be enforced: the memory controller is not available"),
                "\(run.stderr)")
        #expect(run.stderr.contains("web: CPU limit 0.5 cannot be enforced: the cpu controller is not available"),
                "\(run.stderr)")
        #expect(run.stderr.contains("use --allow-unenforced to run without it"), "\(run.stderr)")
        // Not even the service without limits: nothing half-started.
        #expect(!FileManager.default.fileExists(atPath: run.directory + "/started"))
        #expect(try run.runs("first").isEmpty && run.runs("web").isEmpty)
        let leaves = (try? FileManager.default.contentsOfDirectory(atPath: run.cgroupRoot)) ?? []
        #expect(!leaves.contains("first") && !leaves.contains("web"), "\(leaves)")
    }
}
