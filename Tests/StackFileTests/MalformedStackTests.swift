import Foundation
import Testing
@testable import StackFile

/// Every file in `Malformed/` is a stack with mistakes in it. Its trailing `# expect:` lines
/// are the errors berth must report for it — all of them, each with its line, column, key and
/// message — and nothing else.
@Suite struct MalformedStackTests {
    static let directory = projectRoot + "/Tests/StackFileTests/Malformed"

    static var files: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).filter { $0.hasSuffix(".yml") }.sorted()
    }

    @Test func theCorpusIsLarge() {
        #expect(Self.files.count >= 40)
    }

    @Test(arguments: files)
    func reportsExactlyTheExpectedErrors(file: String) throws {
        let text = try String(contentsOfFile: Self.directory + "/" + file, encoding: .utf8)
        let expected = text.split(separator: "\n").filter { $0.hasPrefix("# expect: ") }
            .map { "\(file):" + $0.dropFirst("# expect: ".count) }
        #expect(!expected.isEmpty, "\(file) has no # expect: lines")

        do {
            _ = try StackLoader.load(LoadOptions(files: [file], workingDirectory: Self.directory, environment: [:]))
            Issue.record("\(file) loaded without errors")
        } catch {
            #expect(error.errors.map(\.description) == expected)
        }
    }
}
