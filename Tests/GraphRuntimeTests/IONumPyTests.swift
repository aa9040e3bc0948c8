import Foundation
import GraphRuntime
import TensorGraph
import Testing

/// Bytes from a hex literal; whitespace and newlines are ignored so long literals can wrap.
private func hexData(_ hex: String) -> Data {
    let digits = Array(hex.filter { !$0.isWhitespace })
    precondition(digits.count % 2 == 0, "odd hex literal")
    return Data(stride(from: 0, to: digits.count, by: 2).map { UInt8(String(digits[$0...$0 + 1]), radix: 16)! })
}

/// A `.npy` file built by hand: magic, `version`, the header length (the true one unless
/// `declaredLength` says otherwise), the header text as given (no padding added), then `data`.
private func npy(_ header: String, _ data: [UInt8] = [], version: (UInt8, UInt8) = (1, 0), declaredLength: Int? = nil) -> Data {
    let text = Array(header.utf8)
    var bytes: [UInt8] = [0x93] + Array("NUMPY".utf8) + [version.0, version.1]
    let length = declaredLength ?? text.count
    if version.0 == 1 {
        bytes += [UInt8(length & 0xFF), UInt8(length >> 8)]
    } else {
        bytes += (0..<4).map { UInt8((length >> (8 * $0)) & 0xFF) }
    }
    return Data(bytes + text + data)
}

/// The 64-byte-aligned header numpy writes, for hand-built files (spacing need not match).
private func header(_ dict: String) -> String {
    dict + String(repeating: " ", count: 64 - (10 + dict.count + 1) % 64) + "\n"
}

/// Expects decoding `data` to throw exactly `expected`, whose message mentions each of `mentions`.
private func expectRefused(
    _ data: Data, _ expected: NumPyError, mentions: [String] = [], sourceLocation: SourceLocation = #_sourceLocation
) {
    #expect(throws: expected, sourceLocation: sourceLocation) { try NumPyArray.decode(data, path: "a.npy") }
    for word in mentions {
        #expect(expected.description.contains(word), "message lacks '\(word)': \(expected)", sourceLocation: sourceLocation)
    }
}

/// `.npy` files: bytes equal to `numpy.save`'s (numpy 2.4), conversions of the stored dtypes,
/// a header reader that tolerates hand-written spacing, and a typed `NumPyError` for damage.
@Suite("IO: NumPy .npy")
struct IONumPyTests {
    /// The 10-byte prefix of a version 1.0 file whose header is 118 bytes (128 in all).
    static let prefix128 = "934e554d5059 0100 7600"

    /// `np.save` of `np.array([1, -2.5, 3], np.float32)`.
    static let float32File = hexData(prefix128 + """
        7b276465736372273a20273c6634272c2027666f727472616e5f6f72646572273a2046616c73652c2027
        7368617065273a2028332c292c207d202020202020202020202020202020202020202020202020202020
        2020202020202020202020202020202020202020202020202020202020202020200a
        0000803f 000020c0 00004040
        """)

    /// `np.save` of `np.array([[1, -2, 3], [4, 5, -6]], np.int32)`.
    static let int32File = hexData(prefix128 + """
        7b276465736372273a20273c6934272c2027666f727472616e5f6f72646572273a2046616c73652c2027
        7368617065273a2028322c2033292c207d20202020202020202020202020202020202020202020202020
        2020202020202020202020202020202020202020202020202020202020202020200a
        01000000 feffffff 03000000 04000000 05000000 faffffff
        """)

    /// `np.save` of `np.array(2.5, np.float32)`: shape `()`, no growth padding.
    static let scalarFile = hexData(prefix128 + """
        7b276465736372273a20273c6634272c2027666f727472616e5f6f72646572273a2046616c73652c2027
        7368617065273a2028292c207d2020202020202020202020202020202020202020202020202020202020
        2020202020202020202020202020202020202020202020202020202020202020200a
        00002040
        """)

    /// `np.save` of `np.array([True, False])`.
    static let boolFile = hexData(prefix128 + """
        7b276465736372273a20277c6231272c2027666f727472616e5f6f72646572273a2046616c73652c2027
        7368617065273a2028322c292c207d202020202020202020202020202020202020202020202020202020
        2020202020202020202020202020202020202020202020202020202020202020200a
        0100
        """)

