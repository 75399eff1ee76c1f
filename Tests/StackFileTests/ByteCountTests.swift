import Testing
import StackFile

/// A byte value as written and what it parses to (nil: not a byte value).
struct ByteCase: CustomTestStringConvertible, Sendable {
    let text: String
    let bytes: Int64?

    init(_ text: String, _ bytes: Int64?) {
        self.text = text
        self.bytes = bytes
    }

    var testDescription: String { String(reflecting: text) }
}

private let kib: Int64 = 1 << 10
private let mib: Int64 = 1 << 20
private let gib: Int64 = 1 << 30
private let tib: Int64 = 1 << 40
private let pib: Int64 = 1 << 50

@Suite("ByteCount")
struct ByteCountTests {
    /// docker/go-units TestRAMInBytes (size_test.go).
    @Test(arguments: [
        ByteCase("32", 32),
        ByteCase("32b", 32),
        ByteCase("32B", 32),
        ByteCase("32k", 32 * kib),
        ByteCase("32K", 32 * kib),
        ByteCase("32kb", 32 * kib),
        ByteCase("32Kb", 32 * kib),
        ByteCase("32Kib", 32 * kib),
        ByteCase("32KIB", 32 * kib),
        ByteCase("32Mb", 32 * mib),
        ByteCase("32Gb", 32 * gib),
        ByteCase("32Tb", 32 * tib),
        ByteCase("32Pb", 32 * pib),
        ByteCase("32PB", 32 * pib),
        ByteCase("32P", 32 * pib),
        ByteCase("32.3", 32),
        ByteCase("32.3 mb", 33_869_004),
        ByteCase("0.3MB", 314_572),
        ByteCase("", nil),
        ByteCase("hello", nil),
        ByteCase("-32", nil),
        ByteCase(" 32 ", nil),
        ByteCase("32m b", nil),
        ByteCase("32bm", nil),
    ])
    func goUnitsVectors(_ example: ByteCase) {
        #expect(ByteCount.parse(example.text) == example.bytes)
    }

    @Test(arguments: [
        ByteCase("512m", 536_870_912),
        ByteCase("1.5g", 1_610_612_736),
        ByteCase("1536m", 1_610_612_736),
        ByteCase("1g", 1_073_741_824),
        ByteCase("2k", 2048),
        ByteCase("1000b", 1000),
        ByteCase("0", 0),
        ByteCase("0b", 0),
        ByteCase("0.5k", 512),
        ByteCase("32.5 B", 32),
        ByteCase("0.3 K", 307),
        ByteCase("4.4m", 4_613_734),
        ByteCase("0.1k", 102),
        ByteCase("7t", 7 * tib),
        ByteCase("3MiB", 3 * mib),
        ByteCase("3 gib", 3 * gib),
        ByteCase("3 GB", 3 * gib),
        ByteCase("0.00000000000000000000001p", 0),
        ByteCase("000000000000000000000000012k", 12 * kib),
    ])
    func acceptedValues(_ example: ByteCase) {
        #expect(ByteCount.parse(example.text) == example.bytes)
    }

    /// Forms Go's `strconv.ParseFloat` takes that the number in front of the
    /// unit may use, and the single space go-units allows after it.
    @Test(arguments: [
        ByteCase(".5k", 512),
        ByteCase("5.k", 5 * kib),
        ByteCase("5.", 5),
        ByteCase("+5", 5),
        ByteCase("+.5k", 512),
        ByteCase("1e3", 1000),
        ByteCase("1e3k", 1000 * kib),
        ByteCase("1E2 b", 100),
        ByteCase("1.5e1m", 15 * mib),
        ByteCase("25e-1k", 2560),
        ByteCase("2e+1", 20),
        ByteCase("5 ", 5),
        ByteCase("5 k", 5 * kib),
        ByteCase("5. k", 5 * kib),
        // Go allows one `_` between two digits.
        ByteCase("1_000", 1000),
        ByteCase("26_00MiB", 2600 * mib),
        ByteCase("1.5_5k", 1587),
        ByteCase("1e1_0", 10_000_000_000),
        ByteCase("1_024_0", 10240),
    ])
    func numberSpellings(_ example: ByteCase) {
        #expect(ByteCount.parse(example.text) == example.bytes)
    }

