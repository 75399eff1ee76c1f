/// Makes the paths written in stack files absolute.
///
/// Compose resolves a relative path against the project directory when it is written in one of
/// the main files (overrides included), and against the file's own directory when the file was
/// reached through `extends: {file: ...}` or `include`. The loader records which is which.
struct PathResolver {
    let projectDirectory: String
    /// Base directory for relative paths, by the file name used in source locations.
    let baseDirectories: [String: String]
    /// `$HOME`, for paths starting with `~/`.
    let home: String?
    /// The user's working directory, for naming files in messages.
    let workingDirectory: String

    func display(_ absolute: String) -> String {
        FilePath.display(absolute, relativeTo: workingDirectory)
    }

    /// `path` as an absolute, lexically normalized path, relative to the directory that the
    /// file `node` was written in calls for.
    func absolute(_ path: String, writtenAt node: Node) -> String {
        if path == "~" || path.hasPrefix("~/"), let home {
            return FilePath.normalize(home + path.dropFirst())
        }
        let base = baseDirectories[node.location.file] ?? projectDirectory
        return FilePath.join(base, path)
    }
}

/// Lexical path arithmetic, without touching the file system (symlinks are left alone, as
/// Compose leaves them).
public enum FilePath {
    public static func join(_ base: String, _ path: String) -> String {
        normalize(path.hasPrefix("/") ? path : base + "/" + path)
    }

    /// Removes `.`, `..` and repeated slashes from an absolute path.
    public static func normalize(_ path: String) -> String {
        var parts: [Substring] = []
        for part in path.split(separator: "/", omittingEmptySubsequences: true) {
            switch part {
            case ".": continue
            case "..": if !parts.isEmpty { parts.removeLast() }
            default: parts.append(part)
            }
        }
        return "/" + parts.joined(separator: "/")
    }

    public static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        let directory = path[..<slash]
        return directory.isEmpty ? "/" : String(directory)
    }

    /// How a file is named in messages: relative to `directory` when inside it, else absolute.
    public static func display(_ absolute: String, relativeTo directory: String) -> String {
        let base = normalize(directory)
        let prefix = base == "/" ? "/" : base + "/"
        return absolute.hasPrefix(prefix) ? String(absolute.dropFirst(prefix.count)) : absolute
    }

    public static func lastComponent(of path: String) -> String {
        path.split(separator: "/").last.map(String.init) ?? path
    }
}
