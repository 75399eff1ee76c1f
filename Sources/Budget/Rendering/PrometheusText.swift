import StackFile

/// Prometheus' text exposition format (version 0.0.4), written in a fixed order.
///
/// swift-prometheus's registry emits its metric families in hash order, which changes from
/// one run to the next; a report that people diff and tests compare needs a stable order, and
/// the format is small enough to write directly.
public struct PrometheusText {
    public enum MetricType: String {
        case gauge
        case counter
    }

    private var families: [(name: String, help: String, type: MetricType, samples: [(labels: [(String, String)], value: Double)])] = []

    public init() {}

    /// Starts a metric family; the samples that follow belong to it.
    public mutating func family(_ name: String, help: String, type: MetricType = .gauge) {
        families.append((name, help, type, []))
    }

    /// Adds a sample to the current family; a `nil` value (an unset limit) is left out, as
    /// Prometheus has no null.
    public mutating func sample(_ labels: [(String, String)] = [], _ value: Double?) {
        guard let value, !families.isEmpty else { return }
        families[families.count - 1].samples.append((labels, value))
    }

    public var text: String {
        var output = ""
        for family in families where !family.samples.isEmpty {
            output += "# HELP \(family.name) \(escapeHelp(family.help))\n"
            output += "# TYPE \(family.name) \(family.type.rawValue)\n"
            for sample in family.samples {
                output += family.name
                if !sample.labels.isEmpty {
                    output += "{" + sample.labels.map { "\($0.0)=\"\(escapeLabel($0.1))\"" }.joined(separator: ",") + "}"
                }
                output += " " + format(sample.value) + "\n"
            }
        }
        return output
    }

    private func format(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        return ComposeNumber.format(value)
    }

    private func escapeLabel(_ value: String) -> String {
        var result = ""
        for character in value {
            switch character {
            case "\\": result += "\\\\"
            case "\"": result += "\\\""
            case "\n": result += "\\n"
            default: result.append(character)
            }
        }
        return result
    }

    private func escapeHelp(_ value: String) -> String {
        value.replacingBackslashesAndNewlines()
    }
}

private extension String {
    func replacingBackslashesAndNewlines() -> String {
        var result = ""
        for character in self {
            switch character {
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            default: result.append(character)
            }
        }
        return result
    }
}
