import Foundation
import Testing
import Supervisor

@Suite("ExecutableResolver")
struct ExecutableResolverTests {
    /// root/
    ///   first/tool (0755)  first/plain (0644)  first/dir/  first/shadowed (0644)
    ///   second/tool (0755) second/shadowed (0755) second/dir (0755)
    ///   app/run (0755)     app/data (0644)      app/sub/
    final class Tree {
        let root: String
        init() throws {
            var template = Array("/tmp/berth-resolve-XXXXXX".utf8CString)
            let made = try #require(mkdtemp(&template))
            root = URL(fileURLWithPath: String(cString: made)).resolvingSymlinksInPath().path
            for directory in ["first", "first/dir", "second", "app", "app/sub"] {
                try FileManager.default.createDirectory(atPath: root + "/" + directory, withIntermediateDirectories: true)
            }
            for (file, mode) in [
                ("first/tool", 0o755), ("first/plain", 0o644), ("first/shadowed", 0o644),
                ("second/tool", 0o755), ("second/shadowed", 0o755), ("second/dir", 0o755),
                ("app/run", 0o755), ("app/data", 0o644),
            ] {
                let path = root + "/" + file
                try "#!/bin/sh\n".write(toFile: path, atomically: false, encoding: .utf8)
                chmod(path, mode_t(mode))
            }
        }
        var path: String { "\(root)/first:\(root)/second" }
        deinit { try? FileManager.default.removeItem(atPath: root) }
    }

    @Test func firstMatchInPathWins() throws {
        let tree = try Tree()
        #expect(ExecutableResolver.resolve("tool", path: tree.path, workingDirectory: "/") == .success(tree.root + "/first/tool"))
    }

    @Test func nonExecutableAndDirectoryCandidatesAreSkipped() throws {
        let tree = try Tree()
        #expect(ExecutableResolver.resolve("shadowed", path: tree.path, workingDirectory: "/")
            == .success(tree.root + "/second/shadowed"))
        #expect(ExecutableResolver.resolve("dir", path: tree.path, workingDirectory: "/")
            == .success(tree.root + "/second/dir"))
    }

    @Test func onlyNonExecutableFoundIsPermissionDenied() throws {
        let tree = try Tree()
        let result = ExecutableResolver.resolve("plain", path: tree.path, workingDirectory: "/")
        #expect(result == .failure(.permissionDenied(path: tree.root + "/first/plain")))
    }

    @Test func missingFromPath() throws {
        let tree = try Tree()
        let result = ExecutableResolver.resolve("gunicorn", path: tree.path, workingDirectory: "/")
        #expect(result == .failure(.notFoundInPath(program: "gunicorn")))
        #expect(result.failureText == #""gunicorn": executable file not found in $PATH"#)
    }

    @Test func emptyAndRelativePathEntriesAreSkipped() throws {
        let tree = try Tree()
        // "run" exists in <root>/app, reachable only through the relative entry "app" (or ".").
        #expect(ExecutableResolver.resolve("run", path: ":app:.", workingDirectory: tree.root)
            == .failure(.notFoundInPath(program: "run")))
    }

    @Test func defaultPathWhenNil() {
        #expect(ExecutableResolver.resolve("sh", path: nil, workingDirectory: "/") == .success("/usr/bin/sh"))
        #expect(ExecutableResolver.defaultPath == "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")
    }

    @Test func emptyPathFindsNothing() {
        #expect(ExecutableResolver.resolve("sh", path: "", workingDirectory: "/") == .failure(.notFoundInPath(program: "sh")))
    }

    @Test func programWithSlashIsRelativeToWorkingDirectoryAndNotSearched() throws {
        let tree = try Tree()
        let app = tree.root + "/app"
        #expect(ExecutableResolver.resolve("./run", path: tree.path, workingDirectory: app) == .success(app + "/run"))
        #expect(ExecutableResolver.resolve("app/run", path: "/nonexistent", workingDirectory: tree.root)
            == .success(app + "/run"))
        #expect(ExecutableResolver.resolve(".././/run", path: nil, workingDirectory: app + "/sub/")
            == .success(app + "/sub/../run"))
        // "first/tool" exists under PATH's first entry but is not searched for.
        #expect(ExecutableResolver.resolve("first/tool", path: tree.root, workingDirectory: app)
            == .failure(.noSuchFile(path: app + "/first/tool")))
    }

    @Test func absoluteProgram() throws {
        let tree = try Tree()
        #expect(ExecutableResolver.resolve(tree.root + "/app/run", path: nil, workingDirectory: "/srv")
            == .success(tree.root + "/app/run"))
        #expect(ExecutableResolver.resolve("/bin/sh", path: "", workingDirectory: "/") == .success("/bin/sh"))
    }

    @Test func directProgramErrors() throws {
        let tree = try Tree()
        let app = tree.root + "/app"
        let directory = ExecutableResolver.resolve("./sub", path: nil, workingDirectory: app)
        #expect(directory == .failure(.isDirectory(path: app + "/sub")))
        #expect(directory.failureText == "\"\(app)/sub\": is a directory")

        let denied = ExecutableResolver.resolve("./data", path: nil, workingDirectory: app)
        #expect(denied == .failure(.permissionDenied(path: app + "/data")))
        #expect(denied.failureText == "\"\(app)/data\": permission denied")

        let missing = ExecutableResolver.resolve("./nope", path: nil, workingDirectory: app)
        #expect(missing == .failure(.noSuchFile(path: app + "/nope")))
        #expect(missing.failureText == "\"\(app)/nope\": no such file or directory")

        #expect(ExecutableResolver.resolve("/dev/null", path: nil, workingDirectory: "/")
            == .failure(.permissionDenied(path: "/dev/null")))
        #expect(ExecutableResolver.resolve("", path: nil, workingDirectory: "/") == .failure(.noSuchFile(path: "")))
    }

    @Test func reasonsAreTheDocumentedTexts() {
        #expect(ResolveError.notFoundInPath(program: "x").reason == "executable file not found in $PATH")
        #expect(ResolveError.isDirectory(path: "/x").reason == "is a directory")
        #expect(ResolveError.permissionDenied(path: "/x").reason == "permission denied")
        #expect(ResolveError.noSuchFile(path: "/x").reason == "no such file or directory")
    }
}

extension Result where Failure == ResolveError {
    var failureText: String? {
        if case .failure(let error) = self { return error.description }
        return nil
    }
}
