import Foundation
import Testing
import Budget
import StackFile

private let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().path

@Suite struct HostProfileTests {
    @Test(arguments: [
        ("vps-512m", 512, 2.0, 96, 0.1),
        ("vps-1g", 1024, 1.0, 128, 0.1),
        ("pi4-4g", 3796, 4.0, 320, 0.2),
        ("minipc-16g", 15872, 8.0, 1024, 0.5),
    ])
    func shippedProfilesLoad(name: String, memory: Int64, cpus: Double, reservedMemory: Int64, reservedCPUs: Double) throws {
        let profile = try HostProfile.load(path: "\(root)/cgroups/\(name).yml")
        #expect(profile.name == name)
        #expect(profile.memoryBytes == memory * 1024 * 1024)
        #expect(profile.cpus == cpus)
        #expect(profile.reservedMemoryBytes == reservedMemory * 1024 * 1024)
        #expect(profile.reservedCPUs == reservedCPUs)
        #expect(Machine(profile: profile, source: name).allocatable.memoryBytes > 0)
    }

    @Test func aBrokenProfileSaysWhatIsWrong() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("profile-\(UUID()).yml").path
        try "name: box\ncapacity: {memory: lots, cpus: 2}\nreserved: {memory: 64m}\nram: 2g\n"
            .write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        do {
            _ = try HostProfile.load(path: path, displayName: "box.yml")
            Issue.record("a broken profile loaded")
        } catch {
            #expect(error.errors.map(\.description) == [
                "box.yml:2:20: capacity.memory: \"lots\" is not a byte value (examples: 512m, 1g)",
                "box.yml:3:11: reserved: \"cpus\" is required",
                "box.yml:4:1: ram: unknown key (extension keys must start with \"x-\")",
            ])
        }
    }
}
