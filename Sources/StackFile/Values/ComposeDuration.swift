/// Durations as Compose writes them: `interval: 1m30s`, `stop_grace_period: 250ms`.
///
/// Compose reads these with Go's `time.ParseDuration` rules, extended with
/// days and weeks by xhit/go-str2duration. This is a port of that parser, so
/// a value means the same number of nanoseconds here as under
/// `docker compose`, including where it goes through floating point
/// (fractions of large units) and where it overflows (past 2^63 - 1 ns,
/// about 292 years).
public enum ComposeDuration {
    /// Parses "1m30s", "250ms", "1h5m30s20ms", "1.5s", "10us", "0", "0s".
    /// Units: ns, us, µs, ms, s, m, h, d (24h), w (7d). Concatenated
    /// components, each an integer or decimal. Negative or empty → nil. A
    /// bare number other than "0" → nil (Go's time.ParseDuration says
    /// "missing unit").
    public static func parse(_ text: String) -> Duration? {
        var scanner = DurationScanner(text)
        return scanner.nanoseconds().map { Duration.nanoseconds($0) }
    }

    /// Canonical text: components h, m, s, ms, us, ns from largest to
    /// smallest, zero components omitted, each an integer: 90s → "1m30s",
    /// 1.5s → "1s500ms", 0 → "0s", 3600s → "1h", 86400s → "24h".
    ///
    /// Integers only, so the text never depends on how a fraction would be
    /// rounded; days and weeks are never written, because plain Go
    /// `time.ParseDuration` (which other tools reading the same file may use)
    /// does not know them. Below a nanosecond, the smallest unit Compose can
    /// express, a remainder is dropped. A negative duration gets a leading
    /// "-", which ``parse(_:)`` rejects, as Compose has no use for one.
    public static func format(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        let total = Int128(seconds) * 1_000_000_000_000_000_000 + Int128(attoseconds)
        let nanoseconds = total / 1_000_000_000
        guard nanoseconds != 0 else { return "0s" }

        var remaining = nanoseconds.magnitude
        var text = nanoseconds < 0 ? "-" : ""
        for unit in DurationUnit.formatted {
            let count = remaining / UInt128(unit.nanoseconds)
            remaining %= UInt128(unit.nanoseconds)
            if count > 0 { text += "\(count)\(unit.symbol)" }
        }
        return text
    }
}

/// A unit symbol and the whole number of nanoseconds it stands for.
private struct DurationUnit {
    let symbol: String
    let nanoseconds: Int64

    static let nanosecond = DurationUnit(symbol: "ns", nanoseconds: 1)
    static let microsecond = DurationUnit(symbol: "us", nanoseconds: 1_000)
    static let millisecond = DurationUnit(symbol: "ms", nanoseconds: 1_000_000)
    static let second = DurationUnit(symbol: "s", nanoseconds: 1_000_000_000)
    static let minute = DurationUnit(symbol: "m", nanoseconds: 60_000_000_000)
    static let hour = DurationUnit(symbol: "h", nanoseconds: 3_600_000_000_000)
    static let day = DurationUnit(symbol: "d", nanoseconds: 86_400_000_000_000)
    static let week = DurationUnit(symbol: "w", nanoseconds: 604_800_000_000_000)

    /// What ``ComposeDuration/format(_:)`` writes, largest first.
    static let formatted: [DurationUnit] = [hour, minute, second, millisecond, microsecond, nanosecond]

    /// Every spelling the parser accepts, case-sensitive as in Go. The micro
    /// sign comes both as U+00B5 MICRO SIGN and U+03BC GREEK SMALL LETTER MU,
    /// since keyboards produce either.
    static let bySymbol: [String: DurationUnit] = [
        "ns": nanosecond,
        "us": microsecond, "\u{00B5}s": microsecond, "\u{03BC}s": microsecond,
        "ms": millisecond,
        "s": second, "m": minute, "h": hour, "d": day, "w": week,
    ]
}

/// Go's `time.ParseDuration` over UTF-8 bytes, minus the minus sign.
private struct DurationScanner {
    private let bytes: [UInt8]
    private var index = 0

