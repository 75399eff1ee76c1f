import Budget
import StackFile

/// Whether a deploy may start: during the overlap both colours run, so the running stack plus
/// the new colour's spec must fit the host by the budget's own rule — memory reservations
/// (promises, as Kubernetes' requests) within the allocatable memory.
public enum Admission {
    public static func check(running stack: Stack, service: String, newSpec: Service, color: BlueGreen.Color,
                             host: Machine) -> Result<String, DeployFailure> {
        var overlap = stack
        var second = newSpec
        second.name = "\(service)-\(color.rawValue)"
        second.dependencies = []
        overlap.services.append(second)
        let report = BudgetReport(stack: overlap, host: host)
        let needed = report.totals.memoryReservationBytes
        let allocatable = host.allocatable.memoryBytes
        let summary = "memory reservations with both colours \(Units.bytes(needed)) of \(Units.bytes(allocatable)) allocatable"
        guard needed <= allocatable else {
            return .failure(.refused("\(summary): the overlap does not fit (short by \(Units.bytes(needed - allocatable)))"))
        }
        return .success(summary)
    }
}
