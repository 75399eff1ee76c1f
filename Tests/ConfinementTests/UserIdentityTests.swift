import Confinement
import Testing

/// `user` values resolved as Docker resolves them, against a fixed user database.
@Suite struct UserIdentityTests {
    private let users = UserTable(
        passwd: """
            root:x:0:0:root:/root:/bin/bash
            www-data:x:33:33:www-data:/var/www:/usr/sbin/nologin
            app:x:1000:1000:App:/srv/app:/bin/sh
            nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin
            """,
        group: """
            root:x:0:
            www-data:x:33:
            staff:x:50:app,www-data
            docker:x:999:app
            app:x:1000:
            nogroup:x:65534:
            """)

    private func resolve(_ text: String) throws(UserResolutionError) -> UserIdentity {
        try UserIdentity.resolve(text, in: users)
    }

    @Test func aNameGetsItsPrimaryGroupAndEveryGroupListingIt() throws {
        #expect(try resolve("app") == UserIdentity(uid: 1000, gid: 1000, groups: [1000, 50, 999], name: "app"))
        #expect(try resolve("www-data") == UserIdentity(uid: 33, gid: 33, groups: [33, 50], name: "www-data"))
        #expect(try resolve("root").isRoot)
    }

    @Test func aKnownUidIsThatAccount() throws {
        #expect(try resolve("1000") == resolve("app"))
        #expect(try resolve("0") == resolve("root"))
    }

    @Test func anUnknownUidRunsWithGroupZeroAsInDocker() throws {
        #expect(try resolve("4242") == UserIdentity(uid: 4242, gid: 0))
        #expect(try resolve("4242:4242") == UserIdentity(uid: 4242, gid: 4242))
    }

    @Test func anExplicitGroupReplacesTheSupplementaryGroups() throws {
        #expect(try resolve("app:staff") == UserIdentity(uid: 1000, gid: 50, groups: [], name: "app"))
        #expect(try resolve("33:50") == UserIdentity(uid: 33, gid: 50, groups: [], name: "www-data"))
        // A numeric group need not exist.
        #expect(try resolve("app:4242").gid == 4242)
    }

    @Test func unknownNamesAreErrors() {
        #expect(throws: UserResolutionError.unknownUser("ghost")) { try resolve("ghost") }
        #expect(throws: UserResolutionError.unknownGroup("ghosts")) { try resolve("app:ghosts") }
        #expect(UserResolutionError.unknownUser("ghost").description
            == "no user \"ghost\" on this machine (create it, or give a numeric uid)")
        #expect(UserResolutionError.unknownGroup("ghosts").description
            == "no group \"ghosts\" on this machine (create it, or give a numeric gid)")
    }

    @Test func malformedValues() {
        for text in ["", ":app", "app:", "a:b:c", "my user"] {
            #expect(throws: UserResolutionError.malformed(text), "\(text)") { try resolve(text) }
        }
        #expect(throws: UserResolutionError.idOutOfRange("4294967295")) { try resolve("4294967295") }
        #expect(throws: UserResolutionError.idOutOfRange("99999999999")) { try resolve("app:99999999999") }
        #expect(UserResolutionError.malformed("a:b:c").description
            == "\"a:b:c\" is not a user (a name or uid, optionally followed by :group or :gid)")
    }

    @Test func theSystemDatabaseKnowsRoot() throws {
        let root = try UserIdentity.resolve("root", in: SystemUserDatabase())
        #expect(root.uid == 0 && root.gid == 0 && root.name == "root")
        #expect(root.groups.contains(0))
    }
}
