import Glibc

/// Who a service runs as: the ids its child passes to `setgroups`, `setresgid` and `setresuid`.
/// Resolved in berth before anything starts, because the child cannot read the user database
/// (NSS allocates, takes locks and may load modules: none of that is safe between fork and exec).
public struct UserIdentity: Equatable, Sendable, CustomStringConvertible {
    public var uid: UInt32
    public var gid: UInt32
    /// Supplementary groups; empty drops every group berth has.
    public var groups: [UInt32]
    /// The account's name when the user database has one (for messages).
    public var name: String?

    public init(uid: UInt32, gid: UInt32, groups: [UInt32] = [], name: String? = nil) {
        self.uid = uid
        self.gid = gid
        self.groups = groups
        self.name = name
    }

    public var isRoot: Bool { uid == 0 }

    /// `nobody (uid 65534, gid 65534, groups 65534)`.
    public var description: String {
        let groupsText = groups.isEmpty ? "no supplementary groups" : "groups " + groups.map(String.init).joined(separator: ",")
        return (name.map { "\($0) " } ?? "") + "(uid \(uid), gid \(gid), \(groupsText))"
    }

    /// Resolves a compose `user` value as Docker (runc's `GetExecUser`) does:
    ///
    /// - `name`: the account's uid and primary group, and every group that lists it
    ///   (`getgrouplist`, as `initgroups` would);
    /// - `uid`: the same when an account has that uid; otherwise that uid with gid 0 and no
    ///   supplementary groups, as Docker runs an unknown numeric uid;
    /// - `user:group` (either part a name or a number): that primary group and **no**
    ///   supplementary groups (runc: they "only make sense in the implicit form"). A numeric
    ///   group need not exist; a group name must.
    ///
    /// A user or group name the database does not know is an error.
    public static func resolve(_ text: String, in database: some UserDatabase) throws(UserResolutionError) -> UserIdentity {
        let specification = try UserSpecification(parsing: text)
        let account: UserAccount?
        switch specification.user {
        case let .name(name):
            guard let found = database.user(named: name) else { throw .unknownUser(name) }
            account = found
        case let .id(uid):
            account = database.user(id: uid)
        }
        var identity: UserIdentity
        switch (account, specification.user) {
        case let (account?, _): identity = UserIdentity(uid: account.uid, gid: account.gid, name: account.name)
        case let (nil, .id(uid)): identity = UserIdentity(uid: uid, gid: 0)
        case let (nil, .name(name)): throw .unknownUser(name)
        }
        switch specification.group {
        case let .name(name)?:
            guard let gid = database.group(named: name) else { throw .unknownGroup(name) }
            identity.gid = gid
        case let .id(gid)?:
            identity.gid = gid
        case nil:
            if let account { identity.groups = database.groups(of: account.name, primary: account.gid) }
        }
        return identity
    }
}

/// A `user` value taken apart: a user and an optional group, each a name or a number.
public struct UserSpecification: Equatable, Sendable {
    public enum Part: Equatable, Sendable {
        case name(String)
        case id(UInt32)
    }

    public var user: Part
    public var group: Part?

    /// `www-data`, `33`, `www-data:www-data`, `33:33`, `app:1000`.
    public init(parsing text: String) throws(UserResolutionError) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard parts.count <= 2, !parts[0].isEmpty, parts.count == 1 || !parts[1].isEmpty else {
            throw .malformed(text)
        }
        user = try Self.part(parts[0], in: text)
        group = parts.count == 2 ? try Self.part(parts[1], in: text) : nil
    }

    /// A number is an id (0 to 4294967294; -1 means "unchanged" to the kernel); anything else a name.
    private static func part(_ text: String, in whole: String) throws(UserResolutionError) -> Part {
        if text.allSatisfy({ $0.isASCII && $0.isNumber }) {
            guard let id = UInt32(text), id != UInt32.max else { throw .idOutOfRange(text) }
            return .id(id)
        }
        guard !text.contains(where: { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\0" }) else {
            throw .malformed(whole)
        }
        return .name(text)
    }
}

/// Why a `user` value cannot be run as; the text is what the user reads after the key.
public enum UserResolutionError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Not `user` or `user:group`.
    case malformed(String)
    /// A uid or gid the kernel cannot take.
    case idOutOfRange(String)
    /// No account with this name.
    case unknownUser(String)
    /// No group with this name.
    case unknownGroup(String)

    public var description: String {
        switch self {
        case let .malformed(text):
            return "\"\(text)\" is not a user (a name or uid, optionally followed by :group or :gid)"
        case let .idOutOfRange(text):
            return "\(text) is not a valid id (0 to 4294967294)"
        case let .unknownUser(name):
            return "no user \"\(name)\" on this machine (create it, or give a numeric uid)"
        case let .unknownGroup(name):
            return "no group \"\(name)\" on this machine (create it, or give a numeric gid)"
        }
    }
}

