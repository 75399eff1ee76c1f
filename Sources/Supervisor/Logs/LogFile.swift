import Glibc
import StackFile

/// One service's log file, rotated by size: `web.log` is written, `web.log.1` is the one
/// before, up to `max_files` files in all.
///
/// Lines are `2026-11-22T15:04:05.123Z out <text>`: UTC time with milliseconds, the stream,
/// and the text as the service wrote it.
final class LogFile {
    let path: String
    let policy: LogPolicy
    private var fd: Int32 = -1
    private var size: Int64 = 0

    init(path: String, policy: LogPolicy) {
        self.path = path
        self.policy = policy
        open()
    }

    func write(line: [UInt8], stream: LogWriter.Stream, time: Double) {
        var record = Array(Timestamp.iso8601(time).utf8)
        record.append(UInt8(ascii: " "))
        record.append(contentsOf: stream.rawValue.utf8)
        record.append(UInt8(ascii: " "))
        record.append(contentsOf: line)
        record.append(UInt8(ascii: "\n"))
        if size > 0, size + Int64(record.count) > policy.maxSize { rotate() }
        guard fd >= 0 else { return }
        var offset = 0
        while offset < record.count {
            let written = record.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if written < 0 {
                if errno == EINTR { continue }
                return  // a full disk loses the line, not the supervisor
            }
            offset += written
        }
        size += Int64(record.count)
    }

    func close() {
        if fd >= 0 { Glibc.close(fd) }
        fd = -1
    }

    private func open() {
        fd = Glibc.open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o640)
        var info = stat()
        size = fd >= 0 && fstat(fd, &info) == 0 ? Int64(info.st_size) : 0
    }

    /// `web.log.(n-1)` is dropped, each older file moves up one, `web.log` becomes `web.log.1`.
    private func rotate() {
        close()
        if policy.maxFiles > 1 {
            for index in stride(from: policy.maxFiles - 1, to: 1, by: -1) {
                rename("\(path).\(index - 1)", "\(path).\(index)")
            }
            rename(path, "\(path).1")
        } else {
            unlink(path)
        }
        open()
    }
}

/// Wall-clock timestamps as log lines and history show them.
enum Timestamp {
    /// `2026-11-22T15:04:05.123Z`.
    static func iso8601(_ time: Double) -> String {
        var seconds = time_t(time)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        let millis = Int((time - Double(seconds)) * 1000)
        return "\(pad(Int(parts.tm_year) + 1900, 4))-\(pad(Int(parts.tm_mon) + 1))-\(pad(Int(parts.tm_mday)))T"
            + "\(pad(Int(parts.tm_hour))):\(pad(Int(parts.tm_min))):\(pad(Int(parts.tm_sec))).\(pad(millis, 3))Z"
    }

    /// `15:04:05`, local time, for the terminal.
    static func clock(_ time: Double) -> String {
        var seconds = time_t(time)
        var parts = tm()
        localtime_r(&seconds, &parts)
        return "\(pad(Int(parts.tm_hour))):\(pad(Int(parts.tm_min))):\(pad(Int(parts.tm_sec)))"
    }

    private static func pad(_ value: Int, _ width: Int = 2) -> String {
        let text = String(value)
        return String(repeating: "0", count: max(0, width - text.count)) + text
    }
}
