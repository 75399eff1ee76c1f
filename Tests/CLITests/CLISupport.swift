import Foundation
import Testing

/// The repository's root, found from this file's place in it.
let projectRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().path

/// The `berth` binary built for these tests: next to the test bundle.
let berthBinary: String = {
    let besideTests = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        .appendingPathComponent("berth").path
    return FileManager.default.isExecutableFile(atPath: besideTests) ? besideTests : projectRoot + "/.build/debug/berth"
}()

struct Outcome {
    var status: Int32
    var stdout: String
    var stderr: String
}

/// Runs `berth` with `arguments` in `directory`, with a small, fixed environment so that
/// output does not depend on who runs the tests.
func berth(_ arguments: [String], in directory: String = projectRoot, environment: [String: String] = [:]) throws -> Outcome {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: berthBinary)
    process.arguments = arguments
    process.currentDirectoryURL = URL(fileURLWithPath: directory)
    process.environment = ["PATH": "/usr/bin:/bin", "HOME": "/nonexistent"].merging(environment) { $1 }
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    // Read both pipes fully before waiting, so that a large output cannot block the child.
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    let errData = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return Outcome(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                   stderr: String(decoding: errData, as: UTF8.self))
}

/// Compares `text` with `Golden/<name>`, with the checkout's path written as `<root>`.
/// `BERTH_UPDATE_GOLDEN=1 swift test` rewrites the files instead.
func expectGolden(_ text: String, _ name: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
    let normalized = text.replacingOccurrences(of: projectRoot, with: "<root>")
    let path = projectRoot + "/Tests/CLITests/Golden/" + name
    if ProcessInfo.processInfo.environment["BERTH_UPDATE_GOLDEN"] == "1" {
        try normalized.write(toFile: path, atomically: true, encoding: .utf8)
        return
    }
    let expected = try String(contentsOfFile: path, encoding: .utf8)
    #expect(normalized == expected, "output differs from Golden/\(name)", sourceLocation: sourceLocation)
}

/// A scratch directory for one test's files.
final class Scratch {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("berth-cli-\(UUID())").path

    init() { try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true) }
    deinit { try? FileManager.default.removeItem(atPath: path) }

    func write(_ name: String, _ text: String) {
        _ = FileManager.default.createFile(atPath: path + "/" + name, contents: Data(text.utf8))
    }
}
