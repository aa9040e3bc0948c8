import TensorGraph

/// An element type as a file stores it, before conversion to a `HostTensor` dtype.
///
/// Both safetensors and `.npy` files store little-endian, row-major elements of a handful of
/// machine types; this enum holds what the two formats share: the byte size, the host dtype an
/// element becomes, and the conversion itself, which refuses values the host dtype cannot hold
/// rather than wrapping or rounding them silently.
enum StoredElement: Sendable, Equatable {
    case float16, bfloat16, float32, float64
    case int8, uint8, int16, uint16, int32, uint32, int64, uint64
    case bool

    /// Bytes per element.
    var byteSize: Int {
        switch self {
        case .int8, .uint8, .bool: return 1
        case .float16, .bfloat16, .int16, .uint16: return 2
        case .float32, .int32, .uint32: return 4
        case .float64, .int64, .uint64: return 8
        }
    }

    /// The host dtype: floats become float32, integers int32, bools bool.
    var hostDType: DType {
        switch self {
        case .float16, .bfloat16, .float32, .float64: return .float32
        case .int8, .uint8, .int16, .uint16, .int32, .uint32, .int64, .uint64: return .int32
        case .bool: return .bool
        }
    }

    /// A stored element that does not fit the host dtype: its position and value as text.
    struct Unrepresentable: Error, Equatable {
        var index: Int
        var value: String
    }

    /// Converts `count` elements stored at `offset` of `raw` to host scalars.
    ///
    /// The caller has checked that `offset + count * byteSize <= raw.count`.
    func decode(_ raw: UnsafeRawBufferPointer, offset: Int, count: Int) -> Result<[Double], Unrepresentable> {
        var out = [Double](repeating: 0, count: count)
        func load<T: FixedWidthInteger>(_ i: Int, _: T.Type) -> T {
            T(littleEndian: raw.loadUnaligned(fromByteOffset: offset + i * MemoryLayout<T>.size, as: T.self))
        }
        func integers<T: FixedWidthInteger>(_ type: T.Type) -> Result<[Double], Unrepresentable> {
            for i in 0..<count {
                let value = load(i, T.self)
                guard let exact = Int32(exactly: value) else {
                    return .failure(Unrepresentable(index: i, value: "\(value)"))
                }
                out[i] = Double(exact)
            }
            return .success(out)
        }
        switch self {
        case .float16:
            for i in 0..<count { out[i] = Double(halfToFloat(load(i, UInt16.self))) }
        case .bfloat16:
            for i in 0..<count { out[i] = Double(Float(bitPattern: UInt32(load(i, UInt16.self)) << 16)) }
        case .float32:
            for i in 0..<count { out[i] = Double(Float(bitPattern: load(i, UInt32.self))) }
        case .float64:
            // The host keeps float32 values, so a float64 is rounded once, here.
            for i in 0..<count { out[i] = Double(Float(Double(bitPattern: load(i, UInt64.self)))) }
        case .int8: return integers(Int8.self)
        case .uint8: return integers(UInt8.self)
        case .int16: return integers(Int16.self)
        case .uint16: return integers(UInt16.self)
        case .int32: return integers(Int32.self)
        case .uint32: return integers(UInt32.self)
        case .int64: return integers(Int64.self)
        case .uint64: return integers(UInt64.self)
        case .bool:
            for i in 0..<count {
                let byte = raw[offset + i]
                guard byte <= 1 else { return .failure(Unrepresentable(index: i, value: "\(byte)")) }
                out[i] = Double(byte)
            }
        }
        return .success(out)
    }

    /// The stored element the host dtype is written as: float32, int32 or a one-byte bool.
    static func written(for dtype: DType) -> StoredElement {
        switch dtype {
        case .float32: return .float32
        case .int32: return .int32
        case .bool: return .bool
        }
    }

    /// Appends `tensor`'s scalars as little-endian elements of `written(for: tensor.dtype)`.
    ///
    /// Float32 values are rounded to `Float`; int32 and bool values must be exact, because a
    /// file that silently truncates 2.5 to 2 would hide a bug upstream.
    static func encode(_ tensor: HostTensor, into bytes: inout [UInt8]) -> Result<Void, Unrepresentable> {
        bytes.reserveCapacity(bytes.count + tensor.count * tensor.dtype.byteSize)
        switch tensor.dtype {
        case .float32:
            for value in tensor.scalars { appendLittleEndian(Float(value).bitPattern, to: &bytes) }
        case .int32:
            for (i, value) in tensor.scalars.enumerated() {
                guard let exact = Int32(exactly: value) else {
                    return .failure(Unrepresentable(index: i, value: "\(value)"))
                }
                appendLittleEndian(UInt32(bitPattern: exact), to: &bytes)
            }
        case .bool:
            for (i, value) in tensor.scalars.enumerated() {
                guard value == 0 || value == 1 else { return .failure(Unrepresentable(index: i, value: "\(value)")) }
                bytes.append(value == 1 ? 1 : 0)
            }
        }
        return .success(())
    }
}

/// Appends `value` to `bytes`, least significant byte first.
func appendLittleEndian<T: FixedWidthInteger>(_ value: T, to bytes: inout [UInt8]) {
    withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
}

/// The float32 value of IEEE 754 binary16 bits, subnormals, infinities and NaN included.
///
/// Written out rather than through `Float16` so that it behaves the same on every platform.
func halfToFloat(_ bits: UInt16) -> Float {
    let sign = UInt32(bits >> 15) << 31
    let exponent = UInt32((bits >> 10) & 0x1F)
    let mantissa = UInt32(bits & 0x3FF)
    switch exponent {
    case 0:
        // Zero or subnormal: mantissa · 2^-24, exact in float32.
        let magnitude = Float(mantissa) * Float(sign: .plus, exponent: -24, significand: 1)
        return sign == 0 ? magnitude : -magnitude
    case 0x1F:
        return Float(bitPattern: sign | 0x7F80_0000 | (mantissa << 13))
    default:
        return Float(bitPattern: sign | ((exponent + 112) << 23) | (mantissa << 13))
    }
}
