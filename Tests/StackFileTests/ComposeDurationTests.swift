import Testing
import StackFile

/// A duration as written and what it parses to (nil: not a duration).
struct DurationCase: CustomTestStringConvertible, Sendable {
    let text: String
    let duration: Duration?

    init(_ text: String, _ duration: Duration?) {
        self.text = text
        self.duration = duration
    }

    var testDescription: String { String(reflecting: text) }
}

private let maximumNanoseconds = Duration.nanoseconds(Int64.max)

/// Durations and their canonical text.
private let formatCases: [(duration: Duration, text: String)] = [
    (Duration.seconds(90), "1m30s"),
    (.milliseconds(1500), "1s500ms"),
    (.zero, "0s"),
    (.seconds(3600), "1h"),
    (.seconds(86_400), "24h"),
    (.seconds(7 * 86_400), "168h"),
    (.nanoseconds(1), "1ns"),
    (.nanoseconds(1001), "1us1ns"),
    (.microseconds(1), "1us"),
    (.milliseconds(1), "1ms"),
    (Duration.nanoseconds(3_661_001_001_001), "1h1m1s1ms1us1ns"),
    (Duration.nanoseconds(3_600_000_000_001), "1h1ns"),
    (maximumNanoseconds, "2562047h47m16s854ms775us807ns"),
    // Below a nanosecond is dropped.
    (Duration(secondsComponent: 0, attosecondsComponent: 500_000_000), "0s"),
    (Duration(secondsComponent: 1, attosecondsComponent: 999_999_999), "1s"),
    (Duration(secondsComponent: 0, attosecondsComponent: 1_999_999_999), "1ns"),
    // Past what Compose can read, still written faithfully.
    (.seconds(Int64.max), "2562047788015215h30m7s"),
    (.seconds(-90), "-1m30s"),
    (.nanoseconds(-1), "-1ns"),
]

@Suite("ComposeDuration")
struct ComposeDurationTests {
    @Test(arguments: [
        DurationCase("1m30s", .seconds(90)),
        DurationCase("250ms", .milliseconds(250)),
        DurationCase("1h5m30s20ms", .seconds(3930) + .milliseconds(20)),
        DurationCase("1.5s", .milliseconds(1500)),
        DurationCase("10us", .microseconds(10)),
        DurationCase("0", .zero),
        DurationCase("0s", .zero),
        DurationCase("2d", .seconds(2 * 86_400)),
        DurationCase("1w", .seconds(7 * 86_400)),
        DurationCase("1.5d", .seconds(36 * 3_600)),
        DurationCase("1w2d3s96ns", .seconds(9 * 86_400 + 3) + .nanoseconds(96)),
    ])
    func briefExamples(_ example: DurationCase) {
        #expect(ComposeDuration.parse(example.text) == example.duration)
    }

    /// Go's parseDurationTests (time_test.go), negative ones excepted.
    @Test(arguments: [
        DurationCase("5s", .seconds(5)),
        DurationCase("30s", .seconds(30)),
        DurationCase("1478s", .seconds(1478)),
        DurationCase("+5s", .seconds(5)),
        DurationCase("+0", .zero),
        DurationCase("5.0s", .seconds(5)),
        DurationCase("5.6s", .milliseconds(5600)),
        DurationCase("5.s", .seconds(5)),
        DurationCase(".5s", .milliseconds(500)),
        DurationCase("1.0s", .seconds(1)),
        DurationCase("1.00s", .seconds(1)),
        DurationCase("1.004s", .milliseconds(1004)),
        DurationCase("1.0040s", .milliseconds(1004)),
        DurationCase("100.00100s", .milliseconds(100_001)),
        DurationCase("10ns", .nanoseconds(10)),
        DurationCase("11us", .microseconds(11)),
        DurationCase("12\u{00B5}s", .microseconds(12)),
        DurationCase("12\u{03BC}s", .microseconds(12)),
        DurationCase("13ms", .milliseconds(13)),
        DurationCase("14s", .seconds(14)),
        DurationCase("15m", .seconds(15 * 60)),
        DurationCase("16h", .seconds(16 * 3600)),
        DurationCase("3h30m", .seconds(3 * 3600 + 30 * 60)),
        DurationCase("10.5s4m", .milliseconds(250_500)),
        DurationCase("1h2m3s4ms5us6ns", .nanoseconds(3_723_004_005_006)),
        DurationCase("39h9m14.425s", .milliseconds(140_954_425)),
        DurationCase("52763797000ns", .nanoseconds(52_763_797_000)),
        DurationCase("0.3333333333333333333h", .seconds(20 * 60)),
        DurationCase("9007199254740993ns", .nanoseconds(9_007_199_254_740_993)),
        DurationCase("9223372036854775807ns", maximumNanoseconds),
        DurationCase("9223372036854775.807us", maximumNanoseconds),
        DurationCase("9223372036s854ms775us807ns", maximumNanoseconds),
        DurationCase("0.100000000000000000000h", .seconds(6 * 60)),
        DurationCase("0.830103483285477580700h", .nanoseconds(2_988_372_539_827)),
    ])
    func goVectors(_ example: DurationCase) {
        #expect(ComposeDuration.parse(example.text) == example.duration)
    }

