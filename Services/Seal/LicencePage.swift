import Domain
import Foundation
import Messaging
import Signing
import TongbanClient

/// Escaping for text and attribute values in HTML.
enum HTML {
    static func escape(_ text: String) -> String {
        var escaped = ""
        escaped.reserveCapacity(text.count)
        for character in text {
            switch character {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "\"": escaped += "&quot;"
            case "'": escaped += "&#39;"
            default: escaped.append(character)
            }
        }
        return escaped
    }
}

/// The bureau's seal as drawn on a licence (行政审批专用章): a red ring, the bureau's name along the
/// top arc, a five-pointed star, and the seal's purpose beneath.
enum SealImage {
    static func svg(bureauName: String, purpose: String = "行政审批专用章", keyID: String?, pixels: Int = 168) -> String {
        let red = "#d0021b"
        // The name fills the upper arc (about 200 units long) whatever its length.
        let nameSize = min(20, max(10, 190 / max(bureauName.count, 1) - 2))
        // Star points: outer radius 26, inner 10, centred at (100, 96).
        let star = (0..<10).map { point -> String in
            let angle = Double.pi / 2 + Double(point) * Double.pi / 5
            let radius = point.isMultiple(of: 2) ? 26.0 : 10.0
            return String(format: "%.2f,%.2f", 100 + radius * cos(angle), 96 - radius * sin(angle))
        }.joined(separator: " ")
        let keyText = keyID.map { "<text x=\"100\" y=\"170\" text-anchor=\"middle\" font-size=\"7\" fill=\"\(red)\">\(HTML.escape($0))</text>" } ?? ""
        return """
            <svg xmlns="http://www.w3.org/2000/svg" class="seal" role="img" aria-label="\(HTML.escape(bureauName)) \(purpose)" \
            width="\(pixels)" height="\(pixels)" viewBox="0 0 200 200">\
            <defs><path id="seal-arc" d="M 38 112 A 64 64 0 1 1 162 112"/></defs>\
            <circle cx="100" cy="100" r="92" fill="none" stroke="\(red)" stroke-width="7"/>\
            <text font-family="'WenQuanYi Micro Hei', 'Noto Sans CJK SC', sans-serif" font-size="\(nameSize)" font-weight="bold" fill="\(red)" letter-spacing="1">\
            <textPath href="#seal-arc" startOffset="50%" text-anchor="middle">\(HTML.escape(bureauName))</textPath></text>\
            <polygon points="\(star)" fill="\(red)"/>\
            <text x="100" y="150" text-anchor="middle" font-family="'WenQuanYi Micro Hei', 'Noto Sans CJK SC', sans-serif" \
            font-size="15" fill="\(red)">\(purpose)</text>\(keyText)</svg>
            """
    }
}

/// The licence laid out as a certificate for people (电子证照): holder, matter, number, validity,
/// the bureau's seal and a QR code that leads to its verification.
struct LicencePage {
    var licence: IssuedLicence
    var verification: LicenceVerification
    var bureauName: String
    var verificationURL: String
    /// The holder's identity number whole (the holder, the deciding officers) or masked.
    var identifierWhole: Bool

    static func date(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = chinaStandardTime
        let parts = calendar.dateComponents([.year, .month, .day], from: date)
        return "\(parts.year!)年\(parts.month!)月\(parts.day!)日"
    }


