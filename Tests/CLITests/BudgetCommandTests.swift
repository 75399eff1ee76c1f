import Foundation
import Testing

@Suite struct BudgetCommandTests {
    @Test(arguments: [("table", "txt"), ("json", "json"), ("prometheus", "prom")])
    func reportsTheReferenceVPS(format: String, suffix: String) throws {
        let outcome = try berth(["budget", "-f", "stacks/django-vps.yml", "--format", format])
        #expect(outcome.status == 0)
        #expect(outcome.stderr == "")
        try expectGolden(outcome.stdout, "budget-django-vps.\(suffix)")
    }

    @Test func aHostProfileOnTheCommandLineWins() throws {
        let outcome = try berth(["budget", "-f", "stacks/flask-pi.yml", "--host", "cgroups/vps-1g.yml"])
        #expect(outcome.stdout.hasPrefix("Budget of stack \"flask\" on vps-1g (cgroups/vps-1g.yml)\n"))
        // 672M of reservations do not fit in the 896M allocatable? They do; the CPUs do not.
        #expect(outcome.stdout.contains("2.25 of 0.90 CPUs"))
        #expect(outcome.status == 3)
    }

    @Test func exitsThreeWhenReservationsDoNotFit() throws {
        let scratch = Scratch()
        scratch.write("compose.yaml", """
            services:
              db:
                command: [/bin/true]
                mem_limit: 400m
                mem_reservation: 300m
              web:
                command: [/bin/true]
                mem_limit: 300m
                mem_reservation: 200m
            """)
        let outcome = try berth(["budget", "--host", projectRoot + "/cgroups/vps-512m.yml", "--format", "json"], in: scratch.path)
        #expect(outcome.status == 3)
        let object = try #require(JSONSerialization.jsonObject(with: Data(outcome.stdout.utf8)) as? [String: Any])
        #expect(object["fits"] as? Bool == false)
    }

    @Test func withoutAProfileItMeasuresThisMachine() throws {
        let scratch = Scratch()
        scratch.write("compose.yaml", "services:\n  web:\n    command: [/bin/true]\n    mem_limit: 64m\n")
        let outcome = try berth(["budget", "--format", "json"], in: scratch.path)
        #expect(outcome.status == 0)
        let object = try #require(JSONSerialization.jsonObject(with: Data(outcome.stdout.utf8)) as? [String: Any])
        let host = try #require(object["host"] as? [String: Any])
        #expect((host["source"] as? String)?.hasPrefix("detected: /proc/meminfo") == true)
        let capacity = try #require(host["capacity"] as? [String: Any])
        #expect((capacity["memory_bytes"] as? Int ?? 0) > 0)
    }

    @Test func aMissingProfileIsAnError() throws {
        let outcome = try berth(["budget", "-f", "stacks/flask-pi.yml", "--host", "cgroups/nope.yml"])
        #expect(outcome.status == 2)
        #expect(outcome.stderr == "error: host profile: cgroups/nope.yml: no such file\n")
    }
}
