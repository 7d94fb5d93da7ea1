/// RFC 8785, JSON Canonicalization Scheme (JCS): the one byte sequence a JSON value signs as.
/// Object members sorted by their names' UTF-16 code units, no whitespace, strings escaped as
/// ECMAScript's JSON.stringify escapes them, numbers as ECMAScript's Number.prototype.toString
/// writes them.
extension JSONValue {
    /// The canonical form, UTF-8.
    public var canonicalBytes: [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(256)
        writeCanonical(to: &output)
        return output
    }

    /// The canonical form as text.
    public var canonicalText: String {
        String(decoding: canonicalBytes, as: UTF8.self)
    }

    func writeCanonical(to output: inout [UInt8]) {
        switch self {
        case .null: output.append(contentsOf: "null".utf8)
        case .bool(let value): output.append(contentsOf: (value ? "true" : "false").utf8)
        case .number(let value): output.append(contentsOf: ECMAScriptNumber.format(value).utf8)
        case .string(let value): JSONValue.writeString(value, to: &output)
        case .array(let elements):
            output.append(UInt8(ascii: "["))
            for (index, element) in elements.enumerated() {
                if index > 0 { output.append(UInt8(ascii: ",")) }
                element.writeCanonical(to: &output)
            }
            output.append(UInt8(ascii: "]"))
        case .object(let object):
            object.writeCanonical(to: &output)
        }
    }

    /// RFC 8785 §3.2.2.2: `"` and `\` escaped, the controls with a short form (\b \t \n \f \r)
    /// in it, other controls as lower-case \u00XX; every other character as itself, in UTF-8.
    static func writeString(_ value: String, to output: inout [UInt8]) {
        output.append(UInt8(ascii: "\""))
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "\""): output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"): output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case 0x08: output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "b")])
            case 0x09: output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case 0x0A: output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case 0x0C: output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "f")])
            case 0x0D: output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case 0x00..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                output.append(contentsOf: "\\u00".utf8)
                output.append(hex[Int(byte >> 4)])
                output.append(hex[Int(byte & 0x0F)])
            default: output.append(byte)
            }
        }
        output.append(UInt8(ascii: "\""))
    }
}

extension JSONObject {
    public var canonicalBytes: [UInt8] {
        var output: [UInt8] = []
        writeCanonical(to: &output)
        return output
    }

    func writeCanonical(to output: inout [UInt8]) {
        // RFC 8785 §3.2.3: by UTF-16 code units, whatever the locale, unnormalised.
        let sorted = members.sorted { $0.name.utf16.lexicographicallyPrecedes($1.name.utf16) }
        output.append(UInt8(ascii: "{"))
        for (index, member) in sorted.enumerated() {
            if index > 0 { output.append(UInt8(ascii: ",")) }
            JSONValue.writeString(member.name, to: &output)
            output.append(UInt8(ascii: ":"))
            member.value.writeCanonical(to: &output)
        }
        output.append(UInt8(ascii: "}"))
    }
}

/// ECMAScript's Number::toString (ECMA-262 §6.1.6.1.20) for finite doubles: the shortest digits
/// that read back as the same double, laid out plainly between 1e-7 and 1e21, in exponent form
/// outside. -0 is "0".
enum ECMAScriptNumber {
    static func format(_ value: Double) -> String {
        precondition(value.isFinite, "I-JSON has no NaN or Infinity")
        if value == 0 { return "0" }
        let (digits, exponent) = shortestDigits(of: abs(value))
        // value = 0.d1d2…dk × 10^n, in the specification's terms.
        let k = digits.count
        let n = exponent
        var text = value < 0 ? "-" : ""
        if k <= n, n <= 21 {
            text += digits + String(repeating: "0", count: n - k)
        } else if 0 < n, n <= 21 {
            text += digits.prefix(n) + "." + digits.dropFirst(n)
        } else if -6 < n, n <= 0 {
            text += "0." + String(repeating: "0", count: -n) + digits
        } else {
            let e = n - 1
            text += digits.prefix(1)
            if k > 1 { text += "." + digits.dropFirst() }
            text += "e" + (e >= 0 ? "+" : "-") + String(abs(e))
        }
        return text
    }

    /// The shortest round-tripping decimal digits (no leading or trailing zeros) and the exponent n
    /// with value = 0.digits × 10^n. Swift's own description already picks the shortest digits,
    /// and of equally short ones the closest, as ECMAScript does; only its layout differs.
    static func shortestDigits(of value: Double) -> (digits: String, exponent: Int) {
        let description = value.description
        var mantissa = Substring(description)
        var exponent = 0
        if let e = description.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            mantissa = description[..<e]
            exponent = Int(description[description.index(after: e)...])!
        }
        var integerPart = mantissa
        var fractionPart: Substring = ""
        if let dot = mantissa.firstIndex(of: ".") {
            integerPart = mantissa[..<dot]
            fractionPart = mantissa[mantissa.index(after: dot)...]
        }
        // value = integerPart.fractionPart × 10^exponent = 0.(all) × 10^(exponent + integer digits)
        var all = String(integerPart) + fractionPart
        var pointPosition = integerPart.count + exponent
        while all.first == "0" {
            all.removeFirst()
            pointPosition -= 1
        }
        while all.last == "0" { all.removeLast() }
        return (all, pointPosition)
    }
}
