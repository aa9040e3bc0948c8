/// The JSON header of a safetensors file: parsing it into checked entries, and checking that
/// the entries' byte ranges tile the data buffer.
enum SafeTensorsHeader {
    /// One tensor of the header, its shape and offsets already known to be well-formed.
    struct Entry: Equatable {
        var name: String
        var dtype: String
        var element: StoredElement
        var shape: [Int]
        var begin: Int
        var end: Int
    }

    /// The tensor entries (in header order) and metadata of a header.
    static func parse(_ bytes: [UInt8], path: String) throws(SafeTensorsError) -> ([Entry], [String: String]) {
        guard String(validating: bytes, as: UTF8.self) != nil else {
            throw .malformedHeader(path: path, reason: "it is not valid UTF-8")
        }
        guard bytes.first == UInt8(ascii: "{") else {
            throw .malformedHeader(path: path, reason: "it must start with '{' (a JSON object)")
        }
        let json: IOJSON
        switch IOJSON.parse(bytes) {
        case .success(let value): json = value
        case .failure(let error):
            throw .malformedHeader(path: path, reason: "invalid JSON at byte \(error.offset): \(error.reason)")
        }
        guard case .object(let members) = json else {
            throw .malformedHeader(path: path, reason: "it must be a JSON object")
        }
        var entries: [Entry] = []
        var metadata: [String: String] = [:]
        for (name, value) in members {
            if name == "__metadata__" {
                metadata = try parseMetadata(value, path: path)
            } else {
                entries.append(try parseEntry(name: name, value, path: path))
            }
        }
        return (entries, metadata)
    }

    private static func parseMetadata(_ value: IOJSON, path: String) throws(SafeTensorsError) -> [String: String] {
        if value == .null { return [:] }
        guard case .object(let members) = value else {
            throw .invalidMetadata(path: path, reason: "is \(value.kindName), not an object")
        }
        var metadata: [String: String] = [:]
        for (key, item) in members {
            guard case .string(let text) = item else {
                throw .invalidMetadata(path: path, reason: "maps \"\(key)\" to \(item.kindName)")
            }
            metadata[key] = text
        }
        return metadata
    }

    private static func parseEntry(name: String, _ value: IOJSON, path: String) throws(SafeTensorsError) -> Entry {
        guard case .object(let members) = value else {
            throw .invalidEntry(path: path, tensor: name, reason: "the entry is \(value.kindName), not an object")
        }
        func member(_ key: String) throws(SafeTensorsError) -> IOJSON {
            guard let found = members.first(where: { $0.key == key }) else {
                throw .missingKey(path: path, tensor: name, key: key)
            }
            return found.value
        }
        guard case .string(let dtype) = try member("dtype") else {
            throw .invalidEntry(path: path, tensor: name, reason: "\"dtype\" must be a string such as \"F32\"")
        }
        guard case .array(let shapeItems) = try member("shape") else {
            throw .invalidEntry(path: path, tensor: name, reason: "\"shape\" must be an array of extents")
        }
        var shape: [Int] = []
        for item in shapeItems {
            guard let extent = item.nonNegativeInt else {
                throw .invalidEntry(path: path, tensor: name,
                                    reason: "\"shape\" holds \(item.kindName); extents must be non-negative integers")
            }
            shape.append(extent)
        }
        guard case .array(let offsetItems) = try member("data_offsets"), offsetItems.count == 2,
              let begin = offsetItems[0].nonNegativeInt, let end = offsetItems[1].nonNegativeInt
        else {
            throw .invalidEntry(path: path, tensor: name,
                                reason: "\"data_offsets\" must be [begin, end], two non-negative integers")
        }
        guard let element = SafeTensorsDType.element(named: dtype) else {
            if SafeTensorsDType.knownUnsupported.contains(dtype) {
                throw .unsupportedDType(path: path, tensor: name, dtype: dtype)
            }
            throw .unknownDType(path: path, tensor: name, dtype: dtype)
        }
        return Entry(name: name, dtype: dtype, element: element, shape: shape, begin: begin, end: end)
    }

    /// Checks each range against the buffer and its shape, then that the ranges, sorted by
    /// offset, neither overlap nor leave a byte uncovered.
    static func checkLayout(_ entries: [Entry], bufferSize: Int, path: String) throws(SafeTensorsError) {
        for entry in entries {
            guard entry.begin <= entry.end, entry.end <= bufferSize else {
                throw .offsetsOutOfBounds(path: path, tensor: entry.name, begin: entry.begin, end: entry.end,
                                          bufferSize: bufferSize)
            }
            var bytes = entry.element.byteSize
            for extent in entry.shape {
                let (product, overflow) = bytes.multipliedReportingOverflow(by: extent)
                guard !overflow else {
                    throw .invalidEntry(path: path, tensor: entry.name,
                                        reason: "shape \(entry.shape) has more elements than can be addressed")
                }
                bytes = product
            }
            guard bytes == entry.end - entry.begin else {
                throw .sizeMismatch(path: path, tensor: entry.name, dtype: entry.dtype, shape: entry.shape,
                                    expectedBytes: bytes, actualBytes: entry.end - entry.begin)
            }
        }
        let sorted = entries.sorted { ($0.begin, $0.end, $0.name) < ($1.begin, $1.end, $1.name) }
        var covered = 0
        var last: Entry?
        for entry in sorted {
            if entry.begin < covered {
                throw .overlap(path: path, first: last?.name ?? "", second: entry.name)
            }
            if entry.begin > covered { throw .uncoveredBytes(path: path, begin: covered, end: entry.begin) }
            covered = entry.end
            if entry.end > entry.begin { last = entry }
        }
        if covered < bufferSize { throw .uncoveredBytes(path: path, begin: covered, end: bufferSize) }
    }
}
