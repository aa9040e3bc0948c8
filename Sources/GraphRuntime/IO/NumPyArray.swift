import Foundation
import TensorGraph

/// Reads and writes NumPy's `.npy` files: one array per file.
///
/// The format: the magic bytes `\x93NUMPY`, the version (major, minor bytes), the header
/// length (UInt16 little-endian in version 1.0, UInt32 in 2.0 and 3.0), the header (a Python
/// dict literal giving `descr`, `fortran_order` and `shape`, padded with spaces and a newline),
/// then the elements in row-major order.
///
/// Reading converts little-endian `<f2`, `<f4` and `<f8` to float32, integer types (`|i1` to
/// `<i8`, `|u1` to `<u8`) to int32 (refusing values outside its range) and `|b1` to bool.
/// Big-endian data, Fortran order and other dtypes are refused with a typed `NumPyError`.
/// Writing produces the bytes `numpy.save` produces (version 1.0) for `<f4`, `<i4` and `|b1`.
public enum NumPyArray {
    /// The six magic bytes every `.npy` file starts with.
    public static let magic: [UInt8] = [0x93] + Array("NUMPY".utf8)

    /// Reads the `.npy` file at `path`.
    public static func read(path: String) throws(NumPyError) -> HostTensor {
        switch IOFile.read(path: path) {
        case .success(let data): return try decode(data, path: path)
        case .failure(let failure): throw .unreadable(path: path, reason: failure.reason)
        }
    }

    /// Decodes the bytes of a `.npy` file; `path` only names the file in errors.
    public static func decode(_ data: Data, path: String = "<data>") throws(NumPyError) -> HostTensor {
        let result = data.withUnsafeBytes { raw in
            Result { () throws(NumPyError) -> HostTensor in try decode(raw, path: path) }
        }
        return try result.get()
    }

    private static func decode(_ raw: UnsafeRawBufferPointer, path: String) throws(NumPyError) -> HostTensor {
        guard raw.count >= magic.count, Array(raw[0..<magic.count]) == magic else { throw .notNumPy(path: path) }
        guard raw.count >= 10 else { throw .truncatedHeader(path: path, needed: 10, fileSize: raw.count) }
        let (major, minor) = (raw[6], raw[7])
        guard minor == 0, (1...3).contains(major) else {
            throw .unsupportedVersion(path: path, major: major, minor: minor)
        }
        let lengthBytes = major == 1 ? 2 : 4
        guard raw.count >= 8 + lengthBytes else {
            throw .truncatedHeader(path: path, needed: 8 + lengthBytes, fileSize: raw.count)
        }
        let headerLength = major == 1
            ? Int(UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: 8, as: UInt16.self)))
            : Int(UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 8, as: UInt32.self)))
        let dataStart = 8 + lengthBytes + headerLength
        guard raw.count >= dataStart else { throw .truncatedHeader(path: path, needed: dataStart, fileSize: raw.count) }
        let headerBytes = raw[(8 + lengthBytes)..<dataStart]
        // Versions 1.0 and 2.0 are latin-1, 3.0 is UTF-8.
        let text: String
        if major == 3 {
            guard let utf8 = String(validating: headerBytes, as: UTF8.self) else {
                throw .badHeader(path: path, reason: "a version 3.0 header must be UTF-8")
            }
            text = utf8
        } else {
            text = String(String.UnicodeScalarView(headerBytes.map { Unicode.Scalar($0) }))
        }
        let header: NumPyHeader
        switch NumPyHeader.parse(text) {
        case .success(let parsed): header = parsed
        case .failure(.syntax(let reason)): throw .badHeader(path: path, reason: reason)
        case .failure(.structuredDType): throw .unsupportedDType(path: path, descr: "a structured dtype")
        }
        let element: StoredElement
        switch NumPyDType.parse(header.descr) {
        case .element(let parsed): element = parsed
        case .bigEndian: throw .bigEndian(path: path, descr: header.descr)
        case .unsupported: throw .unsupportedDType(path: path, descr: header.descr)
        }
        // A 0- or 1-dimensional array reads the same in either order, and numpy marks such
        // arrays C-ordered anyway; any Fortran flag is refused to keep the rule simple.
        if header.fortranOrder { throw .fortranOrder(path: path) }
        let actual = raw.count - dataStart
        var expected = element.byteSize
        for extent in header.shape {
            let (product, overflow) = expected.multipliedReportingOverflow(by: extent)
            guard !overflow else { throw .badHeader(path: path, reason: "shape \(header.shape) is too large to address") }
            expected = product
        }
        guard expected == actual else {
            throw .dataSizeMismatch(path: path, descr: header.descr, shape: header.shape,
                                    expectedBytes: expected, actualBytes: actual)
        }
        switch element.decode(raw, offset: dataStart, count: header.shape.reduce(1, *)) {
        case .success(let scalars): return HostTensor(shape: header.shape, dtype: element.hostDType, scalars: scalars)
        case .failure(let bad): throw .valueOutOfRange(path: path, descr: header.descr, index: bad.index, value: bad.value)
        }
    }

    /// The bytes `numpy.save` writes for this tensor: `<f4`, `<i4` or `|b1`, C order,
    /// format version 1.0 (2.0 only if the header outgrows 65535 bytes, as numpy does).
    public static func encode(_ tensor: HostTensor) throws(NumPyError) -> Data {
        let header = NumPyHeader(descr: NumPyDType.written(for: tensor.dtype), fortranOrder: false, shape: tensor.shape)
        let text = Array(header.text.utf8)
        // Magic, version and length, header and its "\n" end on a multiple of 64 bytes; numpy
        // pads a full 64 when already aligned, and so does this.
        func padding(_ lengthBytes: Int) -> Int { 64 - ((magic.count + 2 + lengthBytes + text.count + 1) % 64) }
        var bytes = magic
        if text.count + 1 + padding(2) <= Int(UInt16.max) {
            bytes += [1, 0]
            appendLittleEndian(UInt16(text.count + 1 + padding(2)), to: &bytes)
            bytes += text + [UInt8](repeating: UInt8(ascii: " "), count: padding(2))
        } else {
            bytes += [2, 0]
            appendLittleEndian(UInt32(text.count + 1 + padding(4)), to: &bytes)
            bytes += text + [UInt8](repeating: UInt8(ascii: " "), count: padding(4))
        }
        bytes.append(UInt8(ascii: "\n"))
        if case .failure(let bad) = StoredElement.encode(tensor, into: &bytes) {
            throw .unrepresentableValue(dtype: tensor.dtype, index: bad.index, value: bad.value)
        }
        return Data(bytes)
    }

    /// Writes the tensor to `path` atomically (temporary file, `fsync`, rename).
    public static func write(_ tensor: HostTensor, path: String) throws(NumPyError) {
        let data = try encode(tensor)
        if case .failure(let failure) = IOFile.writeAtomically(data, to: path) {
            throw .unwritable(path: path, reason: failure.reason)
        }
    }
}