    /// `np.save` of `np.zeros((0, 2), np.float32)`.
    static let emptyFile = hexData(prefix128 + """
        7b276465736372273a20273c6634272c2027666f727472616e5f6f72646572273a2046616c73652c2027
        7368617065273a2028302c2032292c207d20202020202020202020202020202020202020202020202020
        2020202020202020202020202020202020202020202020202020202020202020200a
        """)

    // MARK: Known bytes

    @Test("decodes numpy.save's bytes and encodes them back byte for byte", arguments: [
        (float32File, HostTensor(shape: [3], dtype: .float32, scalars: [1, -2.5, 3])),
        (int32File, HostTensor(shape: [2, 3], dtype: .int32, scalars: [1, -2, 3, 4, 5, -6])),
        (scalarFile, HostTensor(shape: [], dtype: .float32, scalars: [2.5])),
        (boolFile, HostTensor(shape: [2], dtype: .bool, scalars: [1, 0])),
        (emptyFile, HostTensor(shape: [0, 2], dtype: .float32, scalars: [])),
    ])
    func knownBytes(file: Data, tensor: HostTensor) throws {
        #expect((file.count - tensor.count * tensor.dtype.byteSize) % 64 == 0)
        #expect(try NumPyArray.decode(file) == tensor)
        #expect(try NumPyArray.encode(tensor) == file)
    }

    @Test("reads version 2.0 float64, int64 and float16 files as numpy writes them")
    func readsOtherDTypes() throws {
        // np.lib.format.write_array(f, np.array([1.5, 2], '<f8'), version=(2, 0)): 4-byte length.
        let float64 = hexData("""
            934e554d5059 0200 74000000
            7b276465736372273a20273c6638272c2027666f727472616e5f6f72646572273a2046616c73652c2027
            7368617065273a2028322c292c207d202020202020202020202020202020202020202020202020202020
            202020202020202020202020202020202020202020202020202020202020200a
            000000000000f83f 0000000000000040
            """)
        #expect(try NumPyArray.decode(float64) == HostTensor(shape: [2], dtype: .float32, scalars: [1.5, 2]))
        // np.save of np.array([1, -2, 2**31 - 1], '<i8').
        let int64 = hexData(Self.prefix128 + """
            7b276465736372273a20273c6938272c2027666f727472616e5f6f72646572273a2046616c73652c2027
            7368617065273a2028332c292c207d202020202020202020202020202020202020202020202020202020
            2020202020202020202020202020202020202020202020202020202020202020200a
            0100000000000000 feffffffffffffff ffffff7f00000000
            """)
        #expect(try NumPyArray.decode(int64) == HostTensor(shape: [3], dtype: .int32, scalars: [1, -2, 2_147_483_647]))
        // np.save of np.array([1, -2.5, 65504, inf], '<f2').
        let float16 = hexData(Self.prefix128 + """
            7b276465736372273a20273c6632272c2027666f727472616e5f6f72646572273a2046616c73652c2027
            7368617065273a2028342c292c207d202020202020202020202020202020202020202020202020202020
            2020202020202020202020202020202020202020202020202020202020202020200a
            003c 00c1 ff7b 007c
            """)
        #expect(try NumPyArray.decode(float16) == HostTensor(shape: [4], dtype: .float32, scalars: [1, -2.5, 65504, .infinity]))
    }

    @Test("float64 values are rounded once to float32; small integer dtypes become int32")
    func conversions() throws {
        var f8: [UInt8] = []
        for value in [0.1, 1e300, -1e-50] { withUnsafeBytes(of: value.bitPattern.littleEndian) { f8 += $0 } }
        let float64 = try NumPyArray.decode(npy(header("{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }"), f8))
        #expect(float64.scalars[0] == Double(Float(0.1)) && float64.scalars[1] == .infinity)
        #expect(float64.scalars[2] == 0 && float64.scalars[2].sign == .minus)
        let uint8 = try NumPyArray.decode(npy(header("{'descr': '|u1', 'fortran_order': False, 'shape': (2,), }"), [255, 7]))
        #expect(uint8 == HostTensor(shape: [2], dtype: .int32, scalars: [255, 7]))
        let int8 = try NumPyArray.decode(npy(header("{'descr': '|i1', 'fortran_order': False, 'shape': (2,), }"), [255, 7]))
        #expect(int8 == HostTensor(shape: [2], dtype: .int32, scalars: [-1, 7]))
    }

