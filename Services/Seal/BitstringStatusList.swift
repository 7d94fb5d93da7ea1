import CZlib
import Foundation
import Signing

/// W3C Bitstring Status List v1.0: one bit per licence, index 0 the left-most bit of the first
/// byte, GZIP-compressed and multibase base64url-encoded as the list credential's `encodedList`.
struct BitstringStatusList: Sendable, Equatable {
    /// The specification's minimum (16 KiB), so that one licence cannot be told from its neighbours.
    static let minimumLength = 131_072

    private(set) var bytes: [UInt8]

    init(length: Int = minimumLength) {
        bytes = [UInt8](repeating: 0, count: (length + 7) / 8)
    }

    var length: Int { bytes.count * 8 }

    subscript(index: Int) -> Bool {
        get { bytes[index / 8] & (0x80 >> UInt8(index % 8)) != 0 }
        set {
            if newValue { bytes[index / 8] |= 0x80 >> UInt8(index % 8) } else { bytes[index / 8] &= ~(0x80 >> UInt8(index % 8)) }
        }
    }

    var encodedList: String {
        Multibase.encode(GZIP.compress(bytes), as: .base64url)
    }

    /// Reads a list credential's `encodedList`; nil if it is not base64url GZIP.
    init?(encodedList: String) {
        guard encodedList.first == "u", let compressed = Multibase.decode(encodedList),
              let bytes = GZIP.decompress(compressed, limit: 16 * 1024 * 1024)
        else { return nil }
        self.bytes = bytes
    }
}

/// GZIP (RFC 1952) through zlib.
enum GZIP {
    static func compress(_ input: [UInt8]) -> [UInt8] {
        var stream = z_stream()
        // windowBits 15 + 16 asks zlib for a GZIP wrapper instead of zlib's own.
        guard deflateInit2_(&stream, Z_BEST_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            preconditionFailure("zlib could not start deflate")
        }
        defer { deflateEnd(&stream) }
        var output = [UInt8](repeating: 0, count: Int(deflateBound(&stream, uLong(input.count))) + 32)
        var input = input
        let written: Int = input.withUnsafeMutableBufferPointer { inBuffer in
            output.withUnsafeMutableBufferPointer { outBuffer in
                stream.next_in = inBuffer.baseAddress
                stream.avail_in = uInt(inBuffer.count)
                stream.next_out = outBuffer.baseAddress
                stream.avail_out = uInt(outBuffer.count)
                let status = deflate(&stream, Z_FINISH)
                precondition(status == Z_STREAM_END, "deflateBound was not enough")
                return outBuffer.count - Int(stream.avail_out)
            }
        }
        return Array(output.prefix(written))
    }

    /// nil for anything that is not GZIP, or that would grow beyond `limit` bytes.
    static func decompress(_ input: [UInt8], limit: Int) -> [UInt8]? {
        var stream = z_stream()
        guard inflateInit2_(&stream, 15 + 16, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else { return nil }
        defer { inflateEnd(&stream) }
        var input = input
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        return input.withUnsafeMutableBufferPointer { inBuffer -> [UInt8]? in
            stream.next_in = inBuffer.baseAddress
            stream.avail_in = uInt(inBuffer.count)
            while true {
                let (status, produced) = chunk.withUnsafeMutableBufferPointer { outBuffer -> (Int32, Int) in
                    stream.next_out = outBuffer.baseAddress
                    stream.avail_out = uInt(outBuffer.count)
                    let status = inflate(&stream, Z_NO_FLUSH)
                    return (status, outBuffer.count - Int(stream.avail_out))
                }
                output.append(contentsOf: chunk.prefix(produced))
                guard output.count <= limit else { return nil }
                if status == Z_STREAM_END { return output }
                guard status == Z_OK else { return nil }
            }
        }
    }
}

/// Where the n-th licence of a generation sits in its lists: a fixed permutation of the indexes
/// (an odd multiplier modulo a power of two), so the position does not tell the order of issue
/// and no two licences share one.
enum StatusIndexes {
    static func scatter(_ position: Int) -> Int {
        precondition(BitstringStatusList.minimumLength & (BitstringStatusList.minimumLength - 1) == 0)
        return (position &* 40_503 &+ 12_345) & (BitstringStatusList.minimumLength - 1)
    }
}
