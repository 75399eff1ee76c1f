import Foundation

/// A machine size the budget is checked against: what it has, and what its own system (kernel,
/// sshd, journald, berth itself) keeps for itself. Written as a small YAML file in `cgroups/`.
///
///     name: vps-512m
///     description: Small VPS, 512 MiB and 2 vCPUs
///     capacity: {memory: 512m, cpus: 2}
///     reserved: {memory: 96m, cpus: 0.1}
public struct HostProfile: Equatable, Sendable {
    public var name: String
    public var description: String?
    public var memoryBytes: Int64
    public var cpus: Double
    public var reservedMemoryBytes: Int64
    public var reservedCPUs: Double

    public init(name: String, description: String? = nil, memoryBytes: Int64, cpus: Double,
                reservedMemoryBytes: Int64, reservedCPUs: Double) {
        self.name = name
        self.description = description
        self.memoryBytes = memoryBytes
        self.cpus = cpus
        self.reservedMemoryBytes = reservedMemoryBytes
        self.reservedCPUs = reservedCPUs
    }

    /// Reads and validates a profile file, reporting problems like a stack file does.
    public static func load(path: String, displayName: String? = nil) throws(StackError) -> HostProfile {
        let name = displayName ?? path
        let log = DiagnosticLog()
        guard FileManager.default.fileExists(atPath: path) else {
            throw StackError([Diagnostic(.error, .fileNotFound(name), at: nil, path: "host profile")])
        }
        let text: String
        do {
            text = try TextFile.read(path)
        } catch {
            throw StackError([Diagnostic(.error, .unreadableFile(name, reason: error.reason), at: nil, path: nil)])
        }
        guard let root = YAMLReader.parse(text, file: name, log: log), !log.hasErrors else { throw StackError(log.sortedEntries) }
        let context = DecodeContext(log: log, ignoreUnsupported: false, environment: [:])
        let profile = decode(root, context: context, defaultName: FilePath.lastComponent(of: path))
        guard let profile, !log.hasErrors else { throw StackError(log.sortedEntries) }
        return profile
    }

    private static func decode(_ root: Node, context: DecodeContext, defaultName: String) -> HostProfile? {
        let read = context.reader
        guard let fields = context.fields(root, "", keys: KeySet(honoured: ["name", "description", "capacity", "reserved"])) else {
            return nil
        }
        let amountKeys = KeySet(honoured: ["memory", "cpus"])
        func amount(_ key: String, required: Bool) -> (Int64?, Double?) {
            guard let node = fields[key] else {
                if required { context.log.error(.missingKey(key), at: root.location, path: nil) }
                return (nil, nil)
            }
            guard let amount = context.fields(node, key, keys: amountKeys) else { return (nil, nil) }
            let memory = amount["memory"].flatMap { read.bytes($0, amount.path("memory")) }
            let cpus = amount["cpus"].flatMap { read.number($0, amount.path("cpus")) }
            if required, memory == nil, amount["memory"] == nil {
                context.log.error(.missingKey("memory"), at: node.location, path: key)
            }
            if required, cpus == nil, amount["cpus"] == nil {
                context.log.error(.missingKey("cpus"), at: node.location, path: key)
            }
            return (memory, cpus)
        }
        let name = fields["name"].flatMap { read.string($0, "name") }
            ?? String(defaultName.split(separator: ".").first ?? Substring(defaultName))
        let description = fields["description"].flatMap { read.string($0, "description") }
        let (memory, cpus) = amount("capacity", required: true)
        let (reservedMemory, reservedCPUs) = amount("reserved", required: true)
        guard let memory, let cpus, let reservedMemory, let reservedCPUs else { return nil }
        if cpus <= 0, let node = fields["capacity"]?["cpus"] {
            context.log.error(.outOfRange(ComposeNumber.format(cpus), range: "more than 0"), at: node.location, path: "capacity.cpus")
        }
        return HostProfile(name: name, description: description, memoryBytes: memory, cpus: cpus,
                           reservedMemoryBytes: reservedMemory, reservedCPUs: reservedCPUs)
    }
}
