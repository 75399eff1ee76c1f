import Foundation
import Glibc
import StackFile

/// Writes to the user's terminal: results on standard output, diagnostics on standard error.
enum Terminal {
    static func print(_ text: String) {
        FileHandle.standardOutput.write(Data(text.utf8))
    }

    static func printError(_ text: String) {
        FileHandle.standardError.write(Data((text.hasSuffix("\n") ? text : text + "\n").utf8))
    }

    /// For the commands that run until interrupted (`logs -f`, `budget --watch`): Ctrl-C and
    /// SIGTERM end them even when the caller started berth with those signals blocked or
    /// ignored (a parent that supervises with signalfd hands its mask down).
    static func endOnInterrupt() {
        var signals = sigset_t()
        sigemptyset(&signals)
        for signal in [SIGINT, SIGTERM, SIGHUP] {
            Glibc.signal(signal, SIG_DFL)
            sigaddset(&signals, signal)
        }
        sigprocmask(SIG_UNBLOCK, &signals, nil)
    }

    /// Errors and warnings, one per line, the way compilers print them.
    static func report(_ diagnostics: [Diagnostic]) {
        for diagnostic in diagnostics {
            printError("\(diagnostic.severity == .error ? "error" : "warning"): \(diagnostic)")
        }
        let errors = diagnostics.filter { $0.severity == .error }.count
        if errors > 1 { printError("\(errors) errors") }
    }
}
