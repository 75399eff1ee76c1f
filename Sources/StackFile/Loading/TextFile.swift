import Foundation

/// Reads the text files a stack names (stack files, env files, host profiles), with a reason a
/// user can act on when it cannot: Foundation's "The operation could not be completed" says
/// nothing about a directory given as an env file, or a file only root may read.
enum TextFile {
    /// The file's text; on failure, throws the reason (`Is a directory`, `Permission denied`,
    /// `not UTF-8 text`).
    static func read(_ path: String) throws(Unreadable) -> String {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw Unreadable(reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = buffer.withUnsafeMutableBytes { Foundation.read(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw Unreadable(reason: String(cString: strerror(errno)))
            }
            if count == 0 { break }
            bytes += buffer[0..<count]
        }
        guard let text = String(validating: bytes, as: UTF8.self) else { throw Unreadable(reason: "not UTF-8 text") }
        return text
    }

    struct Unreadable: Error {
        var reason: String
    }
}
