/// A deploy as an explicit state machine, in the order kamal-proxy's deploy runs (start the new
/// target, wait for health, switch, drain, stop the old one), with the proxy reload split into
/// what can fail on its own. Every failure before `draining` rolls back; once the proxy serves
/// the new colour, nothing rolls back any more (the old colour is only drained and stopped).
///
///     admitting ─→ starting ─→ awaiting health ─→ switching ─→ verifying ─→ draining ─→ stopping old ─→ recording ─→ deployed
///         │            │              │                │            │
///         └────────────┴──────────────┴────────────────┴────────────┴─→ rolling back ─→ rolled back
///
/// It does no I/O: `Deployer` carries out each step and feeds the outcome here, so the rules
/// are tested without a proxy, and `description` prints where a deploy stands.
public struct DeployMachine: Sendable, Equatable, CustomStringConvertible {
    public enum Step: String, Sendable, Codable, CaseIterable {
        /// The overlap of both colours fits the host's allocatable memory.
        case admit
        /// The idle colour starts with the new spec.
        case start
        /// It becomes healthy, within `deploy_timeout`.
        case health
        /// The upstream file is rewritten, `nginx -t` passes, nginx is sent SIGHUP.
        case `switch`
        /// The proxy answers with the new colour, and its error log has no new `[emerg]`.
        case verify
        /// The old colour finishes its requests (at most `drain`).
        case drain
        /// The old colour is stopped with its stop signal and grace period.
        case stop
        /// The deploy goes into the history and the spec into the state directory.
        case record

        /// How the step list names it.
        public var title: String {
            switch self {
            case .admit: return "admit (budget of both colours)"
            case .start: return "start the new colour"
            case .health: return "wait until it is healthy"
            case .switch: return "switch the proxy (write upstreams, nginx -t, reload)"
            case .verify: return "verify the proxy serves it"
            case .drain: return "drain the old colour"
            case .stop: return "stop the old colour"
            case .record: return "record the deploy"
            }
        }
    }

    public enum State: Sendable, Equatable {
        case running(Step)
        case rollingBack(failed: Step, reason: String)
        case rolledBack(failed: Step, reason: String)
        case deployed
    }

    public private(set) var state: State = .running(.admit)

    public init() {}

    /// The step that ran, and now succeeded: the next one, or the end.
    public mutating func succeeded() {
        guard case let .running(step) = state else { return }
        let all = Step.allCases
        let index = all.firstIndex(of: step)!
        state = index + 1 < all.count ? .running(all[index + 1]) : .deployed
    }

    /// The step that ran failed (or was interrupted). Before the drain this rolls back;
    /// afterwards the switch stands and the deploy goes on to its end.
    public mutating func failed(_ reason: String) {
        guard case let .running(step) = state else { return }
        if step.rollsBack {
            state = .rollingBack(failed: step, reason: reason)
        } else {
            succeeded()
        }
    }

    public mutating func rolledBack() {
        guard case let .rollingBack(step, reason) = state else { return }
        state = .rolledBack(failed: step, reason: reason)
    }

    public var isFinished: Bool {
        switch state {
        case .deployed, .rolledBack: return true
        default: return false
        }
    }

    public var description: String {
        switch state {
        case let .running(step): return step.rawValue
        case let .rollingBack(step, reason): return "rolling back (\(step.rawValue) failed: \(reason))"
        case let .rolledBack(step, reason): return "rolled back (\(step.rawValue) failed: \(reason))"
        case .deployed: return "deployed"
        }
    }
}

extension DeployMachine.Step {
    /// Until the proxy serves the new colour, the old one is untouched and a failure rolls back.
    public var rollsBack: Bool {
        switch self {
        case .admit, .start, .health, .switch, .verify: return true
        case .drain, .stop, .record: return false
        }
    }
}
