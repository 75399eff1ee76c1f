import Foundation
import Glibc
import StackFile
import Supervisor

/// The nginx file berth owns for a proxy: one `upstream` block per blue-green service behind
/// it, named after the service, and a variable naming the serving colour, for a response
/// header that proves which configuration answered:
///
///     upstream web { server 127.0.0.1:8082; }
///     map $host $berth_web_color { default "green"; }
///
/// The proxy's nginx.conf includes the file in its `http` block and uses both:
/// `proxy_pass http://web;` and `add_header X-Berth-Color $berth_web_color always;`.
public enum UpstreamFile {
    public static func render(_ upstreams: [BlueGreenState.Upstream]) -> String {
        var text = "# Written by berth; do not edit: berth rewrites it on every deploy.\n"
        for upstream in upstreams.sorted(by: { $0.service < $1.service }) {
            text += """
                # \(upstream.service): \(upstream.color.rawValue)
                upstream \(upstream.service) {
                    server 127.0.0.1:\(upstream.port);
                }
                map $host \(variable(for: upstream.service)) {
                    default "\(upstream.color.rawValue)";
                }

                """
        }
        return text
    }

    /// `$berth_<service>_color`, with what nginx does not allow in a name made `_`.
    public static func variable(for service: String) -> String {
        "$berth_" + String(service.map { $0.isLetter || $0.isNumber ? $0 : "_" }) + "_color"
    }

    /// Writes `text` to `path` so that a reader sees the old file or the new one, never a part:
    /// a temporary file in the same directory, fsync, rename, fsync of the directory.
    public static func write(_ text: String, to path: String, mode: mode_t = 0o644) throws(DeployFailure) {
        let directory = (path as NSString).deletingLastPathComponent
        let temporary = directory + "/." + (path as NSString).lastPathComponent + ".berth-\(getpid())"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
        guard fd >= 0 else { throw .io("cannot write \(temporary): \(String(cString: strerror(errno)))") }
        let bytes = Array(text.utf8)
        var written = 0
        while written < bytes.count {
            let count = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + written, $0.count - written) }
            if count < 0, errno == EINTR { continue }
            guard count > 0 else {
                let reason = String(cString: strerror(errno))
                close(fd)
                unlink(temporary)
                throw .io("cannot write \(temporary): \(reason)")
            }
            written += count
        }
        let synced = fsync(fd) == 0
        close(fd)
        guard synced, rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw .io("cannot replace \(path): \(reason)")
        }
        let directoryFD = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if directoryFD >= 0 {
            fsync(directoryFD)
            close(directoryFD)
        }
    }

    /// Renders the upstream file of every proxy of `stack` with the services' live colours,
    /// before the proxies start (`berth up`).
    public static func renderAll(stack: Stack, colors: [String: BlueGreen.Color]) throws(DeployFailure) {
        for proxy in stack.services {
            guard let options = proxy.berth.proxy else { continue }
            let upstreams = stack.services.compactMap { service -> BlueGreenState.Upstream? in
                guard let deploy = service.berth.deploy, deploy.proxy == proxy.name else { return nil }
                let color = colors[service.name] ?? .blue
                return .init(service: service.name, color: color, port: deploy.port(of: color))
            }
            try write(render(upstreams), to: options.upstreams)
        }
    }
}

/// Why a deploy step failed, in words for the user.
public enum DeployFailure: Error, Sendable, Equatable, CustomStringConvertible {
    case io(String)
    case refused(String)
    case failed(String)

    public var description: String {
        switch self {
        case let .io(message), let .refused(message), let .failed(message): return message
        }
    }
}
