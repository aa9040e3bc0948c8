/// File names of the samples `PhenakiTrainer` writes, made from their captions.
enum SampleNames {
    /// `caption` in lower case with every run of characters other than ASCII letters and digits
    /// turned into one `-`, without leading or trailing dashes, at most 100 characters:
    /// "A sneaker, moving left!" → `a-sneaker-moving-left`; "sample" when nothing is left.
    static func slug(_ caption: String) -> String {
        var slug = ""
        var pendingDash = false
        for scalar in caption.lowercased().unicodeScalars {
            if scalar.isASCII && (("a"..."z").contains(scalar) || ("0"..."9").contains(scalar)) {
                if pendingDash && !slug.isEmpty { slug.append("-") }
                pendingDash = false
                slug.unicodeScalars.append(scalar)
            } else {
                pendingDash = true
            }
        }
        slug = String(slug.prefix(100))
        while slug.hasSuffix("-") { slug.removeLast() }
        return slug.isEmpty ? "sample" : slug
    }

    /// `names` with `-2`, `-3`, ... appended to repeats, so no two samples share a file.
    static func unique(_ names: [String]) -> [String] {
        var seen: [String: Int] = [:]
        return names.map { name in
            seen[name, default: 0] += 1
            let count = seen[name]!
            return count == 1 ? name : name + "-\(count)"
        }
    }
}