    // MARK: Round trips and tolerance

    @Test("float32, int32 and bool tensors of every rank survive encode then decode", arguments: [
        HostTensor(shape: [2, 3, 4], dtype: .float32, scalars: (0..<24).map { Double(Float($0) * 0.37 - 4) }),
        HostTensor(shape: [], dtype: .int32, scalars: [-2_147_483_648]),
        HostTensor(shape: [1, 1, 1, 1, 5], dtype: .int32, scalars: [0, 1, -1, 2_147_483_647, 12]),
        HostTensor(shape: [3, 0], dtype: .bool, scalars: []),
        HostTensor(shape: [4], dtype: .bool, scalars: [1, 1, 0, 1]),
        HostTensor(shape: [1_000_000_000_000, 0], dtype: .float32, scalars: []),
    ])
    func roundTrip(tensor: HostTensor) throws {
        let data = try NumPyArray.encode(tensor)
        #expect(data.prefix(8) == Data([0x93] + Array("NUMPY".utf8) + [1, 0]))
        #expect((data.count - tensor.count * tensor.dtype.byteSize) % 64 == 0)
        #expect(try NumPyArray.decode(data) == tensor)
    }

    @Test("write then read through a path; the write leaves no temporary file behind")
    func writeAndRead() throws {
        let directory = NSTemporaryDirectory() + "phenaki-npy-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/x.npy"
        let tensor = HostTensor(shape: [3], dtype: .float32, scalars: [1, -2.5, 3])
        try NumPyArray.write(tensor, path: path)
        #expect(try NumPyArray.read(path: path) == tensor)
        #expect(FileManager.default.contents(atPath: path) == Self.float32File)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory) == ["x.npy"])
    }

    @Test("headers with other spacing, quotes, key order, trailing commas and Python 2 longs are read",
          arguments: [
              "{'descr':'<f4','fortran_order':False,'shape':(2,3)}",
              "{\"shape\": (2, 3,), \"descr\": \"<f4\", \"fortran_order\": False}",
              "{ 'fortran_order' : False , 'shape' : ( 2 , 3 ) , 'descr' : '<f4' , }",
              "{'descr': '<f4', 'fortran_order': False, 'shape': (2L, 3L), }",
              "{'descr': '<f4', 'fortran_order': False, 'shape': [2, 3]}",
              "{'descr': '=f4', 'fortran_order': False, 'shape': (2, 3), }   \n",
          ])
    func tolerantHeaders(dict: String) throws {
        let values: [Float] = [1, 2, 3, 4, 5, 6]
        let data = values.flatMap { v in withUnsafeBytes(of: v.bitPattern.littleEndian) { Array($0) } }
        let tensor = try NumPyArray.decode(npy(dict, data))
        #expect(tensor == HostTensor(shape: [2, 3], dtype: .float32, scalars: [1, 2, 3, 4, 5, 6]))
    }

    @Test("version 3.0 (UTF-8 header) is read; the shape (3) without a comma is the integer 3, not a tuple")
    func versionThreeAndParenthesizedInteger() throws {
        let v3 = npy(header("{'descr': '|b1', 'fortran_order': False, 'shape': (1,), }"), [1], version: (3, 0))
        #expect(try NumPyArray.decode(v3) == HostTensor(shape: [1], dtype: .bool, scalars: [1]))
        expectRefused(npy(header("{'descr': '<f4', 'fortran_order': False, 'shape': (3), }"), [UInt8](repeating: 0, count: 12)),
                      .badHeader(path: "a.npy", reason: "'shape' must be a tuple such as (2, 3)"))
    }

    // MARK: Bad input

