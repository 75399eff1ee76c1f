import Glibc
import StackFile
import Synchronization

/// Everything a service's child applies between fork and exec to confine it, decided in berth
/// once per service spec and reused for every start and every exec health probe:
///
///     setgroups → setresgid → setresuid (keeping capabilities) → bounding set → capset →
///     ambient capabilities → no_new_privs → seccomp filter → execve
///
/// The child only makes system calls with these numbers and bytes (CSpawn); it never reads the
/// user database or runs libseccomp.
public struct ConfinementPlan: Equatable, Sendable {
    /// nil: no `user`, the service runs as berth's own user with berth's groups.
    public var identity: UserIdentity?
    public var capabilities: CapabilitySets
    /// Whether the child drops its bounding set to `capabilities.bounding` (berth holds
    /// CAP_SETPCAP; an unprivileged berth cannot, and has nothing to hand on anyway).
    public var dropsBoundingSet: Bool
    /// `/proc/sys/kernel/cap_last_cap`: the child walks the bounding set up to it.
    public var lastCapability: Int
    /// `PR_SET_NO_NEW_PRIVS`: on by default (`security_opt: [no-new-privileges=false]` turns it
    /// off). With it, exec can never add privileges: setuid bits and file capabilities are
    /// ignored.
    public var noNewPrivileges: Bool
    /// The compiled filter; nil with `seccomp=unconfined`.
    public var seccomp: SeccompProgram?
    /// Where the filter comes from, for messages: `builtin`, `unconfined`, or the profile's path.
    public var seccompSource: String

    public init(identity: UserIdentity?, capabilities: CapabilitySets, dropsBoundingSet: Bool, lastCapability: Int,
                noNewPrivileges: Bool, seccomp: SeccompProgram?, seccompSource: String) {
        self.identity = identity
        self.capabilities = capabilities
        self.dropsBoundingSet = dropsBoundingSet
        self.lastCapability = lastCapability
        self.noNewPrivileges = noNewPrivileges
        self.seccomp = seccomp
        self.seccompSource = seccompSource
    }

    /// One line for the terminal and the history:
    /// `user nobody (uid 65534, gid 65534, groups 65534); capabilities NET_BIND_SERVICE (ambient); no_new_privs; seccomp builtin (1238 instructions)`.
    public var summary: String {
        var parts: [String] = []
        parts.append("user " + (identity?.description ?? "as berth"))
        let sets = capabilities
        if sets.effective == sets.bounding, sets.ambient.isEmpty {
            parts.append("capabilities " + sets.effective.description)
        } else {
            parts.append("capabilities " + sets.effective.description + (sets.ambient.isEmpty ? "" : " (ambient)")
                + ", bounding " + sets.bounding.description)
        }
        parts.append(noNewPrivileges ? "no_new_privs" : "no_new_privs off")
        if let seccomp {
            parts.append("seccomp \(seccompSource) (\(seccomp.instructionCount) instructions)")
        } else {
            parts.append("seccomp unconfined")
        }
        return parts.joined(separator: "; ")
    }
}

/// Why a service cannot be confined as its stack says; nothing starts.
public enum ConfinementError: Error, Equatable, Sendable, CustomStringConvertible {
    /// `user` cannot be resolved.
    case user(String, UserResolutionError)
    /// A `user` is given, but berth lacks CAP_SETUID or CAP_SETGID to switch to it.
    case cannotSwitchUser(String)
    /// The seccomp profile cannot be read, parsed or compiled.
    case seccomp(SeccompProfileError)

    public var description: String {
        switch self {
        case let .user(text, error): return "user \"\(text)\": \(error)"
        case let .cannotSwitchUser(text):
            return "user \"\(text)\": berth cannot switch users without CAP_SETUID and CAP_SETGID (run it as root)"
        case let .seccomp(error): return "seccomp profile \(error)"
        }
    }
}

/// Makes ``ConfinementPlan``s, and checks stacks as they load (``MachineChecks``).
///
/// One planner serves a whole `berth up`: the load-time checks and the supervisor's preparation
/// share its compiled filters, so each distinct (profile, capabilities, strictness) is compiled
/// once, and services with the same settings share one program.
public final class ConfinementPlanner: MachineChecks {
    private let users: any UserDatabase
    /// Whether loading checks `user` values (``MachineChecks``).
    private let checksUsers: Bool
    private let host: CapabilityHost
    /// berth's effective uid: a service without `user` runs as it.
    private let berthUID: UInt32
    private let compiled = Mutex<[CacheKey: Result<Compiled, SeccompProfileError>]>([:])
    /// How many profiles were compiled (not taken from the cache); for tests.
    var compilations: Int { compiled.withLock { $0.count } }

    private struct CacheKey: Hashable {
        var source: String
        var capabilities: CapabilitySet
        var strict: Bool
    }

    private struct Compiled {
        var program: SeccompProgram
        var warnings: [String]
    }

