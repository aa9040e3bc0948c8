/// The variable-length-code LZW of GIF (spec GIF89a, appendix F): codes grow from
/// `minimumCodeSize + 1` to 12 bits, packed least-significant bit first, with a clear code
/// (`1 << minimumCodeSize`) and an end code after it.
enum GIFLZW {
    static let maxCodes = 4096

    /// Compresses palette indices (each below `1 << minimumCodeSize`) into an LZW code stream
    /// (without the sub-block framing). The table restarts with a clear code when it fills.
    static func encode(_ indices: [UInt8], minimumCodeSize: Int) -> [UInt8] {
        let clear = 1 << minimumCodeSize
        let end = clear + 1
        var output: [UInt8] = []
        output.reserveCapacity(indices.count / 2 + 16)
        var bitBuffer: UInt32 = 0
        var bitCount = 0
        var codeSize = minimumCodeSize + 1
        func emit(_ code: Int) {
            bitBuffer |= UInt32(code) << UInt32(bitCount)
            bitCount += codeSize
            while bitCount >= 8 {
                output.append(UInt8(bitBuffer & 0xff))
                bitBuffer >>= 8
                bitCount -= 8
            }
        }
        // child[code << 8 | byte] is the code of "string(code) + byte", or 0 when absent (no
        // string ever gets code 0 because codes below `end` are the single bytes and controls).
        var child = [UInt16](repeating: 0, count: maxCodes << 8)
        var used: [Int] = []
        used.reserveCapacity(maxCodes)
        var nextCode = end + 1
        emit(clear)
        guard var current = indices.first.map(Int.init) else {
            emit(end)
            if bitCount > 0 { output.append(UInt8(bitBuffer & 0xff)) }
            return output
        }
        indices.withUnsafeBufferPointer { source in
            child.withUnsafeMutableBufferPointer { table in
                for position in 1..<source.count {
                    let byte = Int(source[position])
                    let key = current << 8 | byte
                    let found = Int(table[key])
                    if found != 0 {
                        current = found
                        continue
                    }
                    emit(current)
                    if nextCode < maxCodes {
                        table[key] = UInt16(nextCode)
                        used.append(key)
                        // The decoder widens its codes once the next free code needs more bits.
                        if nextCode == 1 << codeSize && codeSize < 12 { codeSize += 1 }
                        nextCode += 1
                    }
                    if nextCode == maxCodes {
                        emit(clear)
                        for key in used { table[key] = 0 }
                        used.removeAll(keepingCapacity: true)
                        codeSize = minimumCodeSize + 1
                        nextCode = end + 1
                    }
                    current = byte
                }
            }
        }
        emit(current)
        emit(end)
        if bitCount > 0 { output.append(UInt8(bitBuffer & 0xff)) }
        return output
    }

    /// Expands an LZW code stream into exactly `pixelCount` palette indices. A stream that
    /// stops before `pixelCount` indices, or holds a code the table cannot have made, throws.
    static func decode(_ stream: [UInt8], minimumCodeSize: Int, pixelCount: Int) throws(MediaError) -> [UInt8] {
        guard (2...8).contains(minimumCodeSize) else {
            throw .corrupt(format: "GIF", reason: "LZW minimum code size \(minimumCodeSize) is outside 2...8")
        }
        // One code spells at most `maxCodes` pixels and takes at least `minimumCodeSize + 1`
        // bits: an image that asks for more pixels than its stream could spell is refused
        // before its output is allocated (a 20-byte file must not claim 268 M pixels).
        let spellable = stream.count * 8 / (minimumCodeSize + 1) * maxCodes
        guard pixelCount <= spellable else {
            throw .truncated(format: "GIF", reason: "\(stream.count) bytes of image data cannot hold \(pixelCount) pixels")
        }
        let clear = 1 << minimumCodeSize
        let end = clear + 1
        var prefix = [Int16](repeating: -1, count: maxCodes)
        var suffix = [UInt8](repeating: 0, count: maxCodes)
        var first = [UInt8](repeating: 0, count: maxCodes)
        for code in 0..<clear {
            suffix[code] = UInt8(code)
            first[code] = UInt8(code)
        }
        var output = [UInt8](repeating: 0, count: pixelCount)
        var written = 0
        var stack = [UInt8](repeating: 0, count: maxCodes)
        var codeSize = minimumCodeSize + 1
        var nextCode = end + 1
        var previous = -1
        var bitBuffer: UInt32 = 0
        var bitCount = 0
        var position = 0
        var ended = false
        decoding: while written < pixelCount {
            while bitCount < codeSize {
                guard position < stream.count else { break decoding }
                bitBuffer |= UInt32(stream[position]) << UInt32(bitCount)
                position += 1
                bitCount += 8
            }
            let code = Int(bitBuffer & ((1 << UInt32(codeSize)) - 1))
            bitBuffer >>= UInt32(codeSize)
            bitCount -= codeSize
            if code == clear {
                codeSize = minimumCodeSize + 1
                nextCode = end + 1
                previous = -1
                continue
            }
            if code == end {
                ended = true
                break
            }
            if previous < 0 {
                guard code < clear else {
                    throw .corrupt(format: "GIF", reason: "LZW code \(code) follows a clear code; only a single-colour code may")
                }
                output[written] = UInt8(code)
                written += 1
                previous = code
                continue
            }
            // Codes are at most 12 bits, so `code == nextCode` cannot happen once the table is full.
            guard code <= nextCode else {
                throw .corrupt(format: "GIF", reason: "LZW code \(code) is not yet defined (next free code is \(nextCode))")
            }
            // Spell the string of `code` (for the one not yet in the table, previous + its own first byte).
            var depth = 0
            var walk = code
            if code == nextCode {
                stack[depth] = first[previous]
                depth += 1
                walk = previous
            }
            while walk >= clear {
                stack[depth] = suffix[walk]
                depth += 1
                walk = Int(prefix[walk])
            }
            stack[depth] = UInt8(walk)
            depth += 1
            let firstByte = stack[depth - 1]
            while depth > 0 && written < pixelCount {
                depth -= 1
                output[written] = stack[depth]
                written += 1
            }
            if nextCode < maxCodes {
                prefix[nextCode] = Int16(previous)
                suffix[nextCode] = firstByte
                first[nextCode] = first[previous]
                nextCode += 1
                if nextCode == 1 << codeSize && codeSize < 12 { codeSize += 1 }
            }
            previous = code
        }
        guard written == pixelCount else {
            let why = ended ? "its end code comes" : "the image data ends"
            throw .truncated(format: "GIF", reason: "\(why) after \(written) of \(pixelCount) pixels")
        }
        return output
    }
}
