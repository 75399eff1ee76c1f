#if canImport(Glibc)
import Glibc
#endif

extension SeccompProfile {
    /// Reads and parses a profile file. Messages name it `displayName` (default: `path`).
    public static func load(path: String, displayName: String? = nil) throws(SeccompProfileError) -> SeccompProfile {
        let name = displayName ?? path
        let bytes: [UInt8]
        do {
            bytes = try readSeccompFile(path)
        } catch let code {
            throw SeccompProfileError(kind: .unreadable(errno: code.value), file: name, path: "",
                                      message: "cannot read: \(seccompErrorText(code.value))")
        }
        return try parse(json: bytes, file: name)
    }

    /// Parses a profile from JSON text; `file` names it in messages.
    public static func parse(json: String, file: String) throws(SeccompProfileError) -> SeccompProfile {
        try parse(json: Array(json.utf8), file: file)
    }

    /// Parses a profile from UTF-8 JSON; `file` names it in messages.
    public static func parse(json: [UInt8], file: String) throws(SeccompProfileError) -> SeccompProfile {
        let root: SeccompJSON
        do {
            root = try SeccompJSONReader.parse(json)
        } catch {
            throw SeccompProfileError(kind: .syntax(line: error.line), file: file, path: "", message: error.message)
        }
        return try SeccompProfileDecoder(file: file).profile(root)
    }
}

struct SeccompFileError: Error { var value: Int32 }

/// The whole file, read with open(2)/read(2) (no Foundation needed).
func readSeccompFile(_ path: String) throws(SeccompFileError) -> [UInt8] {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { throw SeccompFileError(value: errno) }
    defer { close(fd) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 65536)
    while true {
        let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if count < 0 {
            if errno == EINTR { continue }
            throw SeccompFileError(value: errno)
        }
        if count == 0 { return bytes }
        bytes.append(contentsOf: chunk[0..<count])
    }
}

/// Turns parsed JSON into a ``SeccompProfile``, naming the JSON path of every problem.
struct SeccompProfileDecoder {
    typealias Rule = SeccompProfile.Rule
    typealias Action = SeccompProfile.Action
    typealias Argument = SeccompProfile.Argument
    typealias Filter = SeccompProfile.Filter
    typealias ArchitectureMap = SeccompProfile.ArchitectureMap
    typealias FilterFlags = SeccompProfile.FilterFlags
    typealias Comparison = SeccompProfile.Comparison
    typealias KernelVersion = SeccompProfile.KernelVersion

    let file: String

    private static let profileKeys = ["defaultAction", "defaultErrnoRet", "architectures", "archMap", "syscalls",
                                      "flags", "listenerPath", "listenerMetadata", "comment"]
    private static let ruleKeys = ["names", "name", "action", "errnoRet", "args", "includes", "excludes", "comment"]
    private static let argumentKeys = ["index", "value", "valueTwo", "op"]
    private static let filterKeys = ["caps", "arches", "minKernel"]
    private static let archMapKeys = ["architecture", "subArchitectures"]