    /// go-str2duration TestParseString rows that are valid.
    @Test(arguments: [
        DurationCase("4.000000001s", .nanoseconds(4_000_000_001)),
        DurationCase("1h0m4.000000001s", .nanoseconds(3_604_000_000_001)),
        DurationCase("1h1m0.01s", .milliseconds(3_660_010)),
        DurationCase("1h1m0.123456789s", .nanoseconds(3_660_123_456_789)),
        DurationCase("1.00002ms", .nanoseconds(1_000_020)),
        DurationCase("1.00000002s", .nanoseconds(1_000_000_020)),
        DurationCase("693ns", .nanoseconds(693)),
        DurationCase("10s1us693ns", .nanoseconds(10_000_001_693)),
        DurationCase("1ms1ns", .nanoseconds(1_000_001)),
        DurationCase("60h8ms", .milliseconds(216_000_008)),
        DurationCase("96h63s", .seconds(345_663)),
        DurationCase("1w2d3s3\u{00B5}s96ns", .nanoseconds(777_603_000_003_096)),
    ])
    func str2durationVectors(_ example: DurationCase) {
        #expect(ComposeDuration.parse(example.text) == example.duration)
    }

    @Test(arguments: [
        // Go's parseDurationErrorTests (except "1d", a day here).
        "", "3", "-", "s", ".", "-.", ".s", "+.s",
        "\u{FFFD}", "\u{FFFD} hello \u{FFFD} world",
        "9223372036854775810ns", "9223372036854775808ns",
        "9223372036854776us", "3000000h",
        "9223372036854775.808us", "9223372036854ms775us808ns",
        // Negative durations mean nothing to Compose.
        "-5s", "-0", "-0s", "-2m3.4s", "-9223372036854775808ns",
        // Units are case-sensitive and must follow every number.
        "1S", "2D3S96NS", "1m30", "00", "0.0", "1.5",
        // No spaces, no unknown or repeated-sign units.
        " 1s", "1s ", "1 s", "1x", "1sec", "1h-1m", "1s+1s", "++1s", "1e3s",
        // Overflow past 2^63 - 1 ns, as in Go.
        "2562048h", "106752d", "15251w", "2562047h48m",
        "9223372036854775807ns1ns",
    ])
    func rejected(_ text: String) {
        #expect(ComposeDuration.parse(text) == nil)
    }

    @Test func largestUnitsStillFit() {
        #expect(ComposeDuration.parse("2562047h") == .seconds(2_562_047 * 3600))
        #expect(ComposeDuration.parse("106751d") == .seconds(106_751 * 86_400))
        #expect(ComposeDuration.parse("15250w") == .seconds(15_250 * 604_800))
    }

    @Test(arguments: formatCases)
    func format(duration: Duration, text: String) {
        #expect(ComposeDuration.format(duration) == text)
    }

    @Test func roundTripsSmallValues() {
        for nanoseconds in Int64(0)...5_000 {
            let duration = Duration.nanoseconds(nanoseconds)
            #expect(ComposeDuration.parse(ComposeDuration.format(duration)) == duration)
        }
    }

    @Test func roundTripsRandomValues() {
        var random = SplitMix64(seed: 0xD0_7A7E)
        for _ in 0..<50_000 {
            // Every magnitude from nanoseconds to centuries, some rounded to
            // a whole unit so that components go missing.
            let nanoseconds = Int64(random.next() >> (1 + random.next() % 63))
            let granularity: Int64 = [1, 1_000, 1_000_000, 1_000_000_000, 60_000_000_000, 3_600_000_000_000]
                .randomElement(using: &random) ?? 1
            for value in [nanoseconds, nanoseconds / granularity * granularity] {
                let duration = Duration.nanoseconds(value)
                #expect(ComposeDuration.parse(ComposeDuration.format(duration)) == duration, "\(value)ns")
            }
        }
    }

    @Test func roundTripsTheExtremes() {
        for duration in [maximumNanoseconds, maximumNanoseconds - .nanoseconds(1), .nanoseconds(1), .seconds(1)] {
            #expect(ComposeDuration.parse(ComposeDuration.format(duration)) == duration)
        }
    }
}
