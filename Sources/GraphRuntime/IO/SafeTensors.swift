import Foundation
import TensorGraph

/// A safetensors file: named tensors plus free-form string metadata.
///
/// The format (huggingface/safetensors): 8 bytes holding the header length N (UInt64,
/// little-endian), N bytes of UTF-8 JSON mapping each tensor name to
/// `{"dtype", "shape", "data_offsets": [begin, end]}` (offsets relative to the data buffer)
/// plus an optional `"__metadata__"` object of strings, then the data buffer. Parameter names
/// equal phenaki-pytorch's `state_dict` keys, so weights move between the two through this file.
///
/// Reading converts F32, F16, BF16 and F64 to float32; I8 to I64 and U8 to U64 to int32
/// (refusing values outside its range); BOOL to bool. Writing stores float32 as F32, int32 as
/// I32 and bool as BOOL, laid out as the reference writer lays them out, so the bytes match.
public struct SafeTensorsFile: Equatable, Sendable {
    /// The tensors by name.
    public var tensors: [String: HostTensor]
    /// The `__metadata__` strings (empty when the file has none).
    public var metadata: [String: String]

    /// The header length above which a file is refused, as in the reference reader: a larger
    /// value means a damaged or foreign file, and reading it would allocate without bound.
    public static let maxHeaderLength = 100_000_000

    public init(tensors: [String: HostTensor] = [:], metadata: [String: String] = [:]) {
        self.tensors = tensors
        self.metadata = metadata
    }

    /// Reads and checks the safetensors file at `path`.
    public static func read(path: String) throws(SafeTensorsError) -> SafeTensorsFile {
        switch IOFile.read(path: path) {
        case .success(let data): return try decode(data, path: path)
        case .failure(let failure): throw .unreadable(path: path, reason: failure.reason)
        }
    }

    /// Decodes the bytes of a safetensors file; `path` only names the file in errors.
    ///
    /// Every byte range is checked before any is read: it must lie inside the data buffer,
    /// hold exactly product(shape) elements, share no byte with another tensor, and together
    /// the ranges must cover the buffer without holes (as the format requires). The entries
    /// may appear in any order.
    public static func decode(_ data: Data, path: String = "<data>") throws(SafeTensorsError) -> SafeTensorsFile {
        let result = data.withUnsafeBytes { raw in
            Result { () throws(SafeTensorsError) -> SafeTensorsFile in try decode(raw, path: path) }
        }
        return try result.get()
    }

    private static func decode(_ raw: UnsafeRawBufferPointer, path: String) throws(SafeTensorsError) -> SafeTensorsFile {
        guard raw.count >= 8 else { throw .tooShort(path: path, size: raw.count) }
        let length = UInt64(littleEndian: raw.loadUnaligned(as: UInt64.self))
        guard length <= UInt64(maxHeaderLength) else {
            throw .headerTooLarge(path: path, length: length, limit: maxHeaderLength)
        }
        guard Int(length) <= raw.count - 8 else {
            throw .headerPastEnd(path: path, length: length, fileSize: raw.count)
        }
        let headerBytes = [UInt8](raw[8..<(8 + Int(length))])
        let (entries, metadata) = try SafeTensorsHeader.parse(headerBytes, path: path)
        let bufferStart = 8 + Int(length)
        let bufferSize = raw.count - bufferStart
        try SafeTensorsHeader.checkLayout(entries, bufferSize: bufferSize, path: path)

        var tensors: [String: HostTensor] = [:]
        for entry in entries {
            let count = entry.shape.reduce(1, *)
            switch entry.element.decode(raw, offset: bufferStart + entry.begin, count: count) {
            case .success(let scalars):
                tensors[entry.name] = HostTensor(shape: entry.shape, dtype: entry.element.hostDType, scalars: scalars)
            case .failure(let bad):
                throw .valueOutOfRange(path: path, tensor: entry.name, dtype: entry.dtype, index: bad.index, value: bad.value)
            }
        }
        return SafeTensorsFile(tensors: tensors, metadata: metadata)
    }
}
