import Foundation

/// Why a plan file could not be read.
public enum PlanFileError: Error, Equatable, CustomStringConvertible {
    case unreadable(path: String, reason: String)
    case notAPlan(path: String)
    case version(path: String, found: UInt32, expected: UInt32)
    case corrupt(path: String, reason: String)
    case unwritable(path: String, reason: String)

    public var description: String {
        switch self {
        case .unreadable(let path, let reason): return "cannot read \(path): \(reason)"
        case .notAPlan(let path): return "\(path) is not a phenaki plan file (bad magic bytes)"
        case .version(let path, let found, let expected):
            return "\(path) is a plan of format version \(found), this build reads version \(expected); "
                + "compile it again with `phenaki compile`"
        case .corrupt(let path, let reason): return "\(path) is corrupt: \(reason); compile it again"
        case .unwritable(let path, let reason): return "cannot write \(path): \(reason)"
        }
    }
}

/// The plan file format: 8 magic bytes `PHNKPLAN`, the format version (UInt32 LE), the payload
/// length (UInt64 LE), the FNV-1a 64 hash of the payload (UInt64 LE), then the payload: the
/// plan and its metadata as JSON.
public struct PlanFile: Codable, Equatable, Sendable {
    public static let magic = Array("PHNKPLAN".utf8)
    public var plan: Plan
    /// Free-form facts about where the plan came from (model, options, compile time).
    public var metadata: [String: String]

    public init(plan: Plan, metadata: [String: String] = [:]) {
        self.plan = plan
        self.metadata = metadata
    }

    /// The file's bytes.
    public func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let payload = try encoder.encode(self)
        var data = Data(Self.magic)
        data.append(littleEndian: UInt32(Plan.formatVersion))
        data.append(littleEndian: UInt64(payload.count))
        data.append(littleEndian: fnv1a64(payload))
        data.append(payload)
        return data
    }

    /// Writes atomically (temporary file, then rename), so a crash never leaves half a plan.
    public func write(to path: String) throws {
        let data = try encoded()
        let temporary = path + ".tmp-\(getpid())"
        guard FileManager.default.createFile(atPath: temporary, contents: data) else {
            throw PlanFileError.unwritable(path: path, reason: "cannot create \(temporary)")
        }
        if rename(temporary, path) != 0 {
            unlink(temporary)
            throw PlanFileError.unwritable(path: path, reason: String(cString: strerror(errno)))
        }
    }

    /// Reads and checks a plan file: magic, version, length, hash, JSON, then `verifyPlan`.
    public static func read(from path: String) throws -> PlanFile {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw PlanFileError.unreadable(path: path, reason: "no such file or not readable")
        }
        return try decode(data, path: path)
    }

    public static func decode(_ data: Data, path: String = "<data>") throws -> PlanFile {
        let bytes = [UInt8](data)
        guard bytes.count >= magic.count, Array(bytes[0..<magic.count]) == magic else {
            throw PlanFileError.notAPlan(path: path)
        }
        guard bytes.count >= 28 else {
            throw PlanFileError.corrupt(path: path, reason: "the header is cut short: \(bytes.count) of 28 bytes")
        }
        let version = UInt32(littleEndianBytes: bytes[8..<12])
        guard version == UInt32(Plan.formatVersion) else {
            throw PlanFileError.version(path: path, found: version, expected: UInt32(Plan.formatVersion))
        }
        let length = UInt64(littleEndianBytes: bytes[12..<20])
        let hash = UInt64(littleEndianBytes: bytes[20..<28])
        guard UInt64(bytes.count - 28) == length else {
            throw PlanFileError.corrupt(path: path, reason: "payload is \(bytes.count - 28) bytes, header says \(length)")
        }
        let payload = Data(bytes[28...])  // `bytes` is 0-based even when `data` is a slice
        guard fnv1a64(payload) == hash else { throw PlanFileError.corrupt(path: path, reason: "hash mismatch") }
        let file: PlanFile
        do {
            file = try JSONDecoder().decode(PlanFile.self, from: payload)
        } catch {
            throw PlanFileError.corrupt(path: path, reason: "cannot decode the plan: \(error)")
        }
        do {
            try verifyPlan(file.plan)
        } catch {
            throw PlanFileError.corrupt(path: path, reason: error.description)
        }
        return file
    }
}

/// FNV-1a, 64-bit: a fast checksum that catches truncation and bit flips.
public func fnv1a64(_ data: Data) -> UInt64 {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for byte in data {
        hash ^= UInt64(byte)
        hash = hash &* 0x0000_0100_0000_01b3
    }
    return hash
}

extension Data {
    fileprivate mutating func append<T: FixedWidthInteger>(littleEndian value: T) {
        Swift.withUnsafeBytes(of: value.littleEndian) { append(contentsOf: $0) }
    }
}

extension FixedWidthInteger {
    fileprivate init(littleEndianBytes bytes: ArraySlice<UInt8>) {
        var value: Self = 0
        for (i, b) in bytes.enumerated() { value |= Self(b) << (8 * i) }
        self = value
    }
}
