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

/// A safetensors file built by hand: the header length (the true one unless `declaredLength`
/// says otherwise), the header text, then `buffer`.
private func safetensors(_ header: String, _ buffer: [UInt8] = [], declaredLength: UInt64? = nil) -> Data {
    let headerBytes = Array(header.utf8)
    var bytes: [UInt8] = []
    withUnsafeBytes(of: (declaredLength ?? UInt64(headerBytes.count)).littleEndian) { bytes.append(contentsOf: $0) }
    return Data(bytes + headerBytes + buffer)
}

/// Little-endian float32 bytes of `values`.
private func f32Bytes(_ values: [Float]) -> [UInt8] {
    values.flatMap { v in withUnsafeBytes(of: v.bitPattern.littleEndian) { Array($0) } }
}

/// Expects decoding `data` to throw exactly `expected`, whose message mentions each of `mentions`.
private func expectRefused(
    _ data: Data, _ expected: SafeTensorsError, mentions: [String] = [],
    sourceLocation: SourceLocation = #_sourceLocation
) {
    #expect(throws: expected, sourceLocation: sourceLocation) { try SafeTensorsFile.decode(data, path: "m.safetensors") }
    for word in mentions {
        #expect(expected.description.contains(word), "message lacks '\(word)': \(expected)", sourceLocation: sourceLocation)
    }
}

/// Safetensors: bytes equal to the reference writer's (safetensors 0.4.5), conversions of
/// every stored dtype, and a typed `SafeTensorsError` for every kind of damage.
@Suite("IO: safetensors")
struct IOSafeTensorsTests {
    /// `safetensors.numpy.save({"weight": f32 [[1, -2.5], [0.5, 3]], "bias": f32 [0.25],
    /// "ids": i32 [7, -1, 3], "mask": bool [True, False]}, metadata={"format": "pt"})`.
    static let referenceFile = hexData("""
        1001000000000000
        7b225f5f6d657461646174615f5f223a7b22666f726d6174223a227074227d2c2262696173223a7b2264
        74797065223a22463332222c227368617065223a5b315d2c22646174615f6f666673657473223a5b302c
        345d7d2c22776569676874223a7b226474797065223a22463332222c227368617065223a5b322c325d2c
        22646174615f6f666673657473223a5b342c32305d7d2c22696473223a7b226474797065223a22493332
        222c227368617065223a5b335d2c22646174615f6f666673657473223a5b32302c33325d7d2c226d6173
        6b223a7b226474797065223a22424f4f4c222c227368617065223a5b325d2c22646174615f6f66667365
        7473223a5b33322c33345d7d7d20202020202020
        0000803e 0000803f 000020c0 0000003f 00004040 07000000 ffffffff 03000000 0100
        """)

    static let referenceTensors: [String: HostTensor] = [
        "weight": HostTensor(shape: [2, 2], dtype: .float32, scalars: [1, -2.5, 0.5, 3]),
        "bias": HostTensor(shape: [1], dtype: .float32, scalars: [0.25]),
        "ids": HostTensor(shape: [3], dtype: .int32, scalars: [7, -1, 3]),
        "mask": HostTensor(shape: [2], dtype: .bool, scalars: [1, 0]),
    ]

    // MARK: Known bytes

    @Test("decodes the reference writer's file")
    func decodesReferenceBytes() throws {
        let file = try SafeTensorsFile.decode(Self.referenceFile)
        #expect(file.tensors == Self.referenceTensors)
        #expect(file.metadata == ["format": "pt"])
    }

    @Test("encodes byte for byte what the reference writer writes")
    func encodesReferenceBytes() throws {
        let file = SafeTensorsFile(tensors: Self.referenceTensors, metadata: ["format": "pt"])
        #expect(try file.encoded() == Self.referenceFile)
    }

