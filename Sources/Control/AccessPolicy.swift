import CLinux
import Glibc

/// Who may use the control socket: root, the user berth runs as, and members of the group
/// `berth` when it exists. The socket's file mode says the same (0660 root:berth, else 0600);
/// the peer credentials of every connection are checked too, so that a loosened mode does not
/// widen access.
public struct AccessPolicy: Sendable {
    public static let groupName = "berth"

    /// The `berth` group's id, when the group exists.
    public let group: gid_t?
    private let owner: uid_t

    public init() {
        owner = geteuid()
        var entry = group_struct()
        var result: UnsafeMutablePointer<group_struct>?
        var buffer = [CChar](repeating: 0, count: 4096)
        getgrnam_r(Self.groupName, &entry, &buffer, buffer.count, &result)
        group = result == nil ? nil : entry.gr_gid
    }

    public func allows(uid: uid_t) -> Bool {
        if uid == 0 || uid == owner { return true }
        guard let group else { return false }
        return clinux_user_in_group(uid, group) != 0
    }

    /// Sets the socket file's owner and mode to match the policy.
    public func protect(socketPath: String) {
        if let group, geteuid() == 0 {
            chown(socketPath, 0, group)
            chmod(socketPath, 0o660)
        } else {
            chmod(socketPath, 0o600)
        }
    }
}

private typealias group_struct = group
