import Foundation

extension SafeTensorsFile {
    /// The file's bytes, laid out as the reference writer lays them out.
    ///
    /// Tensors are ordered by dtype (F32, then I32, then BOOL) and by name within a dtype;
    /// the header is compact JSON with `__metadata__` first (keys sorted), padded with spaces
    /// to a multiple of 8 bytes so that the data buffer starts aligned. A file without
    /// metadata has no `__metadata__` key.
    public func encoded() throws(SafeTensorsError) -> Data {
        if tensors["__metadata__"] != nil { throw .reservedName(tensor: "__metadata__") }
        let names = tensors.keys.sorted { a, b in
            let (ra, rb) = (SafeTensorsDType.writeRank(of: tensors[a]!.dtype), SafeTensorsDType.writeRank(of: tensors[b]!.dtype))
            return ra != rb ? ra < rb : a.utf8.lexicographicallyPrecedes(b.utf8)
        }
        var buffer: [UInt8] = []
        var members: [(key: String, value: IOJSON)] = []
        if !metadata.isEmpty {
            let sortedMetadata = metadata.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
            members.append(("__metadata__", .object(sortedMetadata.map { ($0.key, IOJSON.string($0.value)) })))
        }
        for name in names {
            let tensor = tensors[name]!
            let begin = buffer.count
            if case .failure(let bad) = StoredElement.encode(tensor, into: &buffer) {
                throw .unrepresentableValue(tensor: name, dtype: tensor.dtype, index: bad.index, value: bad.value)
            }
            members.append((name, .object([
                ("dtype", .string(SafeTensorsDType.writtenName(for: tensor.dtype))),
                ("shape", .array(tensor.shape.map { .number(String($0)) })),
                ("data_offsets", .array([.number(String(begin)), .number(String(buffer.count))])),
            ])))
        }
        var header = Array(IOJSON.object(members).serialized.utf8)
        header.append(contentsOf: repeatElement(UInt8(ascii: " "), count: (8 - header.count % 8) % 8))
        var bytes: [UInt8] = []
        bytes.reserveCapacity(8 + header.count + buffer.count)
        appendLittleEndian(UInt64(header.count), to: &bytes)
        bytes.append(contentsOf: header)
        bytes.append(contentsOf: buffer)
        return Data(bytes)
    }

    /// Writes the file atomically: a temporary file beside `path` is written and flushed
    /// (`fsync`), then renamed over `path`, so a crash leaves the old file or the new one.
    public func write(path: String) throws(SafeTensorsError) {
        let data = try encoded()
        if case .failure(let failure) = IOFile.writeAtomically(data, to: path) {
            throw .unwritable(path: path, reason: failure.reason)
        }
    }
}
