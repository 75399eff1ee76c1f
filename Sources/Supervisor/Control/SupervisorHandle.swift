/// The running supervisor, as other threads (the control API) may use it: every call is posted
/// to the supervision loop and answers through a completion closure, so that the loop never
/// waits for a client and a client never touches supervision state.
public final class SupervisorHandle: Sendable {
    private let loop: EventLoop
    private let supervisor: LoopBound<Supervisor>

    init(loop: EventLoop, supervisor: Supervisor) {
        self.loop = loop
        self.supervisor = LoopBound(supervisor, on: loop)
    }

    /// The stack's status, with live counters read from the cgroup leaves.
    public func status(_ completion: @escaping @Sendable (StackStatus) -> Void) {
        let supervisor = self.supervisor
        loop.post { completion(supervisor.wrapped.status()) }
    }

    /// Carries out `command`; `completion` runs once it has taken effect (the services stopped,
    /// or started, or the stack is down) or failed.
    public func perform(_ command: ControlCommand, completion: @escaping @Sendable (Result<StackStatus, ControlError>) -> Void) {
        let supervisor = self.supervisor
        loop.post { supervisor.wrapped.perform(command, completion: completion) }
    }

    /// Runs `body` on the supervision loop.
    func onLoop(_ body: @escaping @Sendable (Supervisor) -> Void) {
        let supervisor = self.supervisor
        loop.post { body(supervisor.wrapped) }
    }

    /// Records a refused client in the history (and on the terminal).
    public func recordRefusal(_ detail: String) {
        let supervisor = self.supervisor
        loop.post { supervisor.wrapped.recordRefusal(detail) }
    }
}
