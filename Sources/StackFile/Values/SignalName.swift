/// Linux signals by name or number, as written in `stop_signal:`.
///
/// Numbers are fixed here rather than read from Glibc because berth reads
/// stack files for containers, whose signals are Linux's generic numbering
/// (x86_64 and arm64 share it) whatever machine parses the file.
///
/// Names follow Docker (moby/sys/signal): case-insensitive, the `SIG` prefix
/// optional, aliases accepted, real-time signals written relative to
/// `SIGRTMIN` (34) or `SIGRTMAX` (64). Unlike Docker, a number must name a
/// signal that exists: 0 ("is the process alive?") and numbers past 64 are
/// rejected, and so are 32 and 33, which glibc keeps for its own threading
/// and which have no name.
public enum SignalName {
    /// "SIGTERM", "TERM", "sigterm", "15", "SIGRTMIN+3" → signal number
    /// (Linux x86_64/arm64 numbering; SIGRTMIN = 34, SIGRTMAX = 64). nil when
    /// not a signal.
    public static func parse(_ text: String) -> Int32? {
        if let number = decimal(text) {
            return name(of: number) == nil ? nil : number
        }
        let upper = asciiUppercased(text)
        let bare = upper.hasPrefix("SIG") ? String(upper.dropFirst(3)) : upper
        return StandardSignal.numbers[bare] ?? RealTimeSignal.parse(bare)
    }

    /// Canonical name: 15 → "SIGTERM", 36 → "SIGRTMIN+2"; nil outside 1...64
    /// (and for 32 and 33). Real-time signals are named as `kill -l` names
    /// them: from SIGRTMIN up to SIGRTMIN+15, then down from SIGRTMAX-14 to
    /// SIGRTMAX.
    public static func name(of number: Int32) -> String? {
        if let name = StandardSignal.names[number] { return "SIG" + name }
        return RealTimeSignal.name(of: number)
    }

    /// A plain decimal number, kept small enough that no input can overflow.
    private static func decimal(_ text: String) -> Int32? {
        let digits = text.utf8
        guard !digits.isEmpty, digits.count <= 9,
              digits.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") })
        else { return nil }
        return Int32(text)
    }

    /// Upper-cases ASCII letters only, so no locale or Unicode rule can turn
    /// some other text into a signal name.
    private static func asciiUppercased(_ text: String) -> String {
        String(decoding: text.utf8.map { byte in
            byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z") ? byte - 32 : byte
        }, as: UTF8.self)
    }
}

/// Signals 1 to 31, which have fixed names.
private enum StandardSignal {
    /// Canonical names without the `SIG` prefix, in signal-number order from 1.
    private static let ordered = [
        "HUP", "INT", "QUIT", "ILL", "TRAP", "ABRT", "BUS", "FPE",
        "KILL", "USR1", "SEGV", "USR2", "PIPE", "ALRM", "TERM", "STKFLT",
        "CHLD", "CONT", "STOP", "TSTP", "TTIN", "TTOU", "URG", "XCPU",
        "XFSZ", "VTALRM", "PROF", "WINCH", "IO", "PWR", "SYS",
    ]

    /// Older names that still parse but are never written.
    private static let aliases: [String: Int32] = ["IOT": 6, "CLD": 17, "POLL": 29]

    static let names: [Int32: String] = Dictionary(
        uniqueKeysWithValues: ordered.enumerated().map { (Int32($0.offset + 1), $0.element) }
    )

    static let numbers: [String: Int32] = Dictionary(
        uniqueKeysWithValues: ordered.enumerated().map { ($0.element, Int32($0.offset + 1)) }
    ).merging(aliases) { canonical, _ in canonical }
}

/// Signals 34 to 64, named by their offset from either end of the range.
private enum RealTimeSignal {
    static let minimum: Int32 = 34
    static let maximum: Int32 = 64
    /// Where `kill -l` switches from counting up from SIGRTMIN to counting
    /// down from SIGRTMAX.
    private static let lastCountedFromMinimum: Int32 = 49

    /// "RTMIN", "RTMIN+n", "RTMAX", "RTMAX-n" (already upper-cased, without
    /// `SIG`), whichever end the offset counts from.
    static func parse(_ name: String) -> Int32? {
        let number: Int32?
        if name.hasPrefix("RTMIN") {
            number = offset(String(name.dropFirst(5)), sign: "+").map { minimum + $0 }
        } else if name.hasPrefix("RTMAX") {
            number = offset(String(name.dropFirst(5)), sign: "-").map { maximum - $0 }
        } else {
            number = nil
        }
        guard let number, (minimum...maximum).contains(number) else { return nil }
        return number
    }

    static func name(of number: Int32) -> String? {
        switch number {
        case minimum: "SIGRTMIN"
        case maximum: "SIGRTMAX"
        case (minimum + 1)...lastCountedFromMinimum: "SIGRTMIN+\(number - minimum)"
        case (lastCountedFromMinimum + 1)..<maximum: "SIGRTMAX-\(maximum - number)"
        default: nil
        }
    }

    /// Nothing, or `sign` followed by one or two digits.
    private static func offset(_ text: String, sign: Character) -> Int32? {
        guard let first = text.first else { return 0 }
        let digits = text.dropFirst()
        guard first == sign, (1...2).contains(digits.count),
              digits.allSatisfy({ $0.isASCII && $0.isNumber })
        else { return nil }
        return Int32(digits)
    }
}
