/// Everything that can be wrong with a stack, each case carrying what the user needs to fix it.
///
/// The descriptions are the messages users read; tests assert them word for word.
public enum Problem: Hashable, Sendable, CustomStringConvertible {
    // Files
    case noStackFile(directory: String, candidates: [String])
    case fileNotFound(String)
    case unreadableFile(String, reason: String)
    case invalidYAML(String)
    case emptyFile
    case includeCycle([String])
    case extendsCycle([String])
    case undefinedExtendedService(String, file: String)

    // Shape
    case wrongType(expected: String, found: String)
    case unknownKey(suggestion: String?)
    case unsupportedKey(reason: String)
    case missingKey(String)
    case missingOneOf([String])
    case duplicateItem(String)
    case invalidName(String, rule: String)

    // Values
    case invalidValue(String, expected: ValueKind)
    case outOfRange(String, range: String)
    case conflictingValues(String, String)
    case exclusiveKeys(String, String)
    case missingCommand
    case swapBelowMemory(swap: String, memory: String)
    case swapWithoutMemory
    case startIntervalWithoutStartPeriod
    case relativeURL(String)
    case twoHealthChecks
    case softAboveHard(soft: String, hard: String)
    case reservationAboveLimit(reservation: String, limit: String)
    case memoryHighAboveLimit(high: String, limit: String)
    case reservedServiceName(String, reason: String)
    case samePortForBothColors(Int)
    case deployWithoutHealth
    case healthPathNotAbsolute(String)
    case proxyIsNotAProxy(String)
    case undefinedProxy(String, suggestion: String?)

    // Checks against the machine (users, seccomp profiles); the text says what is wrong
    case unusableUser(String)
    case unusableSeccompProfile(String)
    case seccompProfileNote(String)

    // Interpolation and environment files
    case invalidTemplate(String)
    case requiredVariable(name: String, message: String)
    case unsetVariable(String)
    case invalidEnvFile(String, line: Int, reason: String)

    // Services and their graph
    case undefinedService(String, suggestion: String?)
    case disabledService(String, profiles: [String])
    case dependencyCycle([String])
    case dependencyWithoutHealthCheck(String)
    case optionalDependencyDropped(String, reason: String)
    case unknownProfile(String, known: [String])
    case unknownService(String, suggestion: String?)
    case noServices

    // Notes that do not stop a stack
    case obsoleteVersion
    case restartPolicyOverridesRestart(restart: String)
    case includedServiceConflict(String, file: String)
    case ignoredUnsupportedKey(reason: String)