    @Test("files without the magic bytes are refused")
    func wrongMagic() {
        expectRefused(Data("PK\u{3}\u{4} not numpy".utf8), .notNumPy(path: "a.npy"), mentions: ["numpy.save"])
        expectRefused(Data([0x93, 0x4E]), .notNumPy(path: "a.npy"))
        expectRefused(Data(), .notNumPy(path: "a.npy"))
    }

    @Test("unknown format versions are refused")
    func unsupportedVersion() {
        expectRefused(npy(header("{'descr': '<f4', 'fortran_order': False, 'shape': (), }"), [0, 0, 0, 0], version: (4, 0)),
                      .unsupportedVersion(path: "a.npy", major: 4, minor: 0), mentions: ["4.0"])
        expectRefused(npy("{}", version: (1, 1)), .unsupportedVersion(path: "a.npy", major: 1, minor: 1))
    }

    @Test("a file that ends inside its header is refused")
    func truncatedHeader() {
        expectRefused(Self.float32File.prefix(9), .truncatedHeader(path: "a.npy", needed: 10, fileSize: 9))
        expectRefused(Self.float32File.prefix(100), .truncatedHeader(path: "a.npy", needed: 128, fileSize: 100),
                      mentions: ["cut short"])
        expectRefused(npy("{}", version: (2, 0), declaredLength: 0x7FFF_FFFF),
                      .truncatedHeader(path: "a.npy", needed: 12 + 0x7FFF_FFFF, fileSize: 14))
    }

    @Test("malformed header dicts are refused with a reason", arguments: [
        ("[1, 2]", "the header is not a dict"),
        ("{'descr': '<f4', 'shape': (2,), }", "the dict has no 'fortran_order' key"),
        ("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'extra': 1}", "the dict has an unexpected key 'extra'"),
        ("{'descr': '<f4', 'fortran_order': 0, 'shape': (2,), }", "'fortran_order' must be True or False"),
        ("{'descr': '<f4', 'fortran_order': False, 'shape': (-2,), }", "'shape' must hold non-negative integers"),
        ("{'descr': '<f4', 'fortran_order': False, 'shape': 'big', }", "'shape' must be a tuple such as (2, 3)"),
        ("{'descr': 4, 'fortran_order': False, 'shape': (2,), }", "'descr' must be a string such as '<f4'"),
        ("{'descr': '<f4, 'fortran_order': False, 'shape': (2,), }", "expected ',' or '}' at character 17"),
        ("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), ", "the header ends where a value should start"),
        ("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,), }",
         "'99999999999999999999' is not an integer that fits 64 bits"),
        ("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), } junk", "unexpected text after the dict at character 58"),
        ("{'descr': '<f4', 'fortran_order': Nope, 'shape': (2,), }", "unexpected 'Nope' at character 38"),
        (String(repeating: "(", count: 5000), "values nested too deeply"),
    ])
    func badHeaders(dict: String, reason: String) {
        expectRefused(npy(dict, [0, 0, 0, 0, 0, 0, 0, 0]), .badHeader(path: "a.npy", reason: reason))
    }

    @Test("a shape whose byte count overflows is refused as a bad header")
    func shapeOverflow() {
        expectRefused(npy(header("{'descr': '<f4', 'fortran_order': False, 'shape': (4611686018427387904, 4), }")),
                      .badHeader(path: "a.npy", reason: "shape [4611686018427387904, 4] is too large to address"))
    }

    @Test("unsupported dtypes are refused, naming the dtype and listing the supported ones",
          arguments: ["<c8", "|O", "<U5", "<M8[ns]", "|f4", "f4", "<f16"])
    func unsupportedDType(descr: String) {
        let error = NumPyError.unsupportedDType(path: "a.npy", descr: descr)
        expectRefused(npy(header("{'descr': '\(descr)', 'fortran_order': False, 'shape': (1,), }"), [0, 0, 0, 0]),
                      error, mentions: ["'\(descr)'", "<f4", "<i4", "|b1", "<i8"])
    }