    @Test("a single tensor without metadata, and an empty file, match the reference bytes")
    func encodesSmallReferenceFiles() throws {
        // save({"x": f32 [1.0]}): header padded with two spaces to 56 bytes.
        let single = hexData("""
            3800000000000000
            7b2278223a7b226474797065223a22463332222c227368617065223a5b315d2c22646174615f6f6666
            73657473223a5b302c345d7d7d2020 0000803f
            """)
        let file = SafeTensorsFile(tensors: ["x": HostTensor(shape: [1], scalars: [1])])
        #expect(try file.encoded() == single)
        #expect(try SafeTensorsFile.decode(single) == file)
        // save({}): "{}" and six spaces.
        let empty = hexData("0800000000000000 7b7d202020202020")
        #expect(try SafeTensorsFile().encoded() == empty)
        #expect(try SafeTensorsFile.decode(empty) == SafeTensorsFile())
    }

    @Test("tensor names are escaped as the reference escapes them")
    func escapesNamesLikeReference() throws {
        // save({'a"b\\c\ndé\x01': f32 zeros(0)}): quote, backslash, newline escaped, é raw, \u0001.
        let reference = hexData("""
            4800000000000000
            7b22615c22625c5c635c6e64c3a95c7530303031223a7b226474797065223a22463332222c22736861
            7065223a5b305d2c22646174615f6f666673657473223a5b302c305d7d7d20
            """)
        let name = "a\"b\\c\nd\u{e9}\u{01}"
        let file = SafeTensorsFile(tensors: [name: HostTensor.zeros([0])])
        #expect(try file.encoded() == reference)
        #expect(try SafeTensorsFile.decode(reference).tensors.keys.first == name)
    }

