import Foundation
import Phenaki
#if canImport(Glibc)
import Glibc
#endif

/// Progress of a sampling run on stderr: on a terminal one line rewritten in place with `\r`,
/// elsewhere (a log, a pipe) one line per step so the log keeps every step.
final class ProgressLine {
    private let isTerminal = isatty(STDERR_FILENO) == 1
    private var open = false

    /// Shows `progress` ("step 3/18", or "scene 2/3 step 3/18" with several scenes).
    func show(_ progress: GenerationProgress) {
        let scene = progress.scenes > 1 ? "scene \(progress.scene)/\(progress.scenes) " : ""
        let text = "\(scene)step \(progress.step)/\(progress.steps)"
        if isTerminal {
            FileHandleOutput.standardError("\r\(text)\u{1b}[K")
            open = true
        } else {
            FileHandleOutput.standardError(text + "\n")
        }
    }

    /// Ends the rewritten line (so later output starts on a fresh one).
    func finish() {
        if open { FileHandleOutput.standardError("\n") }
        open = false
    }
}
