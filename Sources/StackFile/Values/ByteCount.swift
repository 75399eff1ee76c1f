/// Byte sizes as Compose writes them: `mem_limit: 512m`, `shm_size: 1.5g`.
///
/// Compose reads these with docker/go-units `RAMInBytes`, so this follows its
/// rules: a non-negative decimal number, then optionally one space, then an
/// optional case-insensitive unit `b`, `k`/`kb`/`kib`, `m`/`mb`/`mib`, `g`…,
/// `t`…, `p`…; every multiplier is binary (k = 1024) whatever the spelling,
/// and a fractional result is truncated toward zero (`0.3m` = 314572).
public enum ByteCount {
    /// Parses a Compose byte value; nil when it is not one. Negative values
    /// are not byte values (callers handle the special "-1").
    public static func parse(_ text: String) -> Int64? {
        var scanner = ByteScanner(text)
        guard let number = scanner.number() else { return nil }
        _ = scanner.skip(" ")
        guard let unit = ByteUnit(suffix: scanner.rest) else { return nil }
        return number.bytes(times: unit.multiplier)
    }

    /// Canonical text: the largest binary unit that divides the value
    /// exactly, lowercase, so the value survives a round trip through
    /// ``parse(_:)`` unchanged: 536870912 → "512m", 1610612736 → "1536m",
    /// 1073741824 → "1g", 2048 → "2k", 1000 → "1000b", 0 → "0".
    ///
    /// A negative value (only "-1", "unlimited", means anything to Compose)
    /// is written as a bare integer for the caller to recognise.
    public static func format(_ bytes: Int64) -> String {
        guard bytes > 0 else { return String(bytes) }
        for unit in ByteUnit.largestFirst where bytes % unit.multiplier == 0 {
            return "\(bytes / unit.multiplier)\(unit.symbol)"
        }
        return "\(bytes)b"
    }
}

/// A binary multiple of a byte, named by its one-letter symbol.
private struct ByteUnit {
    let symbol: String
    let multiplier: Int64

    static let byte = ByteUnit(symbol: "b", multiplier: 1)
    static let largestFirst: [ByteUnit] = [
        ByteUnit(symbol: "p", multiplier: 1 << 50),
        ByteUnit(symbol: "t", multiplier: 1 << 40),
        ByteUnit(symbol: "g", multiplier: 1 << 30),
        ByteUnit(symbol: "m", multiplier: 1 << 20),
        ByteUnit(symbol: "k", multiplier: 1 << 10),
    ]

    private init(symbol: String, multiplier: Int64) {
        self.symbol = symbol
        self.multiplier = multiplier
    }

    /// The unit a go-units suffix names: nothing or `b` is bytes; otherwise a
    /// prefix letter, alone or followed by `b` or `ib` (`kb`, `kib`, but not
    /// `ki`, which go-units rejects).
    init?(suffix: Substring.UTF8View) {
        let letters = Array(suffix).map(asciiLowercased)
        guard let first = letters.first else {
            self = .byte
            return
        }
        if letters == [UInt8(ascii: "b")] {
            self = .byte
            return
        }
        let tail = String(decoding: letters.dropFirst(), as: UTF8.self)
        guard
            ["", "b", "ib"].contains(tail),
            let unit = Self.largestFirst.first(where: { $0.symbol.utf8.first == first })
        else { return nil }
        self = unit
    }
}

/// The number in front of the unit, kept as written until the multiplier is
/// known, so whole numbers can be multiplied exactly.
private enum ByteNumber {
    /// Digits only: multiplied in integer arithmetic, exact to the last byte.
    case whole(Int64)
    /// Has a fraction or an exponent: multiplied as a `Double`, then
    /// truncated, which is what go-units does for every number.
    case decimal(Double)

