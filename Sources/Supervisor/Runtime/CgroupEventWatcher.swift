import Confinement
import CLinux
import Glibc

/// Tells runners when their leaf's `cgroup.events` changes (the kernel raises a file-modified
/// event when `populated` flips), through one inotify descriptor on the loop.
final class CgroupEventWatcher {
    private let fd: Int32
    private let loop: EventLoop
    private var handlers: [Int32: () -> Void] = [:]
    private var watches: [String: Int32] = [:]

    init?(loop: EventLoop) {
        fd = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
        guard fd >= 0 else { return nil }
        self.loop = loop
        loop.watch(fd) { [weak self] _ in self?.readEvents() }
    }

    deinit {
        loop.unwatch(fd)
        close(fd)
    }

    func watch(_ leaf: CgroupLeaf, _ handler: @escaping () -> Void) {
        let descriptor = inotify_add_watch(fd, leaf.eventsFile, UInt32(IN_MODIFY))
        guard descriptor >= 0 else { return }
        watches[leaf.path] = descriptor
        handlers[descriptor] = handler
    }

    func unwatch(_ leaf: CgroupLeaf) {
        guard let descriptor = watches.removeValue(forKey: leaf.path) else { return }
        handlers[descriptor] = nil
        inotify_rm_watch(fd, descriptor)
    }

    private func readEvents() {
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            guard count > 0 else { return }
            var offset = 0
            var fired: [Int32] = []
            while offset + MemoryLayout<inotify_event>.size <= count {
                let (descriptor, length) = buffer.withUnsafeBytes { bytes -> (Int32, Int) in
                    let event = bytes.loadUnaligned(fromByteOffset: offset, as: inotify_event.self)
                    return (event.wd, Int(event.len))
                }
                fired.append(descriptor)
                offset += MemoryLayout<inotify_event>.size + length
            }
            for descriptor in Set(fired) { handlers[descriptor]?() }
        }
    }
}