    init(_ text: String) {
        bytes = Array(text.utf8)
    }

    private var atEnd: Bool { index == bytes.count }

    /// The total in nanoseconds, or nil where Go would report an error (or
    /// the value is negative).
    mutating func nanoseconds() -> Int64? {
        if !atEnd, bytes[index] == UInt8(ascii: "+") { index += 1 }
        // A bare zero is the one number that needs no unit.
        if bytes[index...].elementsEqual("0".utf8) { return 0 }
        guard !atEnd else { return nil }

        var total: Int64 = 0
        while !atEnd {
            guard let component = component() else { return nil }
            let (sum, overflow) = total.addingReportingOverflow(component)
            if overflow { return nil }
            total = sum
        }
        return total
    }

    /// One `[digits][.digits]unit` component, in nanoseconds.
    private mutating func component() -> Int64? {
        guard let whole = leadingInteger() else { return nil }
        var fraction = DecimalFraction.none
        if !atEnd, bytes[index] == UInt8(ascii: ".") {
            index += 1
            fraction = leadingFraction()
        }
        // "." alone, as in ".s", is not a number.
        guard whole.digits > 0 || fraction.digits > 0 else { return nil }
        guard let unit = unit() else { return nil }

        let (scaled, overflow) = whole.value.multipliedReportingOverflow(by: unit.nanoseconds)
        guard !overflow else { return nil }
        guard fraction.value > 0 else { return scaled }
        // Go computes the fraction in float64 and truncates; doing the same
        // keeps every nanosecond identical to Compose's reading.
        let fractional = Int64(Double(fraction.value) * (Double(unit.nanoseconds) / fraction.scale))
        let (sum, sumOverflow) = scaled.addingReportingOverflow(fractional)
        return sumOverflow ? nil : sum
    }

    /// Leading `[0-9]*`; nil when it does not fit in an Int64.
    private mutating func leadingInteger() -> (value: Int64, digits: Int)? {
        var value: Int64 = 0
        var digits = 0
        while let digit = nextDigit() {
            let (shifted, overflowA) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflowB) = shifted.addingReportingOverflow(digit)
            if overflowA || overflowB { return nil }
            value = sum
            digits += 1
        }
        return (value, digits)
    }

    /// Leading `[0-9]*` after a decimal point. Digits past Int64 precision
    /// are consumed but ignored, as in Go.
    private mutating func leadingFraction() -> DecimalFraction {
        var fraction = DecimalFraction.none
        var precise = true
        while let digit = nextDigit() {
            fraction.digits += 1
            guard precise else { continue }
            let (shifted, overflowA) = fraction.value.multipliedReportingOverflow(by: 10)
            let (sum, overflowB) = shifted.addingReportingOverflow(digit)
            if overflowA || overflowB {
                precise = false
                continue
            }
            fraction.value = sum
            fraction.scale *= 10
        }
        return fraction
    }

    /// The unit runs up to the next digit or `.`, so "1m30" fails for the
    /// missing unit after 30 and "1x" for the unknown "x".
    private mutating func unit() -> DurationUnit? {
        let start = index
        while !atEnd, !isNumberByte(bytes[index]) { index += 1 }
        guard index > start else { return nil }
        return DurationUnit.bySymbol[String(decoding: bytes[start..<index], as: UTF8.self)]
    }

    private mutating func nextDigit() -> Int64? {
        guard !atEnd, isDigit(bytes[index]) else { return nil }
        defer { index += 1 }
        return Int64(bytes[index] - UInt8(ascii: "0"))
    }
}

/// The digits after a decimal point: value / scale is the fraction.
private struct DecimalFraction {
    var value: Int64
    var scale: Double
    var digits: Int

    static let none = DecimalFraction(value: 0, scale: 1, digits: 0)
}

private func isDigit(_ byte: UInt8) -> Bool {
    byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
}

private func isNumberByte(_ byte: UInt8) -> Bool {
    isDigit(byte) || byte == UInt8(ascii: ".")
}
