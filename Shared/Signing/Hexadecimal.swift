public import Crypto
public import Foundation

extension Digest {
    /// The digest as lowercase hexadecimal digits, as Tongban stores and compares SHA-256s
    /// (materials, idempotent requests, quarantined messages).
    public var hexadecimal: String {
        map { String(format: "%02x", $0) }.joined()
    }
}

extension Data {
    /// The bytes that `text`'s hexadecimal digits spell (a stored SHA-256); nil if `text` is not an
    /// even number of hexadecimal digits.
    public init?(hexadecimal text: String) {
        guard text.count.isMultiple(of: 2) else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.count / 2)
        var index = text.startIndex
        while index < text.endIndex {
            let next = text.index(index, offsetBy: 2)
            guard let byte = UInt8(text[index..<next], radix: 16) else { return nil }
            bytes.append(byte)
            index = next
        }
        self.init(bytes)
    }
}
