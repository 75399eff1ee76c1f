import Testing
@testable import Deploy

@Suite struct DeployMachineTests {
    @Test func aDeployRunsEveryStepInOrder() {
        var machine = DeployMachine()
        var seen: [String] = []
        while case let .running(step) = machine.state {
            seen.append(step.rawValue)
            machine.succeeded()
        }
        #expect(seen == ["admit", "start", "health", "switch", "verify", "drain", "stop", "record"])
        #expect(machine.state == .deployed)
        #expect(machine.description == "deployed")
    }

    @Test(arguments: [DeployMachine.Step.admit, .start, .health, .switch, .verify])
    func aFailureBeforeTheDrainRollsBack(step: DeployMachine.Step) {
        var machine = DeployMachine()
        while machine.state != .running(step) { machine.succeeded() }
        machine.failed("nginx -t failed")
        #expect(machine.state == .rollingBack(failed: step, reason: "nginx -t failed"))
        #expect(!machine.isFinished)
        machine.rolledBack()
        #expect(machine.state == .rolledBack(failed: step, reason: "nginx -t failed"))
        #expect(machine.description == "rolled back (\(step.rawValue) failed: nginx -t failed)")
        #expect(machine.isFinished)
    }

    @Test func onceSwitchedNothingRollsBack() {
        var machine = DeployMachine()
        while machine.state != .running(.drain) { machine.succeeded() }
        machine.failed("interrupted")
        #expect(machine.state == .running(.stop))
    }
}
