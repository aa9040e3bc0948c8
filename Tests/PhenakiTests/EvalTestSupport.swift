import Foundation
@testable import Phenaki

/// The item classifier the evaluation tests share, trained once per test run with the default
/// settings (deterministic: the seed fixes the weights and the data order), so every suite
/// scores with the classifier `phenaki eval` would cache.
enum EvalTestSupport {
    static let trained: Result<FashionItemClassifier, any Error> = Result {
        try FashionItemClassifier.train(ClassifierTraining())
    }

    /// The shared classifier (throws what training threw).
    static func classifier() throws -> FashionItemClassifier { try trained.get() }
}