    func bytes(times multiplier: Int64) -> Int64? {
        switch self {
        case .whole(let count):
            let (product, overflow) = count.multipliedReportingOverflow(by: multiplier)
            return overflow ? nil : product
        case .decimal(let value):
            let product = value * Double(multiplier)
            // 2^63 is the first Double that no longer fits in an Int64.
            guard product.isFinite, product >= 0, product < 9_223_372_036_854_775_808.0
            else { return nil }
            return Int64(product)
        }
    }
}

/// Reads the number of a byte value from its UTF-8 bytes.
private struct ByteScanner {
    private let text: Substring.UTF8View
    private var index: Substring.UTF8View.Index

    init(_ string: String) {
        text = Substring(string).utf8
        index = text.startIndex
    }

    var rest: Substring.UTF8View { text[index...] }

    mutating func skip(_ byte: Unicode.Scalar) -> Bool {
        guard index < text.endIndex, text[index] == UInt8(ascii: byte) else { return false }
        index = text.index(after: index)
        return true
    }

    /// `[+] (digits [. digits] | . digits) [e [+|-] digits]`: the decimal
    /// forms Go's `strconv.ParseFloat` accepts, minus hexadecimal floats and
    /// the non-numbers `inf` and `nan`, which no one means as a size.
    mutating func number() -> ByteNumber? {
        _ = skip("+")
        let integerDigits = digits()
        var fractionDigits: Substring.UTF8View?
        if skip(".") { fractionDigits = digits() }
        guard !integerDigits.isEmpty || !(fractionDigits?.isEmpty ?? true) else { return nil }
        let exponent = exponentText()

        guard fractionDigits != nil || exponent != nil else {
            return Self.whole(integerDigits).map(ByteNumber.whole)
        }
        // Rebuilt in the plainest spelling so `Double.init` sees "0.5"
        // rather than ".5" or "5.".
        let literal = (integerDigits.isEmpty ? "0" : decodedText(integerDigits))
            + "." + (fractionDigits.map { $0.isEmpty ? "0" : decodedText($0) } ?? "0")
            + (exponent ?? "")
        return Double(literal).map(ByteNumber.decimal)
    }

    /// A run of digits, where Go also allows a single `_` between two of
    /// them (`1_000`).
    private mutating func digits() -> Substring.UTF8View {
        let start = index
        while index < text.endIndex {
            guard isASCIIDigit(text[index]) || isDigitSeparator(at: index, inRunFrom: start)
            else { break }
            index = text.index(after: index)
        }
        return text[start..<index]
    }

    /// A `_` with a digit on each side.
    private func isDigitSeparator(
        at position: Substring.UTF8View.Index, inRunFrom start: Substring.UTF8View.Index
    ) -> Bool {
        guard position > start, text[position] == UInt8(ascii: "_") else { return false }
        let next = text.index(after: position)
        return next < text.endIndex && isASCIIDigit(text[next])
    }

    /// An exponent is only taken when digits follow the `e`; otherwise the
    /// `e` is left for the unit, where it is rejected.
    private mutating func exponentText() -> String? {
        let start = index
        guard skip("e") || skip("E") else { return nil }
        let sign = skip("-") ? "-" : (skip("+") ? "+" : "")
        let exponentDigits = digits()
        guard !exponentDigits.isEmpty else {
            index = start
            return nil
        }
        return "e" + sign + decodedText(exponentDigits)
    }

    private static func whole(_ digits: Substring.UTF8View) -> Int64? {
        var value: Int64 = 0
        for digit in digits where digit != UInt8(ascii: "_") {
            let (shifted, overflowA) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflowB) = shifted.addingReportingOverflow(Int64(digit - UInt8(ascii: "0")))
            if overflowA || overflowB { return nil }
            value = sum
        }
        return value
    }
}

/// The digits as text for `Double.init`, without `_` separators.
private func decodedText(_ bytes: Substring.UTF8View) -> String {
    String(decoding: bytes.filter { $0 != UInt8(ascii: "_") }, as: UTF8.self)
}

private func isASCIIDigit(_ byte: UInt8) -> Bool {
    byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
}

private func asciiLowercased(_ byte: UInt8) -> UInt8 {
    byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte + 32 : byte
}
