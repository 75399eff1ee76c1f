import Confinement
import CLinux
import Glibc

/// Releases the file pages berth touched only to get started.
///
/// Loading a stack runs a lot of code that the supervision loop never calls again: the YAML
/// parser, the stack decoder, argument parsing, seccomp compilation, the database's set-up. In a
/// static binary those pages stay counted in the process's RSS (and charged to its cgroup) —
/// about 12 MiB — although the kernel could drop them at any time. Telling it so makes RSS show
/// the supervisor's working set; code the loop does use is faulted back in from the page cache
/// the first time it runs.
///
/// MADV_PAGEOUT (Linux 5.4) on every file-backed mapping: it reclaims clean pages this process
/// alone maps and leaves the rest — a page copied on write (relocated data) has no file copy to
/// fall back to and is kept — so it can never lose data. Older kernels refuse the advice; there
/// only the executable's code (`r-xp`, never written) gets MADV_DONTNEED.
///
/// Called once everything has started, and once more a minute later: some pages serve only the
/// first minute (the first samples, the first history writes) and would otherwise stay.
enum StartupPages {
    static func release() {
        guard let maps = CgroupFiles.read("/proc/self/maps"), let executable = executablePath() else { return }
        for line in maps.split(separator: "\n") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count >= 6, fields[5].hasPrefix("/") else { continue }
            let bounds = fields[0].split(separator: "-").compactMap { UInt(String($0), radix: 16) }
            guard bounds.count == 2, bounds[1] > bounds[0], let start = UnsafeMutableRawPointer(bitPattern: bounds[0]) else { continue }
            let length = Int(bounds[1] - bounds[0])
            if madvise(start, length, pageOut) != 0, errno == EINVAL, fields[1] == "r-xp", String(fields[5]) == executable {
                _ = madvise(start, length, MADV_DONTNEED)
            }
        }
        _ = clinux_malloc_trim()
    }

    /// MADV_PAGEOUT; Glibc's headers may predate it.
    private static let pageOut: Int32 = 21

    private static func executablePath() -> String? {
        var buffer = [CChar](repeating: 0, count: 4096)
        let count = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard count > 0 else { return nil }
        return String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