    func profile(_ root: SeccompJSON) throws(SeccompProfileError) -> SeccompProfile {
        guard case let .object(members) = root else {
            throw .invalid(file, "", "a seccomp profile is a JSON object, found \(root.kind)")
        }
        let top = try fields(members, at: "", allowed: Self.profileKeys, what: "a profile")

        guard let actionValue = top["defaultAction"] else {
            throw .invalid(file, "defaultAction", "missing (every profile needs a default action)")
        }
        let defaultAction = try action(actionValue, errnoRet: top["defaultErrnoRet"],
                                       at: "defaultAction", errnoPath: "defaultErrnoRet")

        if top["architectures"] != nil && top["archMap"] != nil {
            throw .invalid(file, "", "\"architectures\" and \"archMap\" cannot both be given (use one of them)")
        }
        let architectures = try stringArray(top["architectures"], at: "architectures")
        for (index, name) in architectures.enumerated() {
            try architecture(name, at: "architectures[\(index)]")
        }
        let archMap = try self.archMap(top["archMap"])

        var flags: FilterFlags = []
        for (index, name) in try stringArray(top["flags"], at: "flags").enumerated() {
            guard let flag = FilterFlags.names.first(where: { $0.0 == name })?.1 else {
                let known = FilterFlags.names.map(\.0).joined(separator: ", ")
                throw .invalid(file, "flags[\(index)]", "\"\(name)\" is not a seccomp filter flag (\(known))")
            }
            flags.insert(flag)
        }
        _ = try optionalString(top["listenerPath"], at: "listenerPath")
        _ = try optionalString(top["listenerMetadata"], at: "listenerMetadata")
        _ = try optionalString(top["comment"], at: "comment")

        var rules: [Rule] = []
        for (index, element) in try array(top["syscalls"], at: "syscalls").enumerated() {
            rules.append(try rule(element, position: index))
        }
        return SeccompProfile(file: file, defaultAction: defaultAction, architectures: architectures,
                              archMap: archMap, flags: flags, syscalls: rules)
    }

    // MARK: - Parts

    private func rule(_ value: SeccompJSON, position: Int) throws(SeccompProfileError) -> Rule {
        let path = "syscalls[\(position)]"
        let members = try object(value, at: path)
        let rule = try fields(members, at: path, allowed: Self.ruleKeys, what: "a rule")

        let names: [String]
        switch (rule["name"], rule["names"]) {
        case (_?, _?):
            throw .invalid(file, path, "\"name\" and \"names\" cannot both be given (use \"names\")")
        case let (name?, nil):
            guard case let .string(text) = name else {
                throw .invalid(file, path + ".name", "expected a string, found \(name.kind)")
            }
            if text.isEmpty { throw .invalid(file, path + ".name", "empty system-call name") }
            names = [text]
        case let (nil, list?):
            names = try stringArray(list, at: path + ".names")
            if names.isEmpty {
                throw .invalid(file, path + ".names", "empty (a rule names at least one system call)")
            }
            if let index = names.firstIndex(of: "") {
                throw .invalid(file, path + ".names[\(index)]", "empty system-call name")
            }
        case (nil, nil):
            throw .invalid(file, path, "no \"names\" (a rule names the system calls it applies to)")
        }

        guard let actionValue = rule["action"] else {
            throw .invalid(file, path + ".action", "missing (every rule needs an action)")
        }
        let action = try self.action(actionValue, errnoRet: rule["errnoRet"],
                                     at: path + ".action", errnoPath: path + ".errnoRet")

        var arguments: [Argument] = []
        for (index, element) in try array(rule["args"], at: path + ".args").enumerated() {
            arguments.append(try argument(element, at: path + ".args[\(index)]"))
        }
        _ = try optionalString(rule["comment"], at: path + ".comment")

        return Rule(names: names, action: action, args: arguments,
                    includes: try filter(rule["includes"], at: path + ".includes"),
                    excludes: try filter(rule["excludes"], at: path + ".excludes"),
                    position: position)
    }