/// One account of the user database.
public struct UserAccount: Equatable, Sendable {
    public var name: String
    public var uid: UInt32
    /// The primary group.
    public var gid: UInt32

    public init(name: String, uid: UInt32, gid: UInt32) {
        self.name = name
        self.uid = uid
        self.gid = gid
    }
}

/// Where users and groups are looked up: the system's (``SystemUserDatabase``), or a fixed
/// table (``UserTable``) so that tests do not depend on this machine's `/etc/passwd`.
public protocol UserDatabase: Sendable {
    func user(named name: String) -> UserAccount?
    func user(id: UInt32) -> UserAccount?
    func group(named name: String) -> UInt32?
    /// Every group `name` belongs to, `primary` included, as `getgrouplist(3)` lists them.
    func groups(of name: String, primary: UInt32) -> [UInt32]
}

/// The machine's user database through glibc (`getpwnam_r`, `getpwuid_r`, `getgrnam_r`,
/// `getgrouplist`): files, or whatever NSS is configured with.
public struct SystemUserDatabase: UserDatabase {
    public init() {}

    public func user(named name: String) -> UserAccount? {
        lookUpPasswd { entry, buffer, size, result in getpwnam_r(name, &entry, buffer, size, &result) }
    }

    public func user(id: UInt32) -> UserAccount? {
        lookUpPasswd { entry, buffer, size, result in getpwuid_r(id, &entry, buffer, size, &result) }
    }

    public func group(named name: String) -> UInt32? {
        var size = 1024
        while size <= 1 << 20 {
            var entry = Glibc.group()
            var result: UnsafeMutablePointer<Glibc.group>?
            var buffer = [CChar](repeating: 0, count: size)
            let code = getgrnam_r(name, &entry, &buffer, size, &result)
            if code == ERANGE { size *= 4; continue }
            guard code == 0, result != nil else { return nil }
            return entry.gr_gid
        }
        return nil
    }

    public func groups(of name: String, primary: UInt32) -> [UInt32] {
        var count: Int32 = 32
        while true {
            var list = [gid_t](repeating: 0, count: Int(count))
            var wanted = count
            if getgrouplist(name, primary, &list, &wanted) >= 0 {
                return Array(list.prefix(Int(wanted)))
            }
            // -1: the list was too small; `wanted` now says how many there are.
            guard wanted > count else { return [primary] }
            count = wanted
        }
    }

    private func lookUpPasswd(_ call: (inout passwd, UnsafeMutablePointer<CChar>, Int,
                                       inout UnsafeMutablePointer<passwd>?) -> Int32) -> UserAccount? {
        var size = 1024
        while size <= 1 << 20 {
            var entry = passwd()
            var result: UnsafeMutablePointer<passwd>?
            var buffer = [CChar](repeating: 0, count: size)
            let code = buffer.withUnsafeMutableBufferPointer { call(&entry, $0.baseAddress!, size, &result) }
            if code == ERANGE { size *= 4; continue }
            guard code == 0, result != nil, let name = entry.pw_name else { return nil }
            return UserAccount(name: String(cString: name), uid: entry.pw_uid, gid: entry.pw_gid)
        }
        return nil
    }
}

/// A user database read from text in the formats of `/etc/passwd` and `/etc/group`: for tests,
/// which must not depend on the accounts of the machine they run on.
public struct UserTable: UserDatabase {
    public var accounts: [UserAccount]
    /// Groups: name, gid, and the users listed as members.
    public var groupEntries: [(name: String, gid: UInt32, members: [String])]

    /// `passwd`: `name:x:uid:gid:gecos:home:shell` lines; `group`: `name:x:gid:member,member`.
    public init(passwd: String, group: String) {
        accounts = passwd.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: ":", omittingEmptySubsequences: false)
            guard fields.count >= 4, let uid = UInt32(fields[2]), let gid = UInt32(fields[3]) else { return nil }
            return UserAccount(name: String(fields[0]), uid: uid, gid: gid)
        }
        groupEntries = group.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: ":", omittingEmptySubsequences: false)
            guard fields.count >= 3, let gid = UInt32(fields[2]) else { return nil }
            let members = fields.count > 3 ? fields[3].split(separator: ",").map(String.init) : []
            return (String(fields[0]), gid, members)
        }
    }

    public func user(named name: String) -> UserAccount? { accounts.first { $0.name == name } }
    public func user(id: UInt32) -> UserAccount? { accounts.first { $0.uid == id } }
    public func group(named name: String) -> UInt32? { groupEntries.first { $0.name == name }?.gid }

    /// The primary group first, then every group listing `name`, each once (glibc's order).
    public func groups(of name: String, primary: UInt32) -> [UInt32] {
        var result = [primary]
        for entry in groupEntries where entry.members.contains(name) && !result.contains(entry.gid) {
            result.append(entry.gid)
        }
        return result
    }
}