    /// - Parameters:
    ///   - users: where `user` values are resolved.
    ///   - checksUsers: whether loading a stack checks its `user` values (`up`), or leaves them
    ///     to the machine that runs it (`config` and `budget`).
    ///   - host: the kernel's capabilities and berth's own.
    ///   - berthUID: the uid services without `user` run as.
    public init(users: any UserDatabase = SystemUserDatabase(), checksUsers: Bool = true, host: CapabilityHost = .current(),
                berthUID: UInt32 = geteuid()) {
        self.users = users
        self.checksUsers = checksUsers
        self.host = host
        self.berthUID = berthUID
    }

    /// The plan for one service: its user resolved, its capability sets, its filter compiled.
    /// Warnings (capabilities berth cannot give) go to `warnings`.
    public func plan(for service: Service) throws(ConfinementError) -> (plan: ConfinementPlan, warnings: [String]) {
        var identity: UserIdentity?
        if let text = service.user {
            do {
                identity = try UserIdentity.resolve(text, in: users)
            } catch {
                throw .user(text, error)
            }
            let setuid = Capability.number(of: "SETUID") ?? 7, setgid = Capability.number(of: "SETGID") ?? 6
            guard host.effective.contains(setuid), host.effective.contains(setgid) else { throw .cannotSwitchUser(text) }
        }
        let runsAsRoot = (identity?.uid ?? berthUID) == 0
        let security = service.security
        let sets = CapabilitySets.resolve(add: security.capAdd, drop: security.capDrop, runsAsRoot: runsAsRoot, host: host)
        var warnings: [String] = []
        if !sets.unavailable.isEmpty {
            warnings.append("cap_add: berth does not hold \(sets.unavailable), so the service runs without "
                + (sets.unavailable.count == 1 ? "it" : "them"))
        }
        let program: SeccompProgram?
        let source: String
        switch security.seccomp {
        case .unconfined:
            program = nil
            source = "unconfined"
        case .builtin:
            // The built-in profile names system calls newer than older libseccomps on purpose:
            // its warnings are known (docs/seccomp.md) and not shown.
            program = try compile(.builtin, source: SeccompProfile.builtinName, capabilities: sets.service, strict: false).program
            source = "builtin"
        case let .profile(path):
            let result = try compile(path: path, displayName: path, capabilities: sets.service,
                                     strict: service.berth.seccompStrict)
            program = result.program
            source = path
        }
        let plan = ConfinementPlan(identity: identity, capabilities: sets, dropsBoundingSet: host.canDropBoundingSet,
                                   lastCapability: host.lastCapability, noNewPrivileges: security.noNewPrivileges,
                                   seccomp: program, seccompSource: source)
        return (plan, warnings)
    }

    // MARK: - MachineChecks

    public func problem(withUser user: String, of service: Service) -> String? {
        guard checksUsers else { return nil }
        do {
            _ = try UserIdentity.resolve(user, in: users)
            return nil
        } catch {
            return error.description
        }
    }

    public func findings(inSeccompProfile path: String, displayName: String,
                         of service: Service) -> (errors: [String], warnings: [String]) {
        let runsAsRoot: Bool
        if let text = service.user, let identity = try? UserIdentity.resolve(text, in: users) {
            runsAsRoot = identity.isRoot
        } else {
            runsAsRoot = service.user == nil && berthUID == 0
        }
        let sets = CapabilitySets.resolve(add: service.security.capAdd, drop: service.security.capDrop,
                                          runsAsRoot: runsAsRoot, host: host)
        do {
            let result = try compile(path: path, displayName: displayName, capabilities: sets.service,
                                     strict: service.berth.seccompStrict)
            return ([], result.warnings)
        } catch {
            // At its key the message needs no "seccomp profile" before the file's name.
            if case let .seccomp(problem) = error { return ([problem.description], []) }
            return ([error.description], [])
        }
    }

    // MARK: - Compiling, once

    private func compile(path: String, displayName: String, capabilities: CapabilitySet,
                         strict: Bool) throws(ConfinementError) -> Compiled {
        try compiling(CacheKey(source: path, capabilities: capabilities, strict: strict)) { () throws(SeccompProfileError) in
            try SeccompProfile.load(path: path, displayName: displayName)
        }
    }

    private func compile(_ profile: SeccompProfile, source: String, capabilities: CapabilitySet,
                         strict: Bool) throws(ConfinementError) -> Compiled {
        try compiling(CacheKey(source: source, capabilities: capabilities, strict: strict)) { () throws(SeccompProfileError) in profile }
    }

    private func compiling(_ key: CacheKey,
                           _ profile: () throws(SeccompProfileError) -> SeccompProfile) throws(ConfinementError) -> Compiled {
        if let cached = compiled.withLock({ $0[key] }) {
            switch cached {
            case let .success(result): return result
            case let .failure(error): throw .seccomp(error)
            }
        }
        let result: Result<Compiled, SeccompProfileError>
        do {
            let loaded = try profile()
            let output = try loaded.compile(capabilities: Set(key.capabilities.names), strict: key.strict)
            result = .success(Compiled(program: output.program, warnings: output.warnings))
        } catch {
            result = .failure(error)
        }
        compiled.withLock { $0[key] = result }
        switch result {
        case let .success(value): return value
        case let .failure(error): throw .seccomp(error)
        }
    }
}
