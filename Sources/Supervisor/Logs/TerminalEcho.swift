import Glibc

/// Prints services' output on the terminal the way `docker compose up` does: each line after a
/// coloured, padded `service |` prefix; berth's own lines after `berth |`.
public final class TerminalEcho: Sendable {
    private let width: Int
    private let colors: [String: String]
    private let useColor: Bool
    /// Print services' output (attached to a terminal), or only berth's own lines.
    private let showServiceOutput: Bool

    private static let palette = ["36", "33", "32", "35", "34", "96", "93", "92", "95", "94"]

    public init(services: [String], useColor: Bool, showServiceOutput: Bool) {
        width = max(5, services.map(\.count).max() ?? 0)
        var colors: [String: String] = [:]
        for (index, name) in services.enumerated() { colors[name] = Self.palette[index % Self.palette.count] }
        self.colors = colors
        self.useColor = useColor
        self.showServiceOutput = showServiceOutput
    }

    /// Called on the log writer's thread only.
    func write(service: String?, line: [UInt8], time: Double) {
        if service != nil, !showServiceOutput { return }
        let name = service ?? "berth"
        let padded = name + String(repeating: " ", count: max(0, width - name.count))
        var prefix: String
        if useColor {
            let color = service.flatMap { colors[$0] } ?? "1"
            prefix = "\u{1B}[\(color)m\(padded) |\u{1B}[0m "
        } else {
            prefix = padded + " | "
        }
        if service == nil { prefix += Timestamp.clock(time) + " " }
        var output = Array(prefix.utf8)
        output.append(contentsOf: line)
        var offset = 0
        while offset < output.count {
            let written = output.withUnsafeBytes { Glibc.write(STDOUT_FILENO, $0.baseAddress! + offset, $0.count - offset) }
            if written < 0 {
                if errno == EINTR { continue }
                return
            }
            offset += written
        }
    }
}
