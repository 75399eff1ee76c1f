import Glibc

/// Why a program could not be turned into the absolute path of an executable file.
public enum ResolveError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A bare name (no "/") not found as an executable file in any directory of $PATH.
    case notFoundInPath(program: String)
    case isDirectory(path: String)
    /// Not executable, not a regular file, or a directory on the way cannot be searched.
    case permissionDenied(path: String)
    case noSuchFile(path: String)

    /// The reason alone, for example `executable file not found in $PATH`.
    public var reason: String {
        switch self {
        case .notFoundInPath: "executable file not found in $PATH"
        case .isDirectory: "is a directory"
        case .permissionDenied: "permission denied"
        case .noSuchFile: "no such file or directory"
        }
    }

    /// The program or path the error is about.
    public var subject: String {
        switch self {
        case .notFoundInPath(let program): program
        case .isDirectory(let path), .permissionDenied(let path), .noSuchFile(let path): path
        }
    }

    /// For example `"gunicorn": executable file not found in $PATH`.
    public var description: String { "\(quoted(subject)): \(reason)" }
}

/// Turns a service's program into the absolute path handed to execve, before the child exists,
/// so a typo is reported with a clear text instead of a failed exec.
public enum ExecutableResolver {
    /// Used when the service sets no PATH.
    public static let defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

    /// A program containing "/" is taken relative to `workingDirectory` (made absolute, not
    /// searched). A bare name is searched in each directory of `path` (the service's PATH, or
    /// `defaultPath` when nil); the first executable regular file wins. Empty and relative PATH
    /// entries are skipped: they would depend on the directory the lookup happens to run in.
    public static func resolve(_ program: String, path: String?, workingDirectory: String)
        -> Result<String, ResolveError>
    {
        if program.isEmpty { return .failure(.noSuchFile(path: program)) }
        if program.contains("/") {
            let absolute = makeAbsolute(program, relativeTo: workingDirectory)
            switch classify(absolute) {
            case .executable: return .success(absolute)
            case .directory: return .failure(.isDirectory(path: absolute))
            case .notExecutable: return .failure(.permissionDenied(path: absolute))
            case .missing: return .failure(.noSuchFile(path: absolute))
            }
        }
        var firstDenied: String?
        for directory in (path ?? defaultPath).split(separator: ":") where directory.hasPrefix("/") {
            let candidate = String(directory) + (directory.hasSuffix("/") ? "" : "/") + program
            switch classify(candidate) {
            case .executable: return .success(candidate)
            // Like execvp: keep looking, but say "permission denied" if nothing better turns up.
            case .notExecutable: firstDenied = firstDenied ?? candidate
            case .directory, .missing: continue
            }
        }
        if let firstDenied { return .failure(.permissionDenied(path: firstDenied)) }
        return .failure(.notFoundInPath(program: program))
    }

    private enum Kind { case executable, directory, notExecutable, missing }

    private static func classify(_ path: String) -> Kind {
        var info = stat()
        guard stat(path, &info) == 0 else { return errno == EACCES ? .notExecutable : .missing }
        switch info.st_mode & S_IFMT {
        case S_IFDIR: return .directory
        case S_IFREG: return access(path, X_OK) == 0 ? .executable : .notExecutable
        default: return .notExecutable  // execve: EACCES for devices, fifos, sockets
        }
    }

    /// Lexical: "//" and "." components are dropped; ".." is kept for the kernel to resolve
    /// (dropping it lexically would be wrong across symbolic links).
    private static func makeAbsolute(_ program: String, relativeTo workingDirectory: String) -> String {
        var base = program.hasPrefix("/") ? "" : workingDirectory
        if !program.hasPrefix("/") && !base.hasPrefix("/") { base = currentDirectory() + "/" + base }
        let components = (base + "/" + program).split(separator: "/").filter { $0 != "." }
        let joined = "/" + components.joined(separator: "/")
        return program.hasSuffix("/") && joined != "/" ? joined + "/" : joined
    }

    private static func currentDirectory() -> String {
        guard let pointer = getcwd(nil, 0) else { return "" }
        defer { free(pointer) }
        return String(cString: pointer)
    }
}
