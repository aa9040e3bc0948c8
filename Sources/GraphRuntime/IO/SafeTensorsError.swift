import TensorGraph

/// Why a safetensors file could not be read or written; each message names the file (and
/// the tensor, where one is at fault) and says what to change.
public enum SafeTensorsError: Error, Equatable, CustomStringConvertible {
    /// The file could not be opened or read.
    case unreadable(path: String, reason: String)
    /// The file could not be written.
    case unwritable(path: String, reason: String)
    /// Fewer than the 8 bytes that hold the header length.
    case tooShort(path: String, size: Int)
    /// The header length is above the 100 MB the format allows.
    case headerTooLarge(path: String, length: UInt64, limit: Int)
    /// The header length runs past the end of the file.
    case headerPastEnd(path: String, length: UInt64, fileSize: Int)
    /// The header is not UTF-8 JSON of the expected form (an object of objects).
    case malformedHeader(path: String, reason: String)
    /// A tensor entry lacks `dtype`, `shape` or `data_offsets`.
    case missingKey(path: String, tensor: String, key: String)
    /// A tensor entry has a key of the wrong form (a negative extent, three offsets, ...).
    case invalidEntry(path: String, tensor: String, reason: String)
    /// `__metadata__` is not an object of string values.
    case invalidMetadata(path: String, reason: String)
    /// The dtype is not one the format defines.
    case unknownDType(path: String, tensor: String, dtype: String)
    /// The dtype is defined by the format but this reader does not convert it.
    case unsupportedDType(path: String, tensor: String, dtype: String)
    /// The byte range does not hold product(shape) elements of the dtype.
    case sizeMismatch(path: String, tensor: String, dtype: String, shape: [Int], expectedBytes: Int, actualBytes: Int)
    /// The byte range ends past the buffer, or begins after it ends.
    case offsetsOutOfBounds(path: String, tensor: String, begin: Int, end: Int, bufferSize: Int)
    /// Two tensors share bytes.
    case overlap(path: String, first: String, second: String)
    /// Bytes of the buffer belong to no tensor (the format forbids holes and trailing bytes).
    case uncoveredBytes(path: String, begin: Int, end: Int)
    /// A stored element does not fit the host dtype (an int64 beyond int32, a bool byte of 2).
    case valueOutOfRange(path: String, tensor: String, dtype: String, index: Int, value: String)
    /// A tensor to write has a value its dtype cannot store (int32 2.5, bool 3).
    case unrepresentableValue(tensor: String, dtype: DType, index: Int, value: String)
    /// A tensor to write is named `__metadata__`, the key the format reserves.
    case reservedName(tensor: String)

    public var description: String {
        switch self {
        case .unreadable(let path, let reason):
            return "cannot read safetensors file \(path): \(reason)"
        case .unwritable(let path, let reason):
            return "cannot write safetensors file \(path): \(reason); check the directory exists and is writable"
        case .tooShort(let path, let size):
            return "\(path) has \(size) bytes, fewer than the 8-byte header length of a safetensors file; "
                + "it is empty or cut short, save it again"
        case .headerTooLarge(let path, let length, let limit):
            return "\(path) declares a \(length)-byte header, above the \(limit)-byte limit; "
                + "it is not a safetensors file or its first 8 bytes are damaged"
        case .headerPastEnd(let path, let length, let fileSize):
            return "\(path) declares a \(length)-byte header but the file has \(fileSize) bytes; "
                + "the file is cut short, save or download it again"
        case .malformedHeader(let path, let reason):
            return "\(path) has a malformed safetensors header: \(reason)"
        case .missingKey(let path, let tensor, let key):
            return "tensor '\(tensor)' in \(path) has no \"\(key)\"; every entry needs \"dtype\", \"shape\" and \"data_offsets\""
        case .invalidEntry(let path, let tensor, let reason):
            return "tensor '\(tensor)' in \(path): \(reason)"
        case .invalidMetadata(let path, let reason):
            return "\(path): __metadata__ \(reason); it must map strings to strings"
        case .unknownDType(let path, let tensor, let dtype):
            return "tensor '\(tensor)' in \(path) has dtype \"\(dtype)\", which safetensors does not define; "
                + "supported: \(SafeTensorsDType.supportedNames)"
        case .unsupportedDType(let path, let tensor, let dtype):
            return "tensor '\(tensor)' in \(path) has dtype \(dtype), which this reader does not convert; "
                + "save it as one of \(SafeTensorsDType.supportedNames)"
        case .sizeMismatch(let path, let tensor, let dtype, let shape, let expected, let actual):
            return "tensor '\(tensor)' in \(path) is \(dtype) of shape \(shape), which takes \(expected) bytes, "
                + "but its data_offsets span \(actual); fix the shape or the offsets"
        case .offsetsOutOfBounds(let path, let tensor, let begin, let end, let size):
            return "tensor '\(tensor)' in \(path) has data_offsets [\(begin), \(end)], outside the \(size)-byte "
                + "data buffer (begin must not exceed end, end must not exceed \(size)); the file is cut short or corrupt"
        case .overlap(let path, let first, let second):
            return "tensors '\(first)' and '\(second)' in \(path) share bytes; each tensor needs its own byte range"
        case .uncoveredBytes(let path, let begin, let end):
            return "bytes \(begin)..<\(end) of the data buffer of \(path) belong to no tensor; safetensors "
                + "forbids holes and trailing bytes, so the offsets or the file length are wrong"
        case .valueOutOfRange(let path, let tensor, let dtype, let index, let value):
            let target = dtype == "BOOL" ? "a bool (0 or 1)" : "int32"
            return "element \(index) of tensor '\(tensor)' in \(path) is \(value), which \(target) cannot hold; "
                + "convert the \(dtype) tensor to a narrower range (or to float) before saving"
        case .unrepresentableValue(let tensor, let dtype, let index, let value):
            let allowed = dtype == .bool ? "0 or 1" : "an integer in the int32 range"
            return "tensor '\(tensor)' holds \(value) at element \(index), but a \(dtype.rawValue) element must be "
                + "\(allowed); round or cast it before writing"
        case .reservedName(let tensor):
            return "a tensor cannot be named '\(tensor)': safetensors reserves that key for metadata; rename it"
        }
    }
}
