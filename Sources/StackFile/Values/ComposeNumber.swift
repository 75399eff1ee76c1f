/// Decimal numbers as stack files and reports write them: `2`, not `2.0`; `0.5`.
public enum ComposeNumber {
    public static func format(_ value: Double) -> String {
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return String(value)
    }

    /// Like `format`, but a whole number keeps its `.0`, so that it reads back as a float.
    public static func formatKeepingFraction(_ value: Double) -> String {
        let text = format(value)
        return value == value.rounded() && !text.contains("e") ? text + ".0" : text
    }
}