    @Test(arguments: [
        ByteCase("k", nil),
        ByteCase(".", nil),
        ByteCase(".k", nil),
        ByteCase(" 5", nil),
        ByteCase("5  ", nil),
        ByteCase("5  k", nil),
        ByteCase("5k ", nil),
        ByteCase("5\tk", nil),
        ByteCase("5ki", nil),
        ByteCase("5ib", nil),
        ByteCase("5i", nil),
        ByteCase("5bb", nil),
        ByteCase("5kbb", nil),
        ByteCase("5kibb", nil),
        ByteCase("5kbi", nil),
        ByteCase("5x", nil),
        ByteCase("5e", nil),
        ByteCase("5eb", nil),
        ByteCase("5ek", nil),
        ByteCase("1.2.3", nil),
        ByteCase("++5", nil),
        ByteCase("-0", nil),
        ByteCase("-1", nil),
        ByteCase("-1k", nil),
        ByteCase("0x10", nil),
        ByteCase("0x1p4", nil),
        ByteCase("1__0", nil),
        ByteCase("_1", nil),
        ByteCase("1_", nil),
        ByteCase("1_k", nil),
        ByteCase("1_.5", nil),
        ByteCase("1._5", nil),
        ByteCase("inf", nil),
        ByteCase("nan", nil),
        ByteCase("5\u{212A}", nil),  // KELVIN SIGN, not k
        ByteCase("\u{FF15}", nil),   // FULLWIDTH DIGIT FIVE
    ])
    func rejectedValues(_ example: ByteCase) {
        #expect(ByteCount.parse(example.text) == example.bytes)
    }

    @Test(arguments: [
        ByteCase("8191p", 8191 * pib),
        ByteCase("8192p", nil),
        ByteCase("8191.99p", 9_223_360_777_855_707_136),
        ByteCase("8192.0p", nil),
        ByteCase("9223372036854775807", Int64.max),
        ByteCase("9223372036854775807b", Int64.max),
        ByteCase("9223372036854775808", nil),
        ByteCase("9007199254740993", 9_007_199_254_740_993),
        ByteCase("99999999999999999999999", nil),
        ByteCase("9223372036854775807k", nil),
        ByteCase("1e400", nil),
        ByteCase("1e18", 1_000_000_000_000_000_000),
        ByteCase("1e19", nil),
    ])
    func overflowIsNotAValue(_ example: ByteCase) {
        #expect(ByteCount.parse(example.text) == example.bytes)
    }

    @Test(arguments: [
        (Int64(536_870_912), "512m"),
        (1_610_612_736, "1536m"),
        (1_073_741_824, "1g"),
        (2048, "2k"),
        (1000, "1000b"),
        (0, "0"),
        (1, "1b"),
        (1023, "1023b"),
        (1024, "1k"),
        (1025, "1025b"),
        (3 * tib, "3t"),
        (tib + gib, "1025g"),
        (pib, "1p"),
        (1 << 60, "1024p"),
        (8191 * pib, "8191p"),
        (Int64.max, "9223372036854775807b"),
        (-1, "-1"),
    ])
    func format(bytes: Int64, text: String) {
        #expect(ByteCount.format(bytes) == text)
    }

    @Test func roundTripsSmallValues() {
        for bytes in Int64(0)...10_000 {
            #expect(ByteCount.parse(ByteCount.format(bytes)) == bytes)
        }
    }

    @Test func roundTripsAroundEveryPowerOfTwo() {
        for shift in 0...62 {
            let power = Int64(1) << shift
            for bytes in [power - 1, power, power + 1, power + power / 2, power + power / 4] {
                #expect(ByteCount.parse(ByteCount.format(bytes)) == bytes, "\(bytes)")
            }
        }
        #expect(ByteCount.parse(ByteCount.format(Int64.max)) == Int64.max)
        #expect(ByteCount.parse(ByteCount.format(Int64.max - 1)) == Int64.max - 1)
    }

    @Test func roundTripsRandomValues() {
        var random = SplitMix64(seed: 0x5EED_B17E)
        for _ in 0..<50_000 {
            // Vary the magnitude, and make a share of them whole units.
            let bytes = Int64(random.next() >> (1 + random.next() % 63))
            let unitAligned = bytes & ~Int64((1 << (random.next() % 51)) - 1)
            for value in [bytes, unitAligned] {
                #expect(ByteCount.parse(ByteCount.format(value)) == value, "\(value)")
            }
        }
    }
}

/// A small deterministic generator, so a failing value can be reproduced.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var mixed = state
        mixed = (mixed ^ (mixed >> 30)) &* 0xBF58_476D_1CE4_E5B9
        mixed = (mixed ^ (mixed >> 27)) &* 0x94D0_49BB_1331_11EB
        return mixed ^ (mixed >> 31)
    }
}
