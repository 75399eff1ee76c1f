import Foundation
import Testing
@testable import Deploy
import StackFile

@Suite struct SpecStoreTests {
    static func service(_ version: String) -> Service {
        var service = Service(name: "web")
        service.command = ["/usr/bin/hello-http"]
        service.environment = ["VERSION": version, "PRICE": "$5"]
        service.workingDirectory = "/srv"
        var deploy = BlueGreen(bluePort: 8081, greenPort: 8082, proxy: "proxy")
        deploy.health = "/up"
        service.berth.deploy = deploy
        return service
    }

    /// What comes back from the store: the spec without its ports and proxy (the stack's).
    static func stored(_ version: String) -> Service {
        var service = service(version)
        service.berth.deploy = nil
        return service
    }

    static func scratch() -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("berth-specs-\(UUID().uuidString)").path
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    @Test func aSpecLoadsBackAsItWasDeployed() throws {
        let (text, digest) = SpecStore.text(of: Self.service("2"), project: "shop")
        #expect(digest.count == 16)
        let loaded = try SpecStore.service(from: text, named: "web", scratch: Self.scratch())
        #expect(loaded == Self.stored("2"))
    }

    @Test func keepsTheStackFilesSpecFirstThenTheLastFive() throws {
        let state = Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: state) }
        let store = SpecStore(stateDirectory: state, project: "shop")
        try store.save(Self.service("2"), color: .green, base: Self.service("1"))
        #expect(store.record(of: "web")?.specs.count == 2)
        #expect(store.record(of: "web")?.live == .green)
        #expect(try store.previous(of: "web") == Self.stored("1"))
        for version in 3...8 { try store.save(Self.service(String(version)), color: .blue, base: nil) }
        let record = try #require(store.record(of: "web"))
        #expect(record.specs.count == SpecStore.kept)
        #expect(record.specs.last?.digest == SpecStore.text(of: Self.service("8"), project: "shop").digest)
        // Dropped specs are removed from the disk too.
        let files = try FileManager.default.contentsOfDirectory(atPath: state + "/deploys/web").filter { $0.hasSuffix(".yml") }
        #expect(files.count == SpecStore.kept)
    }

    @Test func aRollbackDropsTheSpecItLeaves() throws {
        let state = Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: state) }
        let store = SpecStore(stateDirectory: state, project: "shop")
        try store.save(Self.service("2"), color: .green, base: Self.service("1"))
        try store.save(try store.previous(of: "web"), color: .blue, base: nil, droppingLast: true)
        let record = try #require(store.record(of: "web"))
        #expect(record.specs.map(\.digest) == [SpecStore.text(of: Self.service("1"), project: "shop").digest])
        #expect(record.live == .blue)
        #expect(throws: DeployFailure.self) { try store.previous(of: "web") }
    }

    @Test func theStackRunsTheDeployedSpecInItsColour() throws {
        let state = Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: state) }
        let store = SpecStore(stateDirectory: state, project: "shop")
        try store.save(Self.service("2"), color: .green, base: Self.service("1"))
        var written = Self.service("1")
        written.dependencies = [Dependency(service: "db")]
        let (stack, colors, warnings) = store.apply(to: Stack(name: "shop", projectDirectory: "/srv", services: [written]))
        #expect(warnings.isEmpty)
        #expect(colors == ["web": .green])
        #expect(stack["web"]?.environment["VERSION"] == "2")
        #expect(stack["web"]?.dependencies == [Dependency(service: "db")])
        #expect(stack["web"]?.berth.deploy == Self.service("1").berth.deploy)
    }
}
