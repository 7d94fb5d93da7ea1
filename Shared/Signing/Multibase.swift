/// Multibase (the self-describing encodings Data Integrity uses): `z` + base58btc for proof values
/// and keys, `u` + base64url without padding for status-list bitstrings.
public enum Multibase {
    public enum Encoding: Sendable {
        case base58btc, base64url
    }

    public static func encode(_ bytes: some Collection<UInt8>, as encoding: Encoding) -> String {
        switch encoding {
        case .base58btc: "z" + Base58.encode(Array(bytes))
        case .base64url: "u" + Base64URL.encode(Array(bytes))
        }
    }

    /// The bytes of a multibase string in either encoding; nil for anything else.
    public static func decode(_ text: String) -> [UInt8]? {
        guard let prefix = text.first else { return nil }
        let body = String(text.dropFirst())
        switch prefix {
        case "z": return Base58.decode(body)
        case "u": return Base64URL.decode(body)
        default: return nil
        }
    }
}

/// Bitcoin's base58 alphabet (base58btc).
public enum Base58 {
    static let alphabet = Array("123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz".utf8)
    static let values: [Int8] = {
        var table = [Int8](repeating: -1, count: 128)
        for (index, character) in alphabet.enumerated() { table[Int(character)] = Int8(index) }
        return table
    }()

    public static func encode(_ bytes: [UInt8]) -> String {
        let zeros = bytes.prefix { $0 == 0 }.count
        // Base-58 digits, least significant first.
        var digits: [UInt8] = []
        for byte in bytes[zeros...] {
            var carry = Int(byte)
            for index in digits.indices {
                carry += Int(digits[index]) << 8
                digits[index] = UInt8(carry % 58)
                carry /= 58
            }
            while carry > 0 {
                digits.append(UInt8(carry % 58))
                carry /= 58
            }
        }
        let text = [UInt8](repeating: alphabet[0], count: zeros) + digits.reversed().map { alphabet[Int($0)] }
        return String(decoding: text, as: UTF8.self)
    }

    public static func decode(_ text: String) -> [UInt8]? {
        let characters = Array(text.utf8)
        let zeros = characters.prefix { $0 == alphabet[0] }.count
        // Bytes, least significant first.
        var bytes: [UInt8] = []
        for character in characters[zeros...] {
            guard character < 128, values[Int(character)] >= 0 else { return nil }
            var carry = Int(values[Int(character)])
            for index in bytes.indices {
                carry += Int(bytes[index]) * 58
                bytes[index] = UInt8(carry & 0xFF)
                carry >>= 8
            }
            while carry > 0 {
                bytes.append(UInt8(carry & 0xFF))
                carry >>= 8
            }
        }
        return [UInt8](repeating: 0, count: zeros) + bytes.reversed()
    }
}

/// RFC 4648 §5 base64url without padding.
public enum Base64URL {
    static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    public static func encode(_ bytes: [UInt8]) -> String {
        var output: [UInt8] = []
        output.reserveCapacity((bytes.count + 2) / 3 * 4)
        var index = 0
        while index < bytes.count {
            let chunk = bytes[index..<min(index + 3, bytes.count)]
            var group = 0
            for (offset, byte) in chunk.enumerated() { group |= Int(byte) << (16 - 8 * offset) }
            for position in 0...chunk.count { output.append(alphabet[(group >> (18 - 6 * position)) & 0x3F]) }
            index += 3
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// Also accepts padding, so that a value from another encoder reads.
    public static func decode(_ text: String) -> [UInt8]? {
        var characters = Array(text.utf8)
        while characters.last == UInt8(ascii: "=") { characters.removeLast() }
        guard characters.count % 4 != 1 else { return nil }
        var output: [UInt8] = []
        var group = 0
        var bits = 0
        for character in characters {
            guard let value = alphabet.firstIndex(of: character) else { return nil }
            group = group << 6 | value
            bits += 6
            if bits >= 8 {
                bits -= 8
                output.append(UInt8((group >> bits) & 0xFF))
            }
        }
        return output
    }
}

/// A Multikey (W3C Controlled Identifiers 1.0): the key's multicodec prefix and bytes, multibase
/// base58btc. Ed25519 public keys read `z6Mk…`, private keys `z3u2…`.
public enum Multikey {
    /// Multicodec `ed25519-pub` (0xed), as its unsigned varint.
    static let ed25519PublicPrefix: [UInt8] = [0xED, 0x01]
    /// Multicodec `ed25519-priv` (0x1300), as its unsigned varint.
    static let ed25519PrivatePrefix: [UInt8] = [0x80, 0x26]

    public static func encodeEd25519PublicKey(_ raw: some Collection<UInt8>) -> String {
        Multibase.encode(ed25519PublicPrefix + Array(raw), as: .base58btc)
    }

    public static func decodeEd25519PublicKey(_ text: String) -> [UInt8]? {
        decode(text, prefix: ed25519PublicPrefix)
    }

    public static func encodeEd25519PrivateKey(_ raw: some Collection<UInt8>) -> String {
        Multibase.encode(ed25519PrivatePrefix + Array(raw), as: .base58btc)
    }

    public static func decodeEd25519PrivateKey(_ text: String) -> [UInt8]? {
        decode(text, prefix: ed25519PrivatePrefix)
    }

    static func decode(_ text: String, prefix: [UInt8]) -> [UInt8]? {
        guard text.first == "z", let bytes = Multibase.decode(text), bytes.count == prefix.count + 32,
              bytes.starts(with: prefix)
        else { return nil }
        return Array(bytes.dropFirst(prefix.count))
    }
}