    @Test("F16 converts to float32 exactly: normals, the maximum, subnormals, infinities, NaN, -0")
    func decodesFloat16() throws {
        // save({"h": f16 [1, -2.5, 65504, 0x0001, 0x03ff, inf, -inf, nan, -0]}).
        let data = hexData("""
            3800000000000000
            7b2268223a7b226474797065223a22463136222c227368617065223a5b395d2c22646174615f6f6666
            73657473223a5b302c31385d7d7d20
            003c 00c1 ff7b 0100 ff03 007c 00fc 007e 0080
            """)
        let h = try #require(try SafeTensorsFile.decode(data).tensors["h"])
        #expect(h.dtype == .float32 && h.shape == [9])
        #expect(Array(h.scalars[0..<7]) == [1, -2.5, 65504, 5.960464477539063e-08, 6.097555160522461e-05,
                                             .infinity, -.infinity])
        #expect(h.scalars[7].isNaN)
        #expect(h.scalars[8] == 0 && h.scalars[8].sign == .minus)
    }

    @Test("BF16 converts to float32 exactly: normals, the maximum, a subnormal, infinities, NaN, -0")
    func decodesBFloat16() throws {
        let bits: [UInt16] = [0x3F80, 0xC020, 0x7F7F, 0x0001, 0x7F80, 0xFF80, 0x7FC0, 0x8000]
        let buffer = bits.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }
        let data = safetensors(#"{"b":{"dtype":"BF16","shape":[8],"data_offsets":[0,16]}}"#, buffer)
        let b = try #require(try SafeTensorsFile.decode(data).tensors["b"])
        #expect(b.dtype == .float32)
        #expect(Array(b.scalars[0..<6]) == [1, -2.5, 3.3895313892515355e38, 9.183549615799121e-41, .infinity, -.infinity])
        #expect(b.scalars[6].isNaN)
        #expect(b.scalars[7] == 0 && b.scalars[7].sign == .minus)
    }

    @Test("I64 in the int32 range becomes int32; F64 is rounded to float32")
    func decodesInt64AndFloat64() throws {
        // save({"big": i64 [2^31-1, -2^31, 5], "d": f64 [0.1, 1e300]}).
        let data = hexData("""
            7000000000000000
            7b22626967223a7b226474797065223a22493634222c227368617065223a5b335d2c22646174615f6f
            666673657473223a5b302c32345d7d2c2264223a7b226474797065223a22463634222c227368617065
            223a5b325d2c22646174615f6f666673657473223a5b32342c34305d7d7d
            ffffff7f00000000 00000080ffffffff 0500000000000000 9a9999999999b93f 9c7500883ce4377e
            """)
        let file = try SafeTensorsFile.decode(data)
        #expect(file.tensors["big"] == HostTensor(shape: [3], dtype: .int32, scalars: [2_147_483_647, -2_147_483_648, 5]))
        #expect(file.tensors["d"] == HostTensor(shape: [2], dtype: .float32, scalars: [Double(Float(0.1)), .infinity]))
    }

    @Test("small integer dtypes and U8 become int32")
    func decodesSmallIntegers() throws {
        let header = #"{"a":{"dtype":"I8","shape":[2],"data_offsets":[0,2]},"b":{"dtype":"U8","shape":[2],"data_offsets":[2,4]},"#
            + #""c":{"dtype":"I16","shape":[1],"data_offsets":[4,6]},"d":{"dtype":"U16","shape":[1],"data_offsets":[6,8]}}"#
        let file = try SafeTensorsFile.decode(safetensors(header, [0xFF, 0x7F, 0xFF, 0x00, 0x00, 0x80, 0xFF, 0xFF]))
        #expect(file.tensors["a"] == HostTensor(shape: [2], dtype: .int32, scalars: [-1, 127]))
        #expect(file.tensors["b"] == HostTensor(shape: [2], dtype: .int32, scalars: [255, 0]))
        #expect(file.tensors["c"] == HostTensor(shape: [1], dtype: .int32, scalars: [-32768]))
        #expect(file.tensors["d"] == HostTensor(shape: [1], dtype: .int32, scalars: [65535]))
    }

    // MARK: Round trips and tolerance

    @Test("every dtype, scalars and empty tensors survive encode then decode")
    func roundTrip() throws {
        let file = SafeTensorsFile(tensors: [
            "enc.layers.0.to_q.weight": HostTensor(shape: [3, 2], scalars: [0.1, -1e-30, 3.5e38, -0.0, 7, 1e-45]),
            "step": HostTensor(shape: [], dtype: .int32, scalars: [-2_147_483_648]),
            "scale": HostTensor(1.5),
            "none": HostTensor.zeros([2, 0, 3]),
            "mask": HostTensor(shape: [3], dtype: .bool, scalars: [0, 1, 1]),
        ], metadata: ["format": "pt", "model": "cvivit", "": "empty key"])
        let back = try SafeTensorsFile.decode(file.encoded())
        // Values come back rounded to float32, which these already are except 0.1.
        var expected = file
        expected.tensors["enc.layers.0.to_q.weight"]!.scalars = file.tensors["enc.layers.0.to_q.weight"]!.scalars
            .map { Double(Float($0)) }
        #expect(back == expected)
    }

    @Test("write then read through a path; the write leaves no temporary file behind")
    func writeAndRead() throws {
        let directory = NSTemporaryDirectory() + "phenaki-io-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/model.safetensors"
        let file = SafeTensorsFile(tensors: Self.referenceTensors, metadata: ["format": "pt"])
        try file.write(path: path)
        try file.write(path: path)  // overwriting is fine
        #expect(try SafeTensorsFile.read(path: path) == file)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory) == ["model.safetensors"])
        #expect(FileManager.default.contents(atPath: path) == Self.referenceFile)
    }

    @Test("entries in any order, extra keys, null metadata and JSON whitespace are accepted")
    func tolerantHeader() throws {
        let header = #"{ "b" : {"shape":[1], "data_offsets":[4,8], "dtype":"F32", "extra": [1]},"#
            + #" "__metadata__": null, "a": {"dtype":"F32","shape":[1],"data_offsets":[0,4]} }"# + "\n  "
        let file = try SafeTensorsFile.decode(safetensors(header, f32Bytes([1, 2])))
        #expect(file.tensors == ["a": HostTensor(shape: [1], scalars: [1]), "b": HostTensor(shape: [1], scalars: [2])])
        #expect(file.metadata.isEmpty)
    }

    @Test("empty tensors may share an offset with each other and with the next tensor")
    func emptyTensorsShareOffsets() throws {
        let header = #"{"e1":{"dtype":"F32","shape":[0],"data_offsets":[0,0]},"#
            + #""e2":{"dtype":"I32","shape":[4,0],"data_offsets":[0,0]},"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#
        let file = try SafeTensorsFile.decode(safetensors(header, f32Bytes([5])))
        #expect(file.tensors["e2"] == HostTensor.zeros([4, 0], dtype: .int32))
        #expect(file.tensors["x"] == HostTensor(shape: [1], scalars: [5]))
    }

    // MARK: Bad input

    @Test("a file shorter than the 8-byte length is refused")
    func tooShort() {
        expectRefused(Data([1, 0, 0]), .tooShort(path: "m.safetensors", size: 3), mentions: ["3 bytes"])
        expectRefused(Data(), .tooShort(path: "m.safetensors", size: 0))
    }

    @Test("a header length above 100 MB is refused before anything is allocated")
    func headerTooLarge() {
        expectRefused(safetensors("{}", declaredLength: 100_000_001),
                      .headerTooLarge(path: "m.safetensors", length: 100_000_001, limit: 100_000_000))
        expectRefused(safetensors("{}", declaredLength: .max),
                      .headerTooLarge(path: "m.safetensors", length: .max, limit: 100_000_000))
    }

    @Test("a header length past the end of the file is refused")
    func headerPastEnd() {
        expectRefused(safetensors("{}", declaredLength: 11),
                      .headerPastEnd(path: "m.safetensors", length: 11, fileSize: 10), mentions: ["cut short"])
    }

    @Test("malformed JSON, a non-object header, invalid UTF-8, duplicate keys and deep nesting are refused")
    func malformedHeader() throws {
        let cases: [(Data, String)] = [
            (safetensors(#"{"a": {"dtype": "F32""#), "ends"),
            (safetensors(#"{"a": 1,}"#), "quoted key"),
            (safetensors(#"[1, 2]"#), "must start with '{'"),
            (safetensors(#"{} x"#), "after the JSON value"),
            (Data(safetensors("{}").prefix(8)) + Data([0x7B, 0xFF]), "UTF-8"),
            (safetensors(#"{"a":{"dtype":"F32","shape":[0],"data_offsets":[0,0]},"a":{"dtype":"F32","shape":[0],"data_offsets":[0,0]}}"#),
             "twice"),
            (safetensors(#"{"a":"# + String(repeating: "[", count: 100_000)), "nested deeper"),
        ]
        for (data, word) in cases {
            do {
                _ = try SafeTensorsFile.decode(data, path: "m.safetensors")
                Issue.record("accepted a header that should mention '\(word)'")
            } catch {
                guard case .malformedHeader(let path, let reason) = error else {
                    Issue.record("expected malformedHeader, got \(error)")
                    continue
                }
                #expect(path == "m.safetensors")
                #expect(reason.contains(word), "reason '\(reason)' lacks '\(word)'")
            }
        }
    }

    @Test("an entry without dtype, shape or data_offsets is refused, naming the key")
    func missingKeys() {
        expectRefused(safetensors(#"{"w":{"shape":[1],"data_offsets":[0,4]}}"#, f32Bytes([1])),
                      .missingKey(path: "m.safetensors", tensor: "w", key: "dtype"), mentions: ["'w'", "dtype"])
        expectRefused(safetensors(#"{"w":{"dtype":"F32","data_offsets":[0,4]}}"#, f32Bytes([1])),
                      .missingKey(path: "m.safetensors", tensor: "w", key: "shape"))
        expectRefused(safetensors(#"{"w":{"dtype":"F32","shape":[1]}}"#, f32Bytes([1])),
                      .missingKey(path: "m.safetensors", tensor: "w", key: "data_offsets"))
    }

    @Test("entries of the wrong form are refused: negative or fractional extents, three offsets, a non-object")
    func invalidEntries() throws {
        let headers = [
            #"{"w":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}"#,
            #"{"w":{"dtype":"F32","shape":[1.0],"data_offsets":[0,4]}}"#,
            #"{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4,8]}}"#,
            #"{"w":{"dtype":"F32","shape":[1],"data_offsets":"0-4"}}"#,
            #"{"w":{"dtype":32,"shape":[1],"data_offsets":[0,4]}}"#,
            #"{"w":[1]}"#,
            #"{"w":{"dtype":"F32","shape":[4611686018427387904,4],"data_offsets":[0,4]}}"#,
        ]
        for header in headers {
            #expect(throws: SafeTensorsError.self, "\(header)") { try SafeTensorsFile.decode(safetensors(header, f32Bytes([1]))) }
            do {
                _ = try SafeTensorsFile.decode(safetensors(header, f32Bytes([1])), path: "m.safetensors")
            } catch {
                guard case .invalidEntry(_, let tensor, _) = error else {
                    Issue.record("expected invalidEntry for \(header), got \(error)")
                    continue
                }
                #expect(tensor == "w")
            }
        }
    }

    @Test("metadata that is not string to string is refused")
    func invalidMetadata() {
        expectRefused(safetensors(#"{"__metadata__":{"epoch":3}}"#),
                      .invalidMetadata(path: "m.safetensors", reason: "maps \"epoch\" to the number 3"))
        expectRefused(safetensors(#"{"__metadata__":["pt"]}"#),
                      .invalidMetadata(path: "m.safetensors", reason: "is an array, not an object"))
    }

    @Test("an unknown dtype is refused with the supported list; a known one this reader lacks is told apart")
    func unknownAndUnsupportedDTypes() {
        let unknown = SafeTensorsError.unknownDType(path: "m.safetensors", tensor: "w", dtype: "F33")
        expectRefused(safetensors(#"{"w":{"dtype":"F33","shape":[1],"data_offsets":[0,4]}}"#, f32Bytes([1])),
                      unknown, mentions: ["F33", "F32", "BF16"])
        expectRefused(safetensors(#"{"w":{"dtype":"F8_E4M3","shape":[1],"data_offsets":[0,1]}}"#, [0]),
                      .unsupportedDType(path: "m.safetensors", tensor: "w", dtype: "F8_E4M3"), mentions: ["F8_E4M3"])
    }

    @Test("a byte range that does not hold product(shape) elements is refused")
    func sizeMismatch() {
        expectRefused(safetensors(#"{"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#, f32Bytes([1, 2])),
                      .sizeMismatch(path: "m.safetensors", tensor: "w", dtype: "F32", shape: [3], expectedBytes: 12,
                                    actualBytes: 8), mentions: ["12 bytes", "span 8"])
    }

    @Test("offsets past the buffer, or with begin after end, are refused")
    func offsetsOutOfBounds() {
        expectRefused(safetensors(#"{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#, f32Bytes([1])),
                      .offsetsOutOfBounds(path: "m.safetensors", tensor: "w", begin: 0, end: 8, bufferSize: 4))
        expectRefused(safetensors(#"{"w":{"dtype":"F32","shape":[1],"data_offsets":[4,0]}}"#, f32Bytes([1])),
                      .offsetsOutOfBounds(path: "m.safetensors", tensor: "w", begin: 4, end: 0, bufferSize: 4))
        expectRefused(safetensors(#"{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,99999999999999999999]}}"#),
                      .invalidEntry(path: "m.safetensors", tensor: "w",
                                    reason: "\"data_offsets\" must be [begin, end], two non-negative integers"))
    }

    @Test("tensors sharing bytes are refused, naming both")
    func overlap() {
        let header = #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#
        expectRefused(safetensors(header, f32Bytes([1, 2, 3])), .overlap(path: "m.safetensors", first: "a", second: "b"),
                      mentions: ["'a'", "'b'"])
        let aliased = #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"I32","shape":[1],"data_offsets":[0,4]}}"#
        expectRefused(safetensors(aliased, f32Bytes([1])), .overlap(path: "m.safetensors", first: "a", second: "b"))
    }

    @Test("holes between tensors and bytes after the last one are refused, as the format requires")
    func uncoveredBytes() {
        let gap = #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}"#
        expectRefused(safetensors(gap, f32Bytes([1, 2, 3])), .uncoveredBytes(path: "m.safetensors", begin: 4, end: 8),
                      mentions: ["4..<8"])
        let trailing = #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#
        expectRefused(safetensors(trailing, f32Bytes([1, 2])), .uncoveredBytes(path: "m.safetensors", begin: 4, end: 8))
        let leading = #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#
        expectRefused(safetensors(leading, f32Bytes([1, 2])), .uncoveredBytes(path: "m.safetensors", begin: 0, end: 4))
    }

    @Test("I64 outside int32 and BOOL bytes other than 0 and 1 are refused, naming the element")
    func valuesOutOfRange() {
        var big: [UInt8] = []
        withUnsafeBytes(of: Int64(1 << 40).littleEndian) { big.append(contentsOf: $0) }
        expectRefused(safetensors(#"{"n":{"dtype":"I64","shape":[1],"data_offsets":[0,8]}}"#, big),
                      .valueOutOfRange(path: "m.safetensors", tensor: "n", dtype: "I64", index: 0, value: "1099511627776"),
                      mentions: ["int32"])
        expectRefused(safetensors(#"{"m":{"dtype":"BOOL","shape":[3],"data_offsets":[0,3]}}"#, [1, 0, 2]),
                      .valueOutOfRange(path: "m.safetensors", tensor: "m", dtype: "BOOL", index: 2, value: "2"),
                      mentions: ["0 or 1"])
        expectRefused(safetensors(#"{"u":{"dtype":"U32","shape":[1],"data_offsets":[0,4]}}"#, [0, 0, 0, 0x80]),
                      .valueOutOfRange(path: "m.safetensors", tensor: "u", dtype: "U32", index: 0, value: "2147483648"))
    }

    @Test("encoding refuses int32 fractions, bools other than 0/1 and the reserved name")
    func encodeRefusals() {
        #expect(throws: SafeTensorsError.unrepresentableValue(tensor: "i", dtype: .int32, index: 1, value: "2.5")) {
            try SafeTensorsFile(tensors: ["i": HostTensor(shape: [2], dtype: .int32, scalars: [1, 2.5])]).encoded()
        }
        #expect(throws: SafeTensorsError.unrepresentableValue(tensor: "i", dtype: .int32, index: 0, value: "3000000000.0")) {
            try SafeTensorsFile(tensors: ["i": HostTensor(shape: [1], dtype: .int32, scalars: [3e9])]).encoded()
        }
        #expect(throws: SafeTensorsError.unrepresentableValue(tensor: "b", dtype: .bool, index: 0, value: "3.0")) {
            try SafeTensorsFile(tensors: ["b": HostTensor(shape: [1], dtype: .bool, scalars: [3])]).encoded()
        }
        #expect(throws: SafeTensorsError.reservedName(tensor: "__metadata__")) {
            try SafeTensorsFile(tensors: ["__metadata__": HostTensor(1)]).encoded()
        }
    }

    @Test("a missing file, a directory and an unwritable path give typed errors")
    func fileSystemErrors() {
        let missing = "/nonexistent-\(UUID().uuidString)/m.safetensors"
        #expect(throws: SafeTensorsError.unreadable(path: missing, reason: "No such file or directory")) {
            try SafeTensorsFile.read(path: missing)
        }
        #expect(throws: SafeTensorsError.unreadable(path: "/tmp", reason: "not a regular file")) {
            try SafeTensorsFile.read(path: "/tmp")
        }
        do {
            try SafeTensorsFile().write(path: missing)
            Issue.record("wrote into a directory that does not exist")
        } catch {
            if case .unwritable(let path, let reason) = error {
                #expect(path == missing && reason.contains("No such file or directory"))
            } else {
                Issue.record("expected unwritable, got \(error)")
            }
        }
    }

    @Test("every truncation and every single-byte corruption of a valid file is decoded or refused, never a crash")
    func damagedFilesNeverCrash() {
        let data = Self.referenceFile
        for length in 0..<data.count {
            #expect(throws: SafeTensorsError.self) { try SafeTensorsFile.decode(data.prefix(length)) }
        }
        for index in 0..<data.count {
            for replacement: UInt8 in [0x00, 0x22, 0x2C, 0x5B, 0x7D, 0xFF] {
                var damaged = data
                damaged[index] = replacement
                do { _ = try SafeTensorsFile.decode(damaged) } catch { _ = error.description }
            }
        }
    }
}
