import Foundation

/// BERT's text clean-up and word splitting, as Hugging Face `tokenizers`' `BertNormalizer`
/// followed by `BertPreTokenizer` (the `BasicTokenizer` of the slow tokenizer):
///
/// 1. drop NUL, U+FFFD and "other" characters (Cc, Cf, Cs, Co, Cn; tab and newlines are
///    kept) and turn every white space into a space;
/// 2. surround CJK ideographs with spaces, so each becomes its own word;
/// 3. strip accents (NFD, then drop nonspacing marks) when lower-casing, unless told otherwise;
/// 4. lower-case character by character (no context rules such as a final sigma);
/// 5. split on white space, and make every punctuation character (ASCII punctuation or a
///    Unicode P* category) a word of its own.
///
/// Everything works on Unicode scalars, never on Swift `Character`s or `String` equality,
/// because those compare canonically equivalent text as equal and BERT's vocabulary does not.
public struct BertBasicTokenizer: Sendable {
    public var lowercase: Bool
    /// nil: strip accents exactly when lower-casing (`strip_accents: null`).
    public var stripAccents: Bool?
    public var handleChineseChars: Bool
    public var cleanText: Bool

    public init(lowercase: Bool = true, stripAccents: Bool? = nil, handleChineseChars: Bool = true,
                cleanText: Bool = true) {
        self.lowercase = lowercase
        self.stripAccents = stripAccents
        self.handleChineseChars = handleChineseChars
        self.cleanText = cleanText
    }

    /// The words of `text`, each as its Unicode scalars.
    public func words(_ text: String) -> [[Unicode.Scalar]] {
        var scalars: [Unicode.Scalar] = []
        scalars.reserveCapacity(text.unicodeScalars.count)
        for s in text.unicodeScalars {
            if cleanText {
                if s.value == 0 || s.value == 0xFFFD || Self.isControl(s) { continue }
                if Self.isWhitespace(s) { scalars.append(" "); continue }
            }
            if handleChineseChars && Self.isChinese(s) {
                scalars.append(" "); scalars.append(s); scalars.append(" ")
            } else {
                scalars.append(s)
            }
        }
        if stripAccents ?? lowercase {
            var view = String.UnicodeScalarView()
            view.append(contentsOf: scalars)
            // NFD on the scalars as they are (a String built from them is not normalised first).
            let decomposed = String(view).decomposedStringWithCanonicalMapping.unicodeScalars
            scalars = decomposed.filter { $0.properties.generalCategory != .nonspacingMark }
        }
        if lowercase {
            scalars = scalars.flatMap { s -> [Unicode.Scalar] in
                s.properties.changesWhenLowercased ? Array(s.properties.lowercaseMapping.unicodeScalars) : [s]
            }
        }
        var words: [[Unicode.Scalar]] = []
        var current: [Unicode.Scalar] = []
        func flush() {
            if !current.isEmpty { words.append(current); current = [] }
        }
        for s in scalars {
            if s.properties.isWhitespace {
                flush()
            } else if Self.isPunctuation(s) {
                flush()
                words.append([s])
            } else {
                current.append(s)
            }
        }
        flush()
        return words
    }

    static func isWhitespace(_ s: Unicode.Scalar) -> Bool {
        s == "\t" || s == "\n" || s == "\r" || s.properties.isWhitespace
    }

    /// Rust's `char::is_other` (C* categories) except tab, line feed and carriage return.
    static func isControl(_ s: Unicode.Scalar) -> Bool {
        if s == "\t" || s == "\n" || s == "\r" { return false }
        switch s.properties.generalCategory {
        case .control, .format, .surrogate, .privateUse, .unassigned: return true
        default: return false
        }
    }

    /// The CJK Unified Ideographs blocks BERT treats as one word per character.
    static func isChinese(_ s: Unicode.Scalar) -> Bool {
        switch s.value {
        case 0x4E00...0x9FFF, 0x3400...0x4DBF, 0x20000...0x2A6DF, 0x2A700...0x2B73F, 0x2B740...0x2B81F,
             0x2B920...0x2CEAF, 0xF900...0xFAFF, 0x2F800...0x2FA1F:
            return true
        default:
            return false
        }
    }

    static func isPunctuation(_ s: Unicode.Scalar) -> Bool {
        if s.isASCII, (33...47).contains(s.value) || (58...64).contains(s.value)
            || (91...96).contains(s.value) || (123...126).contains(s.value) {
            return true
        }
        switch s.properties.generalCategory {
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
             .initialPunctuation, .finalPunctuation, .otherPunctuation:
            return true
        default:
            return false
        }
    }
}
