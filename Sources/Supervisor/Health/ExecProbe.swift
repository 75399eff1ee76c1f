import CLinux
import Confinement
import Glibc
import StackFile

/// A `healthcheck` test run as a process: `CMD` runs the program, `CMD-SHELL` runs
/// `/bin/sh -c`. It runs in the service's own leaf, with its environment, working directory,
/// user, capabilities and seccomp filter, so that it counts against the service's budget and
/// can do no more than the service, as in a container.
final class ExecProbe {
    private let executable: String
    private let arguments: [String]
    private let environment: [String: String]
    private let workingDirectory: String
    private let leaf: CgroupLeaf?
    private let confinement: ConfinementPlan?
    private let loop: EventLoop
    private weak var children: ChildReaper?

    private var pid: Int32?
    private var output: [UInt8] = []
    private var pipe: Int32 = -1
    private var status: Int32?
    private var timedOut: Duration?
    private var timer: EventLoop.TimerID?
    private var completion: ((Int32, String) -> Void)?

    init(executable: String, arguments: [String], environment: [String: String], workingDirectory: String,
         leaf: CgroupLeaf?, confinement: ConfinementPlan?, loop: EventLoop, children: ChildReaper) {
        self.executable = executable
        self.arguments = arguments
        self.environment = environment
        self.workingDirectory = workingDirectory
        self.leaf = leaf
        self.confinement = confinement
        self.loop = loop
        self.children = children
    }

    func run(timeout: Duration, completion: @escaping (Int32, String) -> Void) {
        self.completion = completion
        output.removeAll(keepingCapacity: true)
        status = nil
        timedOut = nil
        var fds: [Int32] = [0, 0]
        guard clinux_pipe2(&fds, O_CLOEXEC) == 0 else { return finish(1, "pipe: \(String(cString: strerror(errno)))") }
        _ = fcntl(fds[0], F_SETFL, fcntl(fds[0], F_GETFL) | O_NONBLOCK)
        pipe = fds[0]
        defer { close(fds[1]) }
        let directory = try? leaf?.openDirectory()
        defer { if let directory { close(directory) } }
        let request = SpawnRequest(executable: executable, arguments: arguments, environment: environment,
                                   workingDirectory: workingDirectory, cgroupDirectory: directory,
                                   standardOutput: fds[1], standardError: fds[1], confinement: confinement)
        let process: SpawnedProcess
        do {
            process = try Spawner.spawn(request)
        } catch {
            close(pipe)
            pipe = -1
            return finish(1, "cannot start the health check: \(error)")
        }
        close(process.reportDescriptor)  // the exit status says it all
        pid = process.pid
        children?.watch(pid: process.pid) { [weak self] status in self?.exited(status) }
        loop.watch(pipe) { [weak self] _ in self?.readOutput() }
        timer = loop.schedule(after: timeout) { [weak self] in self?.expire(after: timeout) }
    }

    /// Abandons the probe: kills it, reports nothing.
    func cancel() {
        completion = nil
        if let pid { kill(-pid, SIGKILL) }
        closePipe()
        if let timer { loop.cancel(timer) }
        timer = nil
    }

    private func expire(after timeout: Duration) {
        timedOut = timeout
        // The probe runs in its own session: its process group holds it and its children.
        if let pid { kill(-pid, SIGKILL) }
    }

    private func readOutput() {
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = read(pipe, &buffer, buffer.count)
            if count > 0 {
                if output.count < HealthMonitor.maximumOutput {
                    output.append(contentsOf: buffer[0..<min(count, HealthMonitor.maximumOutput - output.count)])
                }
                continue
            }
            if count < 0, errno == EAGAIN { return }
            closePipe()  // end of file
            complete()
            return
        }
    }

    private func exited(_ status: Int32) {
        self.status = status
        pid = nil
        complete()
    }

    /// Done once the process has ended and its output is read.
    private func complete() {
        guard let status else { return }
        if pipe >= 0 {
            readOutput()
            if pipe >= 0 { return }
        }
        if let timeout = timedOut {
            return finish(-1, "Health check exceeded timeout (\(ComposeDuration.format(timeout)))")
        }
        let code = clinux_exited(status) != 0 ? clinux_exit_status(status) : 128 + clinux_term_signal(status)
        finish(code, String(decoding: output, as: UTF8.self))
    }

    private func closePipe() {
        guard pipe >= 0 else { return }
        loop.unwatch(pipe)
        close(pipe)
        pipe = -1
    }

    private func finish(_ code: Int32, _ text: String) {
        if let timer { loop.cancel(timer) }
        timer = nil
        let completion = self.completion
        self.completion = nil
        completion?(code, text)
    }
}

/// Whoever reaps children: it calls `onExit` with the wait status when `pid` ends.
protocol ChildReaper: AnyObject {
    func watch(pid: Int32, _ onExit: @escaping (Int32) -> Void)
}
