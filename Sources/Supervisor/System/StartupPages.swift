import CLinux
import Glibc

/// Releases the code pages berth touched only to get started.
///
/// Loading a stack runs a lot of code that the supervision loop never calls again: the YAML
/// parser, the stack decoder, argument parsing, the database's set-up. In a static binary those
/// pages stay counted in the process's RSS — about 12 MiB — although the kernel could drop them
/// at any time. Telling it so (MADV_DONTNEED on the executable's read-only code mapping) makes
/// RSS show the supervisor's real working set; the code the loop does use is faulted back in
/// from the page cache the first time it runs. Only the `r-xp` mapping of berth's own
/// executable is touched: it is never written, so nothing can be lost.
enum StartupPages {
    static func release() {
        guard let maps = read("/proc/self/maps"), let executable = executablePath() else { return }
        for line in maps.split(separator: "\n") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count >= 6, fields[1] == "r-xp", String(fields[5]) == executable else { continue }
            let bounds = fields[0].split(separator: "-").compactMap { UInt(String($0), radix: 16) }
            guard bounds.count == 2, bounds[1] > bounds[0], let start = UnsafeMutableRawPointer(bitPattern: bounds[0]) else { continue }
            _ = madvise(start, Int(bounds[1] - bounds[0]), MADV_DONTNEED)
        }
        _ = clinux_malloc_trim()
    }

    private static func executablePath() -> String? {
        var buffer = [CChar](repeating: 0, count: 4096)
        let count = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard count > 0 else { return nil }
        return String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    private static func read(_ path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var data: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 16_384)
        while true {
            let count = Glibc.read(fd, &buffer, buffer.count)
            guard count > 0 else { break }
            data.append(contentsOf: buffer[0..<count])
        }
        return String(decoding: data, as: UTF8.self)
    }
}
