import Foundation
import Testing
import Confinement

/// Malformed profiles: each problem is reported with the file and the JSON path.
@Suite struct SeccompErrorTests {
    /// A profile around one rule.
    private func rule(_ body: String) -> String {
        #"{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [\#(body)]}"#
    }

    @Test func invalidJSONNamesTheLine() {
        let json = """
            {
              "defaultAction": "SCMP_ACT_ALLOW",
              "syscalls": [
                {"names": ["mkdir"] "action": "SCMP_ACT_ERRNO"}
              ]
            }
            """
        #expect(parseError(json)
            == #"profile.json: invalid JSON at line 4: unexpected '"', expected ',' or '}' after the value of "names""#)
        #expect(parseError("") == "profile.json: invalid JSON at line 1: unexpected end of file, expected a value")
        #expect(parseError("{\n\"defaultAction\": \"SCMP_ACT_ALLOW\",\n}")
            == "profile.json: invalid JSON at line 3: unexpected '}', expected a string key")
        #expect(parseError("{\"defaultAction\": \"SCMP_ACT_ALLOW\"} x")
            == "profile.json: invalid JSON at line 1: unexpected 'x' after the end of the document")
        #expect(parseError("{\"defaultAction\": 'SCMP_ACT_ALLOW'}")
            == "profile.json: invalid JSON at line 1: unexpected ''', expected a value")
        #expect(parseError("{\"a\": 01}") == "profile.json: invalid JSON at line 1: invalid number (leading zero)")
        #expect(parseError("{\"a\": \"x\ny\"}") == "profile.json: invalid JSON at line 1: line break in a string (write \\n)")
        #expect(parseError("{\"a\": \"\\q\"}") == "profile.json: invalid JSON at line 1: invalid escape \\q in a string")
        #expect(parseError("[[[[" + String(repeating: "[", count: 300))
            == "profile.json: invalid JSON at line 1: nesting deeper than 256 levels")
    }

    @Test func wrongTypes() {
        #expect(parseError("[]") == "profile.json: a seccomp profile is a JSON object, found an array")
        #expect(parseError(#"{"defaultAction": 1}"#) == "profile.json: defaultAction: expected a string, found a number")
        #expect(parseError(#"{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": {}}"#)
            == "profile.json: syscalls: expected an array, found an object")
        #expect(parseError(rule(#""mkdir""#)) == "profile.json: syscalls[0]: expected an object, found a string")
        #expect(parseError(rule(#"{"names": "mkdir", "action": "SCMP_ACT_ALLOW"}"#))
            == "profile.json: syscalls[0].names: expected an array, found a string")
        #expect(parseError(rule(#"{"names": ["mkdir", 7], "action": "SCMP_ACT_ALLOW"}"#))
            == "profile.json: syscalls[0].names[1]: expected a string, found a number")
        #expect(parseError(rule(#"{"names": ["mkdir"], "action": true}"#))
            == "profile.json: syscalls[0].action: expected a string, found a boolean")
        #expect(parseError(rule(#"{"names": ["socket"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": "1", "op": "SCMP_CMP_EQ"}]}"#))
            == "profile.json: syscalls[0].args[0].value: expected a non-negative integer, found a string")
        #expect(parseError(rule(#"{"names": ["socket"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": -1, "op": "SCMP_CMP_EQ"}]}"#))
            == "profile.json: syscalls[0].args[0].value: expected a non-negative integer, found -1")
        #expect(parseError(rule(#"{"names": ["socket"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0.5, "value": 1, "op": "SCMP_CMP_EQ"}]}"#))
            == "profile.json: syscalls[0].args[0].index: expected a non-negative integer, found 0.5")
        #expect(parseError(rule(#"{"names": ["socket"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 18446744073709551616, "op": "SCMP_CMP_EQ"}]}"#))
            == "profile.json: syscalls[0].args[0].value: 18446744073709551616 does not fit in 64 bits")
        #expect(parseError(rule(#"{"names": ["mkdir"], "action": "SCMP_ACT_ALLOW", "includes": {"caps": "CAP_SYS_ADMIN"}}"#))
            == "profile.json: syscalls[0].includes.caps: expected an array, found a string")
    }

    @Test func unknownActionNamesItsRule() {
        let json = rule("""
            {"names": ["read"], "action": "SCMP_ACT_ALLOW"}, {"names": ["write"], "action": "SCMP_ACT_ALLOW"},
            {"names": ["close"], "action": "SCMP_ACT_ALLOW"}, {"names": ["mkdir"], "action": "SCMP_ACT_MAYBE"}
            """)
        #expect(parseError(json) == """
            profile.json: syscalls[3].action: "SCMP_ACT_MAYBE" is not a seccomp action (SCMP_ACT_ALLOW, \
            SCMP_ACT_ERRNO, SCMP_ACT_KILL, SCMP_ACT_KILL_PROCESS, SCMP_ACT_KILL_THREAD, SCMP_ACT_TRAP, \
            SCMP_ACT_TRACE, SCMP_ACT_LOG)
            """)
        #expect(parseError(#"{"defaultAction": "ALLOW"}"#)?.hasPrefix(
            #"profile.json: defaultAction: "ALLOW" is not a seccomp action (SCMP_ACT_ALLOW, "#) == true)
    }

    @Test func notifyIsRefused() {
        #expect(parseError(rule(#"{"names": ["mkdir"], "action": "SCMP_ACT_NOTIFY"}"#)) == """
            profile.json: syscalls[0].action: SCMP_ACT_NOTIFY is not supported: it needs a listener process \
            and berth has none (use SCMP_ACT_ERRNO, SCMP_ACT_LOG or SCMP_ACT_KILL_PROCESS)
            """)
        #expect(parseError(#"{"defaultAction": "SCMP_ACT_NOTIFY", "listenerPath": "/run/seccomp.sock"}"#)?
            .hasPrefix("profile.json: defaultAction: SCMP_ACT_NOTIFY is not supported") == true)
    }

    @Test func errnoRetOnlyWhereAnErrnoIsTaken() {
        #expect(parseError(rule(#"{"names": ["mkdir"], "action": "SCMP_ACT_ALLOW", "errnoRet": 1}"#))
            == "profile.json: syscalls[0].errnoRet: SCMP_ACT_ALLOW takes no errno (only SCMP_ACT_ERRNO and SCMP_ACT_TRACE do)")
        #expect(parseError(rule(#"{"names": ["mkdir"], "action": "SCMP_ACT_KILL_PROCESS", "errnoRet": 1}"#))
            == "profile.json: syscalls[0].errnoRet: SCMP_ACT_KILL_PROCESS takes no errno (only SCMP_ACT_ERRNO and SCMP_ACT_TRACE do)")
        #expect(parseError(#"{"defaultAction": "SCMP_ACT_ALLOW", "defaultErrnoRet": 1}"#)
            == "profile.json: defaultErrnoRet: SCMP_ACT_ALLOW takes no errno (only SCMP_ACT_ERRNO and SCMP_ACT_TRACE do)")
        #expect(parseError(rule(#"{"names": ["mkdir"], "action": "SCMP_ACT_ERRNO", "errnoRet": 65536}"#))
            == "profile.json: syscalls[0].errnoRet: 65536 is out of range (SCMP_ACT_ERRNO takes 0 to 65535)")
    }

    @Test func badComparisonAndArgumentIndex() {
        #expect(parseError(rule(#"{"names": ["socket"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_EQ"}, {"index": 1, "value": 1, "op": "SCMP_CMP_LIKE"}]}"#)) == """
            profile.json: syscalls[0].args[1].op: "SCMP_CMP_LIKE" is not a comparison (SCMP_CMP_NE, SCMP_CMP_LT, \
            SCMP_CMP_LE, SCMP_CMP_EQ, SCMP_CMP_GE, SCMP_CMP_GT, SCMP_CMP_MASKED_EQ)
            """)
        #expect(parseError(rule(#"{"names": ["socket"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 6, "value": 1, "op": "SCMP_CMP_EQ"}]}"#))
            == "profile.json: syscalls[0].args[0].index: 6 is out of range (a system call has arguments 0 to 5)")
        #expect(parseError(rule(#"{"names": ["socket"], "action": "SCMP_ACT_ALLOW", "args": [{"value": 1, "op": "SCMP_CMP_EQ"}]}"#))
            == "profile.json: syscalls[0].args[0].index: missing (the argument's position, 0 to 5)")
        #expect(parseError(rule(#"{"names": ["socket"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 1}]}"#))
            == "profile.json: syscalls[0].args[0].op: missing (a comparison such as SCMP_CMP_EQ)")
    }

    @Test func nameAndNames() {
        #expect(parseError(rule(#"{"name": "mkdir", "names": ["mkdirat"], "action": "SCMP_ACT_ALLOW"}"#))
            == #"profile.json: syscalls[0]: "name" and "names" cannot both be given (use "names")"#)
        #expect(parseError(rule(#"{"action": "SCMP_ACT_ALLOW"}"#))
            == #"profile.json: syscalls[0]: no "names" (a rule names the system calls it applies to)"#)
        #expect(parseError(rule(#"{"names": [], "action": "SCMP_ACT_ALLOW"}"#))
            == "profile.json: syscalls[0].names: empty (a rule names at least one system call)")
        #expect(parseError(rule(#"{"names": ["mkdir", ""], "action": "SCMP_ACT_ALLOW"}"#))
            == "profile.json: syscalls[0].names[1]: empty system-call name")
        #expect(parseError(rule(#"{"names": ["mkdir"]}"#))
            == "profile.json: syscalls[0].action: missing (every rule needs an action)")
    }

    @Test func architectures() {
        #expect(parseError(#"{"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64"], "archMap": []}"#)
            == #"profile.json: "architectures" and "archMap" cannot both be given (use one of them)"#)
        let unknown = """
            "SCMP_ARCH_Z80" is not a seccomp architecture (libseccomp's SCMP_ARCH_* names: SCMP_ARCH_X86_64, \
            SCMP_ARCH_X86, SCMP_ARCH_X32, SCMP_ARCH_AARCH64, SCMP_ARCH_ARM, ...)
            """
        #expect(parseError(#"{"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_Z80"]}"#)
            == "profile.json: architectures[1]: " + unknown)
        #expect(parseError(#"{"defaultAction": "SCMP_ACT_ALLOW", "archMap": [{"architecture": "SCMP_ARCH_X86_64", "subArchitectures": ["SCMP_ARCH_Z80"]}]}"#)
            == "profile.json: archMap[0].subArchitectures[0]: " + unknown)
        #expect(parseError(#"{"defaultAction": "SCMP_ACT_ALLOW", "archMap": [{"subArchitectures": []}]}"#)
            == "profile.json: archMap[0].architecture: missing (the native architecture of this entry)")
        // Docker's spelling only: x86_64 is libseccomp's own name, not the profile format's.
        #expect(parseError(#"{"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["x86_64"]}"#)
            == "profile.json: architectures[0]: " + unknown.replacingOccurrences(of: "SCMP_ARCH_Z80", with: "x86_64"))
    }

    @Test func unknownAndDuplicateKeysAndOtherValues() {
        #expect(parseError(rule(#"{"nmaes": ["mkdir"], "action": "SCMP_ACT_ALLOW"}"#))
            == "profile.json: syscalls[0].nmaes: unknown key (a rule has names, name, action, errnoRet, args, includes, excludes, comment)")
        #expect(parseError(#"{"defaultAction": "SCMP_ACT_ALLOW", "defaultAction": "SCMP_ACT_LOG"}"#)
            == "profile.json: defaultAction: duplicate key")
        #expect(parseError(#"{"syscalls": []}"#) == "profile.json: defaultAction: missing (every profile needs a default action)")
        #expect(parseError(rule(#"{"names": ["mkdir"], "action": "SCMP_ACT_ALLOW", "includes": {"minKernel": "4.x"}}"#))
            == #"profile.json: syscalls[0].includes.minKernel: "4.x" is not a kernel version (major.minor, for example "4.8")"#)
        #expect(parseError(rule(#"{"names": ["mkdir"], "action": "SCMP_ACT_ALLOW", "excludes": {"capabilities": []}}"#))
            == "profile.json: syscalls[0].excludes.capabilities: unknown key (a filter has caps, arches, minKernel)")
        #expect(parseError(#"{"defaultAction": "SCMP_ACT_ALLOW", "flags": ["SECCOMP_FILTER_FLAG_NEW_LISTENER"]}"#) == """
            profile.json: flags[0]: "SECCOMP_FILTER_FLAG_NEW_LISTENER" is not a seccomp filter flag \
            (SECCOMP_FILTER_FLAG_TSYNC, SECCOMP_FILTER_FLAG_LOG, SECCOMP_FILTER_FLAG_SPEC_ALLOW, \
            SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV)
            """)
    }

    @Test func unreadableFile() {
        #expect(throws: SeccompProfileError(kind: .unreadable(errno: ENOENT), file: "missing.json", path: "",
                                            message: "cannot read: No such file or directory")) {
            try SeccompProfile.load(path: "/nonexistent/missing.json", displayName: "missing.json")
        }
    }

    @Test func errorsCarryTheirParts() {
        do {
            _ = try SeccompProfile.parse(json: rule(#"{"names": ["mkdir"], "action": "SCMP_ACT_MAYBE"}"#), file: "p.json")
            Issue.record("parsed")
        } catch {
            #expect(error.kind == .invalid)
            #expect(error.file == "p.json")
            #expect(error.path == "syscalls[0].action")
        }
        do {
            _ = try SeccompProfile.parse(json: "{\n\n", file: "p.json")
            Issue.record("parsed")
        } catch {
            #expect(error.kind == .syntax(line: 3))
        }
    }
}
