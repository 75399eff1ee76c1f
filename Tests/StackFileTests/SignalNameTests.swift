import Testing
import StackFile

/// Every standard Linux signal, in number order from 1 (x86_64 and arm64).
private let standardNames = [
    "SIGHUP", "SIGINT", "SIGQUIT", "SIGILL", "SIGTRAP", "SIGABRT", "SIGBUS", "SIGFPE",
    "SIGKILL", "SIGUSR1", "SIGSEGV", "SIGUSR2", "SIGPIPE", "SIGALRM", "SIGTERM", "SIGSTKFLT",
    "SIGCHLD", "SIGCONT", "SIGSTOP", "SIGTSTP", "SIGTTIN", "SIGTTOU", "SIGURG", "SIGXCPU",
    "SIGXFSZ", "SIGVTALRM", "SIGPROF", "SIGWINCH", "SIGIO", "SIGPWR", "SIGSYS",
]

@Suite("SignalName")
struct SignalNameTests {
    @Test(arguments: [
        ("SIGTERM", Int32(15)),
        ("TERM", 15),
        ("sigterm", 15),
        ("SigTerm", 15),
        ("term", 15),
        ("15", 15),
        ("015", 15),
        ("SIGRTMIN+3", 37),
        ("sigrtmin+3", 37),
        ("RTMIN+3", 37),
        ("SIGKILL", 9),
        ("9", 9),
        ("SIGHUP", 1),
        ("1", 1),
        ("SIGSYS", 31),
        ("31", 31),
        ("SIGUSR1", 10),
        ("SIGUSR2", 12),
        ("SIGWINCH", 28),
        ("SIGSTKFLT", 16),
        ("SIGPWR", 30),
    ])
    func parsesNamesAndNumbers(text: String, number: Int32) {
        #expect(SignalName.parse(text) == number)
    }

    @Test(arguments: [
        ("SIGIOT", Int32(6)),
        ("IOT", 6),
        ("SIGABRT", 6),
        ("SIGCLD", 17),
        ("cld", 17),
        ("SIGCHLD", 17),
        ("SIGPOLL", 29),
        ("poll", 29),
        ("SIGIO", 29),
    ])
    func parsesAliases(text: String, number: Int32) {
        #expect(SignalName.parse(text) == number)
    }

    @Test(arguments: [
        ("SIGRTMIN", Int32(34)),
        ("SIGRTMIN+0", 34),
        ("SIGRTMIN+1", 35),
        ("SIGRTMIN+15", 49),
        ("SIGRTMIN+16", 50),
        ("SIGRTMIN+30", 64),
        ("SIGRTMAX", 64),
        ("SIGRTMAX-0", 64),
        ("SIGRTMAX-1", 63),
        ("SIGRTMAX-14", 50),
        ("SIGRTMAX-30", 34),
        ("rtmax-2", 62),
        ("34", 34),
        ("64", 64),
    ])
    func parsesRealTimeSignals(text: String, number: Int32) {
        #expect(SignalName.parse(text) == number)
    }

    @Test(arguments: [
        "", "0", "SIG", "SIG0", "65", "99", "100", "4294967311", "99999999999999999999",
        "32", "33", "-1", "-15", "+15", " 15", "15 ", "1.0", "0x0f",
        "SIGTERM ", " SIGTERM", "SIG TERM", "SIG_TERM", "SIGSIGTERM", "TERMSIG", "SIGTERMINATE",
        "SIGUNKNOWN", "SIGRTMIN+31", "SIGRTMAX-31", "SIGRTMIN-1", "SIGRTMAX+1",
        "SIGRTMIN+", "SIGRTMAX-", "SIGRTMIN++1", "SIGRTMIN+001", "SIGRTMIN+ 1", "SIGRTMIN3",
        "SIGRTMIN+\u{0663}",  // ARABIC-INDIC DIGIT THREE
        "\u{FF13}",           // FULLWIDTH DIGIT THREE
        "SIGTERM\u{0}",
        "ſigterm",            // LATIN SMALL LETTER LONG S
    ])
    func rejectsWhatIsNotASignal(_ text: String) {
        #expect(SignalName.parse(text) == nil)
    }

    @Test func everyStandardSignalHasItsName() {
        for (offset, name) in standardNames.enumerated() {
            let number = Int32(offset + 1)
            #expect(SignalName.name(of: number) == name)
            #expect(SignalName.parse(name) == number)
            #expect(SignalName.parse(String(name.dropFirst(3)).lowercased()) == number)
            #expect(SignalName.parse(String(number)) == number)
        }
    }

    @Test(arguments: [
        (Int32(15), "SIGTERM"),
        (6, "SIGABRT"),
        (17, "SIGCHLD"),
        (29, "SIGIO"),
        (34, "SIGRTMIN"),
        (35, "SIGRTMIN+1"),
        (36, "SIGRTMIN+2"),
        (49, "SIGRTMIN+15"),
        (50, "SIGRTMAX-14"),
        (63, "SIGRTMAX-1"),
        (64, "SIGRTMAX"),
    ])
    func namesNumbers(number: Int32, name: String) {
        #expect(SignalName.name(of: number) == name)
    }

    @Test(arguments: [Int32.min, -1, 0, 32, 33, 65, 128, Int32.max])
    func hasNoNameOutsideTheSignals(_ number: Int32) {
        #expect(SignalName.name(of: number) == nil)
    }

    @Test func everyNameParsesBackToItsNumber() {
        var named = 0
        for number in Int32(-5)...70 {
            guard let name = SignalName.name(of: number) else { continue }
            named += 1
            #expect(SignalName.parse(name) == number)
            #expect(SignalName.parse(name.lowercased()) == number)
            #expect(SignalName.parse(String(number)) == number)
        }
        #expect(named == 31 + 31)
    }
}