    public var description: String {
        switch self {
        case let .noStackFile(directory, candidates):
            return "no stack file in \(directory) (looked for \(candidates.joined(separator: ", "))); "
                + "name one with -f"
        case let .fileNotFound(path):
            return "\(path): no such file"
        case let .unreadableFile(path, reason):
            return "\(path): cannot be read: \(reason)"
        case let .invalidYAML(reason):
            return "invalid YAML: \(reason)"
        case .emptyFile:
            return "the file is empty; a stack needs at least a \"services\" mapping"
        case let .includeCycle(chain):
            return "include cycle: \(chain.joined(separator: " -> "))"
        case let .extendsCycle(chain):
            return "extends cycle: \(chain.joined(separator: " -> "))"

        case let .undefinedExtendedService(name, file):
            return "extends service \"\(name)\", which \(file) does not define"
        case let .wrongType(expected, found):
            return "must be \(expected), not \(found)"
        case let .unknownKey(suggestion):
            if let suggestion { return "unknown key (did you mean \"\(suggestion)\"?)" }
            return "unknown key (extension keys must start with \"x-\")"
        case let .unsupportedKey(reason):
            return "not supported: \(reason) (--ignore-unsupported turns this into a warning)"
        case let .missingKey(key):
            return "\"\(key)\" is required"
        case let .missingOneOf(keys):
            return "one of " + keys.map { "\"\($0)\"" }.joined(separator: " or ") + " is required"
        case let .duplicateItem(item):
            return "\"\(item)\" is listed more than once"
        case let .invalidName(name, rule):
            return "\"\(name)\" is not a valid name (\(rule))"

        case let .invalidValue(value, expected):
            return "\"\(value)\" is not \(expected)"
        case let .outOfRange(value, range):
            return "\(value) is out of range (\(range))"
        case let .conflictingValues(first, second):
            return "\(first) and \(second) set different values; keep one of them"
        case let .exclusiveKeys(first, second):
            return "\"\(first)\" and \"\(second)\" cannot be used together; keep one of them"
        case .missingCommand:
            return "needs a \"command\" or an \"entrypoint\": berth runs programs on the host, "
                + "there is no image to supply one"
        case let .swapBelowMemory(swap, memory):
            return "memswap_limit (\(swap)) is memory plus swap, so it must be at least the memory limit (\(memory))"
        case .swapWithoutMemory:
            return "memswap_limit needs a memory limit (mem_limit or deploy.resources.limits.memory)"
        case .startIntervalWithoutStartPeriod:
            return "start_interval needs start_period to be set"
        case let .relativeURL(url):
            return "\"\(url)\" is not an absolute http:// URL"
        case .twoHealthChecks:
            return "a service has either a healthcheck or an x-berth.probe, not both"
        case let .softAboveHard(soft, hard):
            return "the soft limit (\(soft)) is above the hard limit (\(hard))"
        case let .reservationAboveLimit(reservation, limit):
            return "the reservation (\(reservation)) is above the limit (\(limit))"
        case let .memoryHighAboveLimit(high, limit):
            return "memory_high (\(high)) must be below the memory limit (\(limit)) to have any effect"
        case let .reservedServiceName(name, reason):
            return "\"\(name)\" cannot be a service name: \(reason)"

        case let .unusableUser(message), let .unusableSeccompProfile(message), let .seccompProfileNote(message):
            return message

        case let .invalidTemplate(template):
            return "invalid interpolation \"\(template)\" (use $VAR, ${VAR}, ${VAR:-default}, ${VAR:?error}, or $$ for a literal $)"
        case let .requiredVariable(name, message):
            if message.isEmpty { return "required variable \(name) is missing a value" }
            return "required variable \(name) is missing a value: \(message)"
        case let .unsetVariable(name):
            return "the \"\(name)\" variable is not set; it is replaced by an empty string"
        case let .invalidEnvFile(path, line, reason):
            return "\(path):\(line): \(reason)"

        case let .samePortForBothColors(port):
            return "blue and green need two different ports; both are \(port)"
        case .deployWithoutHealth:
            return "berth switches to a new colour only once it is healthy: set health: PATH, or give the service "
                + "a healthcheck or an x-berth.probe"
        case let .healthPathNotAbsolute(text):
            return "\"\(text)\" is not a path (example: /up)"
        case let .proxyIsNotAProxy(name):
            return "\"\(name)\" is not a proxy: give it x-berth.proxy: {kind: nginx, upstreams: FILE, listen: HOST:PORT}"
        case let .undefinedProxy(name, suggestion):
            if let suggestion { return "no such service: \"\(name)\" (did you mean \"\(suggestion)\"?)" }
            return "no such service: \"\(name)\""
        case let .undefinedService(name, suggestion):
            if let suggestion { return "depends on undefined service \"\(name)\" (did you mean \"\(suggestion)\"?)" }
            return "depends on undefined service \"\(name)\""
        case let .disabledService(name, profiles):
            return "depends on service \"\(name)\", which is disabled: enable its profile with "
                + profiles.map { "--profile \($0)" }.joined(separator: " or ")
        case let .dependencyCycle(cycle):
            return "dependency cycle: \(cycle.joined(separator: " -> "))"
        case let .dependencyWithoutHealthCheck(name):
            return "waits for \"\(name)\" to be healthy, but \(name) has no healthcheck or x-berth.probe"
        case let .optionalDependencyDropped(name, reason):
            return "optional dependency \"\(name)\" ignored: \(reason)"
        case let .unknownProfile(name, known):
            if known.isEmpty { return "no service uses profile \"\(name)\" (the stack defines no profiles)" }
            return "no service uses profile \"\(name)\" (profiles: \(known.joined(separator: ", ")))"
        case let .unknownService(name, suggestion):
            if let suggestion { return "no such service: \"\(name)\" (did you mean \"\(suggestion)\"?)" }
            return "no such service: \"\(name)\""
        case .noServices:
            return "the stack defines no services"

        case .obsoleteVersion:
            return "the attribute is obsolete and ignored; remove it"
        case let .restartPolicyOverridesRestart(restart):
            return "deploy.restart_policy overrides restart: \"\(restart)\""
        case let .includedServiceConflict(name, file):
            return "service \"\(name)\" from \(file) is already defined; the included one is ignored"
        case let .ignoredUnsupportedKey(reason):
            return "ignored: \(reason)"
        }
    }
}

/// The kinds of values a stack file holds, named the way the error messages name them.
public enum ValueKind: Hashable, Sendable, CustomStringConvertible {
    case byteValue
    case duration
    case signal
    case integer
    case number
    case boolean
    case restartPolicy
    case restartCondition
    case dependencyCondition
    case capability
    case ulimitName
    case securityOption
    case healthcheckTest
    case probeTarget
    case hostPort
    case shellWords(String)
    case envFileFormat
    case deployStrategy
    case proxyKind

    public var description: String {
        switch self {
        case .byteValue: return "a byte value (examples: 512m, 1g)"
        case .duration: return "a duration (examples: 1m30s, 250ms)"
        case .signal: return "a signal (examples: SIGTERM, SIGINT, 15)"
        case .integer: return "an integer"
        case .number: return "a number"
        case .boolean: return "a boolean (true or false)"
        case .restartPolicy: return "a restart policy (\"no\", always, on-failure[:N], unless-stopped)"
        case .restartCondition: return "a restart condition (none, on-failure, any)"
        case .dependencyCondition:
            return "a condition (service_started, service_healthy, service_completed_successfully)"
        case .capability: return "a Linux capability (examples: NET_BIND_SERVICE, CAP_SYS_PTRACE, ALL)"
        case .ulimitName:
            return "a ulimit name (core, cpu, data, fsize, locks, memlock, msgqueue, nice, nofile, nproc, "
                + "rss, rtprio, rttime, sigpending, stack)"
        case .securityOption:
            return "a security option berth honours (seccomp=PATH, seccomp=unconfined, no-new-privileges[=BOOL])"
        case .healthcheckTest: return "a health check test (a string, or a list starting with CMD, CMD-SHELL or NONE)"
        case .probeTarget: return "a probe target (http: URL or tcp: HOST:PORT)"
        case .hostPort: return "a HOST:PORT address (example: 127.0.0.1:5432)"
        case let .shellWords(reason): return "a command line (\(reason))"
        case .envFileFormat: return "an env_file format (raw, or leave it unset)"
        case .deployStrategy: return "a deploy strategy (blue-green)"
        case .proxyKind: return "a proxy kind (nginx)"
        }
    }
}
