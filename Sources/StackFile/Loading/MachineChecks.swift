/// Checks of a service against the machine that will run it, made while the stack loads so
/// that their problems are reported like any other — file, line, key — and nothing starts.
///
/// StackFile stays pure: it only reads the files it is given. What needs the system (the user
/// database, libseccomp) is passed in by the caller through ``LoadOptions/machineChecks``:
/// `berth up` checks users and seccomp profiles; `berth config` and `berth budget` check the
/// profiles only, since a stack may be written for another machine's accounts.
public protocol MachineChecks: Sendable {
    /// Why the service's `user` (as written) cannot be run as here; nil when it can, or when
    /// users are not checked.
    func problem(withUser user: String, of service: Service) -> String?

    /// What is wrong with the seccomp profile file the service names (`seccomp=PATH`, at the
    /// absolute `path`; `displayName` is how messages name it): errors mean it cannot be used;
    /// warnings do not stop the stack (a system call libseccomp does not know, outside
    /// `x-berth.seccomp_strict`).
    func findings(inSeccompProfile path: String, displayName: String, of service: Service) -> (errors: [String], warnings: [String])
}