    @Test("a structured dtype is refused as unsupported")
    func structuredDType() {
        expectRefused(npy(header("{'descr': [('x', '<f4'), ('y', '<i4')], 'fortran_order': False, 'shape': (1,), }"),
                          [UInt8](repeating: 0, count: 8)),
                      .unsupportedDType(path: "a.npy", descr: "a structured dtype"))
    }

    @Test("big-endian data is refused, saying how to convert it")
    func bigEndian() throws {
        expectRefused(npy(header("{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }"), [0x3F, 0xC0, 0, 0, 0x40, 0, 0, 0]),
                      .bigEndian(path: "a.npy", descr: ">f4"), mentions: ["little-endian"])
        // A one-byte type has no byte order, so '>' is harmless there.
        #expect(try NumPyArray.decode(npy(header("{'descr': '>u1', 'fortran_order': False, 'shape': (1,), }"), [9]))
                == HostTensor(shape: [1], dtype: .int32, scalars: [9]))
    }

    @Test("Fortran-ordered data is refused")
    func fortranOrder() {
        expectRefused(npy(header("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }"), [UInt8](repeating: 0, count: 16)),
                      .fortranOrder(path: "a.npy"), mentions: ["ascontiguousarray"])
    }

    @Test("data shorter or longer than the shape says is refused")
    func dataSizeMismatch() {
        expectRefused(Self.float32File.dropLast(1),
                      .dataSizeMismatch(path: "a.npy", descr: "<f4", shape: [3], expectedBytes: 12, actualBytes: 11),
                      mentions: ["cut short"])
        expectRefused(Self.float32File + Data([0]),
                      .dataSizeMismatch(path: "a.npy", descr: "<f4", shape: [3], expectedBytes: 12, actualBytes: 13),
                      mentions: ["follow the array"])
    }

    @Test("int64 beyond int32 and bool bytes other than 0/1 are refused, naming the element")
    func valuesOutOfRange() {
        var big: [UInt8] = [1, 0, 0, 0, 0, 0, 0, 0]
        withUnsafeBytes(of: Int64(-3_000_000_000).littleEndian) { big += $0 }
        expectRefused(npy(header("{'descr': '<i8', 'fortran_order': False, 'shape': (2,), }"), big),
                      .valueOutOfRange(path: "a.npy", descr: "<i8", index: 1, value: "-3000000000"), mentions: ["int32"])
        expectRefused(npy(header("{'descr': '|b1', 'fortran_order': False, 'shape': (2,), }"), [1, 7]),
                      .valueOutOfRange(path: "a.npy", descr: "|b1", index: 1, value: "7"), mentions: ["0 or 1"])
    }

    @Test("encoding refuses int32 fractions and bools other than 0/1")
    func encodeRefusals() {
        #expect(throws: NumPyError.unrepresentableValue(dtype: .int32, index: 2, value: "0.5")) {
            try NumPyArray.encode(HostTensor(shape: [3], dtype: .int32, scalars: [1, 2, 0.5]))
        }
        #expect(throws: NumPyError.unrepresentableValue(dtype: .bool, index: 0, value: "-1.0")) {
            try NumPyArray.encode(HostTensor(shape: [1], dtype: .bool, scalars: [-1]))
        }
    }

    @Test("a missing file and an unwritable path give typed errors")
    func fileSystemErrors() {
        let missing = "/nonexistent-\(UUID().uuidString)/x.npy"
        #expect(throws: NumPyError.unreadable(path: missing, reason: "No such file or directory")) {
            try NumPyArray.read(path: missing)
        }
        #expect(throws: NumPyError.self) { try NumPyArray.write(HostTensor(1), path: missing) }
    }

    @Test("every truncation and every single-byte corruption of a valid file is decoded or refused, never a crash")
    func damagedFilesNeverCrash() {
        let data = Self.int32File
        for length in 0..<data.count {
            #expect(throws: NumPyError.self) { try NumPyArray.decode(data.prefix(length)) }
        }
        for index in 0..<data.count {
            for replacement: UInt8 in [0x00, 0x27, 0x28, 0x2C, 0x7B, 0xFF] {
                var damaged = data
                damaged[index] = replacement
                do { _ = try NumPyArray.decode(damaged) } catch { _ = error.description }
            }
        }
    }
}
