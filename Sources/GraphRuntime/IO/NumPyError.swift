import TensorGraph

/// Why a `.npy` file could not be read or written; each message names the file and says what
/// to change.
public enum NumPyError: Error, Equatable, CustomStringConvertible {
    /// The file could not be opened or read.
    case unreadable(path: String, reason: String)
    /// The file could not be written.
    case unwritable(path: String, reason: String)
    /// The file does not start with the magic bytes `\x93NUMPY`.
    case notNumPy(path: String)
    /// A format version other than 1.0, 2.0 or 3.0.
    case unsupportedVersion(path: String, major: UInt8, minor: UInt8)
    /// The file ends inside its header.
    case truncatedHeader(path: String, needed: Int, fileSize: Int)
    /// The header is not a dict with exactly `descr`, `fortran_order` and `shape` of the right kinds.
    case badHeader(path: String, reason: String)
    /// The dtype is not one this reader converts.
    case unsupportedDType(path: String, descr: String)
    /// The data is big-endian.
    case bigEndian(path: String, descr: String)
    /// The data is stored column-major.
    case fortranOrder(path: String)
    /// The data after the header is shorter or longer than the shape and dtype say.
    case dataSizeMismatch(path: String, descr: String, shape: [Int], expectedBytes: Int, actualBytes: Int)
    /// A stored element does not fit the host dtype (an int64 beyond int32, a bool byte of 2).
    case valueOutOfRange(path: String, descr: String, index: Int, value: String)
    /// A tensor to write has a value its dtype cannot store (int32 2.5, bool 3).
    case unrepresentableValue(dtype: DType, index: Int, value: String)

    public var description: String {
        switch self {
        case .unreadable(let path, let reason):
            return "cannot read .npy file \(path): \(reason)"
        case .unwritable(let path, let reason):
            return "cannot write .npy file \(path): \(reason); check the directory exists and is writable"
        case .notNumPy(let path):
            return "\(path) is not a .npy file (it does not start with \\x93NUMPY); save it with numpy.save"
        case .unsupportedVersion(let path, let major, let minor):
            return "\(path) is .npy format version \(major).\(minor); this reader knows 1.0, 2.0 and 3.0, "
                + "so save it again with numpy.save"
        case .truncatedHeader(let path, let needed, let fileSize):
            return "\(path) has \(fileSize) bytes but its header needs \(needed); the file is cut short, save it again"
        case .badHeader(let path, let reason):
            return "\(path) has a malformed .npy header: \(reason)"
        case .unsupportedDType(let path, let descr):
            return "\(path) holds dtype '\(descr)', which this reader does not convert; supported: "
                + "\(NumPyDType.supportedDescription); convert with array.astype(numpy.float32) before saving"
        case .bigEndian(let path, let descr):
            return "\(path) holds big-endian data ('\(descr)'); save it little-endian, "
                + "e.g. array.astype(array.dtype.newbyteorder('<'))"
        case .fortranOrder(let path):
            return "\(path) is stored in Fortran (column-major) order; save numpy.ascontiguousarray(array) instead"
        case .dataSizeMismatch(let path, let descr, let shape, let expected, let actual):
            let what = actual < expected ? "the file is cut short" : "bytes follow the array, which a .npy file does not allow"
            return "\(path) holds '\(descr)' of shape \(shape), which takes \(expected) bytes, but \(actual) bytes "
                + "follow the header: \(what); save it again"
        case .valueOutOfRange(let path, let descr, let index, let value):
            let target = descr.hasSuffix("b1") ? "a bool (0 or 1)" : "int32"
            return "element \(index) of \(path) is \(value), which \(target) cannot hold; "
                + "convert the '\(descr)' array to a narrower range (or to float) before saving"
        case .unrepresentableValue(let dtype, let index, let value):
            let allowed = dtype == .bool ? "0 or 1" : "an integer in the int32 range"
            return "the tensor holds \(value) at element \(index), but a \(dtype.rawValue) element must be "
                + "\(allowed); round or cast it before writing"
        }
    }
}
