import Foundation
import Testing
@testable import StackFile

/// The repository's root, found from this file's place in it.
let projectRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().path

/// A scratch directory holding the files of one test, removed when the test ends.
final class Scratch {
    let path: String

    init() {
        path = FileManager.default.temporaryDirectory
            .appendingPathComponent("berth-tests-\(UUID().uuidString)").path
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    /// Writes `text` to `name` (directories created as needed) and returns its absolute path.
    @discardableResult
    func write(_ name: String, _ text: String) -> String {
        let file = path + "/" + name
        try? FileManager.default.createDirectory(atPath: (file as NSString).deletingLastPathComponent,
                                                 withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: file, contents: Data(text.utf8))
        return file
    }

    /// Loads the stack in this directory (its default file, or `files`).
    func load(_ files: [String] = [], profiles: [String] = [], services: [String] = [], projectName: String? = nil,
              environment: [String: String] = [:], envFiles: [String]? = nil,
              ignoreUnsupported: Bool = false, in directory: String? = nil) throws(StackError) -> LoadedStack {
        try StackLoader.load(LoadOptions(
            files: files, workingDirectory: directory.map { path + "/" + $0 } ?? path, projectName: projectName,
            profiles: profiles, services: services, environment: environment, envFiles: envFiles,
            ignoreUnsupported: ignoreUnsupported
        ))
    }

    /// The stack in this directory, failing the test with its diagnostics if it does not load.
    func stack(_ files: [String] = [], profiles: [String] = [], services: [String] = [],
               environment: [String: String] = [:], sourceLocation: Testing.SourceLocation = #_sourceLocation) throws -> Stack {
        do {
            return try load(files, profiles: profiles, services: services, environment: environment).stack
        } catch {
            Issue.record("the stack did not load:\n\(error)", sourceLocation: sourceLocation)
            throw error
        }
    }

    /// The errors loading reports, as `FILE:LINE:COL: path: message` lines.
    func errors(_ files: [String] = [], profiles: [String] = [], services: [String] = [],
                environment: [String: String] = [:], ignoreUnsupported: Bool = false) -> [String] {
        do {
            _ = try load(files, profiles: profiles, services: services, environment: environment,
                         ignoreUnsupported: ignoreUnsupported)
            return []
        } catch {
            return error.errors.map(\.description)
        }
    }
}

/// A one-file stack with the given service definitions, written as YAML under `services:`.
func compose(_ services: String) -> String {
    "services:\n" + services.split(separator: "\n", omittingEmptySubsequences: false)
        .map { $0.isEmpty ? "" : "  " + $0 }.joined(separator: "\n") + "\n"
}