    private func action(_ value: SeccompJSON, errnoRet: SeccompJSON?, at path: String,
                        errnoPath: String) throws(SeccompProfileError) -> Action {
        guard case let .string(name) = value else {
            throw .invalid(file, path, "expected a string, found \(value.kind)")
        }
        let code = try errnoRet.map { (value) throws(SeccompProfileError) in try unsigned(value, at: errnoPath) }
        func noErrno(_ action: Action) throws(SeccompProfileError) -> Action {
            if code != nil {
                throw .invalid(file, errnoPath, "\(name) takes no errno (only SCMP_ACT_ERRNO and SCMP_ACT_TRACE do)")
            }
            return action
        }
        switch name {
        case "SCMP_ACT_ALLOW": return try noErrno(.allow)
        case "SCMP_ACT_KILL", "SCMP_ACT_KILL_THREAD": return try noErrno(.killThread)
        case "SCMP_ACT_KILL_PROCESS": return try noErrno(.killProcess)
        case "SCMP_ACT_TRAP": return try noErrno(.trap)
        case "SCMP_ACT_LOG": return try noErrno(.log)
        case "SCMP_ACT_ERRNO":
            // libseccomp keeps 16 bits; the kernel caps the errno at 4095 (MAX_ERRNO).
            let errno = code ?? UInt64(EPERM)
            guard errno <= 65535 else {
                throw .invalid(file, errnoPath, "\(errno) is out of range (SCMP_ACT_ERRNO takes 0 to 65535)")
            }
            return .errno(UInt16(errno))
        case "SCMP_ACT_TRACE":
            let message = code ?? UInt64(EPERM)
            guard message <= 65535 else {
                throw .invalid(file, errnoPath, "\(message) is out of range (SCMP_ACT_TRACE takes 0 to 65535)")
            }
            return .trace(UInt16(message))
        case "SCMP_ACT_NOTIFY":
            throw .invalid(file, path, "SCMP_ACT_NOTIFY is not supported: it needs a listener process and berth "
                + "has none (use SCMP_ACT_ERRNO, SCMP_ACT_LOG or SCMP_ACT_KILL_PROCESS)")
        default:
            throw .invalid(file, path, "\"\(name)\" is not a seccomp action (\(Action.names.joined(separator: ", ")))")
        }
    }

    private func argument(_ value: SeccompJSON, at path: String) throws(SeccompProfileError) -> Argument {
        let argument = try fields(try object(value, at: path), at: path, allowed: Self.argumentKeys,
                                  what: "an argument condition")
        guard let indexValue = argument["index"] else {
            throw .invalid(file, path + ".index", "missing (the argument's position, 0 to 5)")
        }
        let index = try unsigned(indexValue, at: path + ".index")
        guard index <= 5 else {
            throw .invalid(file, path + ".index", "\(index) is out of range (a system call has arguments 0 to 5)")
        }
        guard let valueValue = argument["value"] else {
            throw .invalid(file, path + ".value", "missing (the value to compare the argument with)")
        }
        let first = try unsigned(valueValue, at: path + ".value")
        let second = try argument["valueTwo"].map { (value) throws(SeccompProfileError) in
            try unsigned(value, at: path + ".valueTwo")
        } ?? 0
        guard let opValue = argument["op"] else {
            throw .invalid(file, path + ".op", "missing (a comparison such as SCMP_CMP_EQ)")
        }
        guard case let .string(opName) = opValue else {
            throw .invalid(file, path + ".op", "expected a string, found \(opValue.kind)")
        }
        guard let op = Comparison(rawValue: opName) else {
            let known = Comparison.allCases.map(\.rawValue).joined(separator: ", ")
            throw .invalid(file, path + ".op", "\"\(opName)\" is not a comparison (\(known))")
        }
        return Argument(index: Int(index), value: first, valueTwo: second, op: op)
    }

    private func filter(_ value: SeccompJSON?, at path: String) throws(SeccompProfileError) -> Filter {
        guard let value, value != .null else { return Filter() }
        let filter = try fields(try object(value, at: path), at: path, allowed: Self.filterKeys, what: "a filter")
        var minKernel: KernelVersion?
        if let text = try optionalString(filter["minKernel"], at: path + ".minKernel") {
            guard let version = KernelVersion(minKernel: text) else {
                throw .invalid(file, path + ".minKernel",
                               "\"\(text)\" is not a kernel version (major.minor, for example \"4.8\")")
            }
            minKernel = version
        }
        return Filter(caps: try stringArray(filter["caps"], at: path + ".caps"),
                      arches: try stringArray(filter["arches"], at: path + ".arches"),
                      minKernel: minKernel)
    }

