/// Decimal numbers as stack files and reports write them: `2`, not `2.0`; `0.5`.
public enum ComposeNumber {
    public static func format(_ value: Double) -> String {
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return String(value)
    }
}
