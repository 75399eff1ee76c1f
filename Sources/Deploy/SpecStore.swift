import Foundation
import StackFile

/// The deployed specs of each blue-green service, in the state directory, so that a restarted
/// berth runs what was deployed last, and `berth rollback` has something to go back to:
///
///     <state>/deploys/<service>/state.json     live colour, the last 5 specs (oldest first)
///     <state>/deploys/<service>/<digest>.yml   each spec: a one-service compose file
///
/// A spec is the service as `berth config` prints it, without `depends_on`, `profiles` and
/// `x-berth.deploy` (a deploy never changes how the service is wired into the stack, nor its
/// ports and proxy), so it loads on its own. Specs hold the services' environment: only root
/// (berth's user) reads them.
public struct SpecStore: Sendable {
    public static let kept = 5

    public let directory: String
    public let project: String

    public init(stateDirectory: String, project: String) {
        directory = stateDirectory + "/deploys"
        self.project = project
    }

    public struct Entry: Codable, Sendable, Equatable {
        public var digest: String
        public var deployedAt: Double

        enum CodingKeys: String, CodingKey {
            case digest
            case deployedAt = "deployed_at"
        }
    }

    public struct Record: Codable, Sendable, Equatable {
        public var live: BlueGreen.Color
        /// Oldest first; the last is the live spec.
        public var specs: [Entry]
    }

    public func record(of service: String) -> Record? {
        guard let data = FileManager.default.contents(atPath: path(service) + "/state.json") else { return nil }
        return try? JSONDecoder().decode(Record.self, from: data)
    }

    /// The spec as text, and its digest (FNV-1a, 64 bits, hex): what the history records.
    public static func text(of service: Service, project: String) -> (text: String, digest: String) {
        var spec = service
        spec.dependencies = []
        spec.profiles = []
        // Ports and proxy stay the stack file's; the proxy is not in a one-service file.
        spec.berth.deploy = nil
        let text = Emitter.yaml(StackEncoder.encode(Stack(name: project, projectDirectory: spec.workingDirectory, services: [spec])),
                                escapingDollars: true)
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        return (text, String(format: "%016llx", hash))
    }

    /// Loads a spec's text back into a service (and reports what is wrong with it).
    public static func service(from text: String, named name: String, scratch: String) throws(DeployFailure) -> Service {
        try? FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        let file = scratch + "/spec-\(UUID().uuidString).yml"
        defer { try? FileManager.default.removeItem(atPath: file) }
        guard FileManager.default.createFile(atPath: file, contents: Data(text.utf8)) else {
            throw .io("cannot write \(file)")
        }
        do {
            let stack = try StackLoader.load(LoadOptions(files: [file], workingDirectory: scratch, environment: [:])).stack
            guard let service = stack[name] else { throw DeployFailure.refused("the new spec has no service \"\(name)\"") }
            return service
        } catch let error as DeployFailure {
            throw error
        } catch {
            throw .refused("the new spec of \(name) is not valid: \(error)")
        }
    }

    /// Keeps `service` as the live spec, with `color` serving; at most `kept` specs remain.
    /// With `replacingLast` (a rollback), the spec rolled back from is dropped instead.
    public func save(_ service: Service, color: BlueGreen.Color, base: Service?, droppingLast: Bool = false,
                     now: Double = Date().timeIntervalSince1970) throws(DeployFailure) {
        let directory = path(service.name)
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw .io("cannot create \(directory): \(error)")
        }
        var record = record(of: service.name) ?? Record(live: color, specs: [])
        // The first deploy keeps the stack file's spec, so that it can be rolled back to.
        if record.specs.isEmpty, let base {
            let (text, digest) = Self.text(of: base, project: project)
            try UpstreamFile.write(text, to: directory + "/\(digest).yml", mode: 0o600)
            record.specs.append(Entry(digest: digest, deployedAt: now))
        }
        if droppingLast, !record.specs.isEmpty { record.specs.removeLast() }
        let (text, digest) = Self.text(of: service, project: project)
        try UpstreamFile.write(text, to: directory + "/\(digest).yml", mode: 0o600)
        if record.specs.last?.digest != digest { record.specs.append(Entry(digest: digest, deployedAt: now)) }
        let dropped = record.specs.dropLast(Self.kept)
        record.specs = Array(record.specs.suffix(Self.kept))
        record.live = color
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        guard let data = try? encoder.encode(record) else { throw .io("cannot encode the deploy state") }
        try UpstreamFile.write(String(decoding: data, as: UTF8.self) + "\n", to: directory + "/state.json")
        for entry in dropped where !record.specs.contains(where: { $0.digest == entry.digest }) {
            try? FileManager.default.removeItem(atPath: directory + "/\(entry.digest).yml")
        }
    }

    /// The spec before the live one: what `berth rollback` deploys.
    public func previous(of name: String) throws(DeployFailure) -> Service {
        guard let record = record(of: name), record.specs.count >= 2 else {
            throw .refused("\(name) has no earlier deployed spec to roll back to")
        }
        return try spec(name, digest: record.specs[record.specs.count - 2].digest)
    }

    public func spec(_ name: String, digest: String) throws(DeployFailure) -> Service {
        guard let data = FileManager.default.contents(atPath: path(name) + "/\(digest).yml") else {
            throw .io("the spec \(digest) of \(name) is missing from \(path(name))")
        }
        return try Self.service(from: String(decoding: data, as: UTF8.self), named: name, scratch: directory)
    }

    /// The stack as the last deploys left it: each blue-green service with its deployed spec
    /// (its dependencies as the stack file says), and the colours that serve.
    public func apply(to stack: Stack) -> (stack: Stack, colors: [String: BlueGreen.Color], warnings: [String]) {
        var result = stack
        var colors: [String: BlueGreen.Color] = [:]
        var warnings: [String] = []
        for (index, written) in stack.services.enumerated() where written.berth.deploy != nil {
            guard let record = record(of: written.name), let last = record.specs.last else { continue }
            do {
                var deployed = try spec(written.name, digest: last.digest)
                deployed.dependencies = written.dependencies
                deployed.profiles = written.profiles
                // Ports and proxy are the stack file's: a deploy does not move them.
                deployed.berth.deploy = written.berth.deploy
                result.services[index] = deployed
                colors[written.name] = record.live
            } catch {
                warnings.append("\(written.name): the deployed spec cannot be used (\(error)); running the stack file's")
            }
        }
        return (result, colors, warnings)
    }

    private func path(_ service: String) -> String { directory + "/" + service }
}