    func html() throws -> String {
        let credential = licence.credential
        let subject = credential["credentialSubject"]?.objectValue ?? [:]
        let holder = subject["holder"]?.objectValue ?? [:]
        let matter = subject["matter"]?.objectValue ?? [:]
        let holderName = holder["name"]?.stringValue ?? licence.summary.holderName
        let holderType = holder["type"]?.stringValue
        // An enterprise's unified social credit code is public; a person's identity number shows
        // whole only to those who may read it so.
        let wholeIdentifier = holder["identifier"]?.stringValue ?? ""
        let identifier = holderType == "Person" && !identifierWhole ? Masked.identityNumber(wholeIdentifier) : wholeIdentifier
        let validity = licence.summary.validUntil.map { "\(Self.date(licence.summary.validFrom)) 至 \(Self.date($0))" } ?? "\(Self.date(licence.summary.validFrom)) 起长期有效"
        let keyID = credential["proof", "verificationMethod"]?.stringValue.flatMap { $0.split(separator: "#").last.map(String.init) }
        let qr = try QRCode(verificationURL).svg(pixels: 132, label: "扫码核验 \(licence.number)")
        let (statusText, statusClass) = switch verification.verdict {
        case .valid: ("有效", "valid")
        case .revoked: ("已撤销", "revoked")
        case .suspended: ("已暂扣", "suspended")
        case .expired: ("已过期", "expired")
        case .forged, .unknown: ("无法核验", "revoked")
        }
        let rows: [(String, String, String)] = [
            ("holder", holderType == "Person" ? "持证人" : "持证单位", holderName),
            ("identifier", holderType == "Person" ? "身份证号码" : "统一社会信用代码", identifier),
            ("matter", "许可事项", matter["name"]?.stringValue ?? licence.summary.matterCode),
            ("department", "承办部门", matter["departmentName"]?.stringValue ?? ""),
            ("validity", "有效期限", validity),
            ("case", "办件编号", licence.caseNumber),
        ]
        let table = rows.map { id, label, value in
            "<tr id=\"\(id)\"><th>\(HTML.escape(label))</th><td>\(HTML.escape(value))</td></tr>"
        }.joined(separator: "\n")
        return """
            <!DOCTYPE html>
            <html lang="zh-CN">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(HTML.escape(licence.summary.kind.name)) \(HTML.escape(licence.number))</title>
            <style>
            body { margin: 0; background: #efe9dc; font-family: 'WenQuanYi Micro Hei', 'Noto Sans CJK SC', sans-serif; color: #222; }
            .certificate { position: relative; width: 760px; margin: 24px auto; padding: 40px 56px 36px; background: #fffdf6;
              border: 14px double #b8860b; box-sizing: border-box; }
            h1 { text-align: center; font-size: 34px; letter-spacing: 10px; margin: 0 0 6px; color: #8b0000; }
            .number { text-align: center; font-size: 15px; margin-bottom: 22px; color: #555; }
            table { width: 100%; border-collapse: collapse; font-size: 17px; }
            th { width: 150px; text-align: justify; text-align-last: justify; padding: 9px 18px 9px 0; vertical-align: top; font-weight: normal; color: #555; }
            td { padding: 9px 0; border-bottom: 1px solid #e4dcc4; }
            .footer { display: flex; justify-content: space-between; align-items: flex-end; margin-top: 26px; }
            .qr { text-align: center; font-size: 12px; color: #555; }
            .issuer { position: relative; text-align: center; width: 260px; height: 180px; font-size: 17px; }
            .issuer .name { position: absolute; top: 62px; width: 100%; }
            .issuer .date { position: absolute; top: 94px; width: 100%; font-size: 15px; }
            .issuer .seal { position: absolute; left: 46px; top: 0; opacity: 0.88; }
            .status { position: absolute; top: 26px; right: 30px; padding: 4px 12px; border: 2px solid; font-size: 15px; }
            .status.valid { color: #1a7f37; }
            .status.revoked, .status.suspended, .status.expired { color: #d0021b; }
            .standing { margin-top: 14px; padding: 10px; border: 1px solid #d0021b; color: #d0021b; font-size: 15px; }
            </style>
            </head>
            <body>
            <main class="certificate" data-licence-number="\(HTML.escape(licence.number))" data-verdict="\(verification.verdict.rawValue)">
            <div class="status \(statusClass)" id="status">\(statusText)</div>
            <h1>\(HTML.escape(licence.summary.kind.name))</h1>
            <div class="number">编号：<span id="licence-number">\(HTML.escape(licence.number))</span></div>
            <table>
            \(table)
            </table>
            \(verification.verdict == .valid ? "" : "<div class=\"standing\" id=\"standing\">\(HTML.escape(verification.reason))</div>")
            <div class="footer">
            <div class="qr" id="qr">\(qr)<div>扫码核验</div></div>
            <div class="issuer" id="issuer">
            \(SealImage.svg(bureauName: bureauName, keyID: keyID))
            <div class="name">\(HTML.escape(bureauName))</div>
            <div class="date">\(Self.date(licence.summary.validFrom))</div>
            </div>
            </div>
            </main>
            </body>
            </html>
            """
    }
}

/// The verification page a phone opens from the QR code.
struct VerificationPage {
    var result: LicenceVerification

    func html() -> String {
        let (title, colour) = switch result.verdict {
        case .valid: ("核验通过：证照有效", "#1a7f37")
        case .revoked: ("证照已撤销", "#d0021b")
        case .suspended: ("证照已暂扣", "#d0021b")
        case .expired: ("证照已过期", "#d0021b")
        case .forged: ("核验未通过：证照被篡改或伪造", "#d0021b")
        case .unknown: ("查无此证", "#d0021b")
        }
        let details = result.licence.map { licence in
            [
                ("证照名称", licence.name), ("证照编号", licence.licenceNumber), ("持证人", licence.holderName),
                ("许可事项", licence.matterName), ("发证机关", licence.issuer),
                ("有效期限", licence.validUntil.map { "\(LicencePage.date(licence.validFrom)) 至 \(LicencePage.date($0))" } ?? "长期有效"),
            ].map { "<tr><th>\(HTML.escape($0.0))</th><td>\(HTML.escape($0.1))</td></tr>" }.joined()
        } ?? ""
        return """
            <!DOCTYPE html>
            <html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(title)</title>
            <style>body { font-family: 'WenQuanYi Micro Hei', 'Noto Sans CJK SC', sans-serif; margin: 24px; }
            h1 { color: \(colour); font-size: 22px; } th { text-align: left; padding: 6px 16px 6px 0; color: #555; font-weight: normal; }</style>
            </head><body data-verdict="\(result.verdict.rawValue)">
            <h1>\(title)</h1><p>\(HTML.escape(result.reason))</p><table>\(details)</table>
            <p>核验时间：\(HTML.escape(JSONValue.formatDateTime(result.checkedAt)))</p>
            </body></html>
            """
    }
}
