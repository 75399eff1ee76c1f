import StackFile

/// How the budget writes quantities for people: binary units, two decimals for CPUs.
public enum Units {
    /// `536870912` → `512M`, `1610612736` → `1.5G`, `1536` → `1.5K`.
    public static func bytes(_ value: Int64) -> String {
        let units = ["B", "K", "M", "G", "T", "P"]
        var amount = Double(value.magnitude)
        var index = 0
        while amount >= 1024, index < units.count - 1 {
            amount /= 1024
            index += 1
        }
        let sign = value < 0 ? "-" : ""
        let rounded = (amount * 10).rounded() / 10
        let text = rounded == rounded.rounded() ? String(Int64(rounded)) : String(rounded)
        return sign + text + units[index]
    }

    /// `0.5` → `0.50`.
    public static func cores(_ value: Double) -> String {
        let hundredths = Int64((value * 100).rounded())
        let sign = hundredths < 0 ? "-" : ""
        let magnitude = hundredths.magnitude
        let fraction = magnitude % 100
        return "\(sign)\(magnitude / 100).\(fraction < 10 ? "0" : "")\(fraction)"
    }

    /// `1.4612` → `146%`.
    public static func ratio(_ value: Double) -> String {
        "\(Int((value * 100).rounded()))%"
    }
}