    private func archMap(_ value: SeccompJSON?) throws(SeccompProfileError) -> [ArchitectureMap] {
        var maps: [ArchitectureMap] = []
        for (index, element) in try array(value, at: "archMap").enumerated() {
            let path = "archMap[\(index)]"
            let entry = try fields(try object(element, at: path), at: path, allowed: Self.archMapKeys,
                                   what: "an archMap entry")
            guard let name = try optionalString(entry["architecture"], at: path + ".architecture") else {
                throw .invalid(file, path + ".architecture", "missing (the native architecture of this entry)")
            }
            try architecture(name, at: path + ".architecture")
            let subArchitectures = try stringArray(entry["subArchitectures"], at: path + ".subArchitectures")
            for (subIndex, subName) in subArchitectures.enumerated() {
                try architecture(subName, at: path + ".subArchitectures[\(subIndex)]")
            }
            maps.append(ArchitectureMap(architecture: name, subArchitectures: subArchitectures))
        }
        return maps
    }

    private func architecture(_ name: String, at path: String) throws(SeccompProfileError) {
        guard SeccompProfile.architectureNames.contains(name) else {
            throw .invalid(file, path, "\"\(name)\" is not a seccomp architecture (libseccomp's SCMP_ARCH_* names: "
                + "SCMP_ARCH_X86_64, SCMP_ARCH_X86, SCMP_ARCH_X32, SCMP_ARCH_AARCH64, SCMP_ARCH_ARM, ...)")
        }
    }

    // MARK: - JSON shapes

    /// An object's members by key, refusing duplicate and unknown keys. `null` counts as absent.
    private struct Fields {
        var values: [String: SeccompJSON]
        subscript(key: String) -> SeccompJSON? { values[key] }
    }

    private func fields(_ members: [SeccompJSONMember], at path: String, allowed: [String],
                        what: String) throws(SeccompProfileError) -> Fields {
        var values: [String: SeccompJSON] = [:]
        var seen: Set<String> = []
        for member in members {
            let memberPath = path.isEmpty ? member.key : path + "." + member.key
            guard allowed.contains(member.key) else {
                throw .invalid(file, memberPath, "unknown key (\(what) has \(allowed.joined(separator: ", ")))")
            }
            guard seen.insert(member.key).inserted else {
                throw .invalid(file, memberPath, "duplicate key")
            }
            if member.value != .null { values[member.key] = member.value }
        }
        return Fields(values: values)
    }

    private func object(_ value: SeccompJSON, at path: String) throws(SeccompProfileError) -> [SeccompJSONMember] {
        guard case let .object(members) = value else {
            throw .invalid(file, path, "expected an object, found \(value.kind)")
        }
        return members
    }

    private func array(_ value: SeccompJSON?, at path: String) throws(SeccompProfileError) -> [SeccompJSON] {
        guard let value else { return [] }
        guard case let .array(elements) = value else {
            throw .invalid(file, path, "expected an array, found \(value.kind)")
        }
        return elements
    }

    private func stringArray(_ value: SeccompJSON?, at path: String) throws(SeccompProfileError) -> [String] {
        var strings: [String] = []
        for (index, element) in try array(value, at: path).enumerated() {
            guard case let .string(text) = element else {
                throw .invalid(file, "\(path)[\(index)]", "expected a string, found \(element.kind)")
            }
            strings.append(text)
        }
        return strings
    }

    private func optionalString(_ value: SeccompJSON?, at path: String) throws(SeccompProfileError) -> String? {
        guard let value else { return nil }
        guard case let .string(text) = value else {
            throw .invalid(file, path, "expected a string, found \(value.kind)")
        }
        return text
    }

    /// A non-negative integer that fits in 64 bits, written without fraction or exponent.
    private func unsigned(_ value: SeccompJSON, at path: String) throws(SeccompProfileError) -> UInt64 {
        guard case let .number(text) = value else {
            throw .invalid(file, path, "expected a non-negative integer, found \(value.kind)")
        }
        guard text.allSatisfy({ $0.isASCII && $0.isNumber }) else {
            throw .invalid(file, path, "expected a non-negative integer, found \(text)")
        }
        guard let number = UInt64(text) else {
            throw .invalid(file, path, "\(text) does not fit in 64 bits")
        }
        return number
    }
}
