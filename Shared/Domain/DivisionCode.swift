/// 行政区划代码 (GB/T 2260): two digits of province, two of prefecture, two of county; `130100` is
/// 石家庄市 in 河北省, `130000` the province itself.
public struct DivisionCode: Sendable, Hashable, CheckedString, Comparable {
    public let value: String

    /// The province-level divisions (省级行政区) by their two-digit code.
    public static let provinces: [String: String] = [
        "11": "北京市", "12": "天津市", "13": "河北省", "14": "山西省", "15": "内蒙古自治区",
        "21": "辽宁省", "22": "吉林省", "23": "黑龙江省",
        "31": "上海市", "32": "江苏省", "33": "浙江省", "34": "安徽省", "35": "福建省", "36": "江西省", "37": "山东省",
        "41": "河南省", "42": "湖北省", "43": "湖南省", "44": "广东省", "45": "广西壮族自治区", "46": "海南省",
        "50": "重庆市", "51": "四川省", "52": "贵州省", "53": "云南省", "54": "西藏自治区",
        "61": "陕西省", "62": "甘肃省", "63": "青海省", "64": "宁夏回族自治区", "65": "新疆维吾尔自治区",
        "71": "台湾省", "81": "香港特别行政区", "82": "澳门特别行政区",
    ]

    public init(_ text: String) throws(IdentityNumberError) {
        let characters = Array(text)
        guard characters.count == 6 else { throw .wrongLength(expected: 6, found: characters.count) }
        if let index = characters.firstIndex(where: { !$0.isASCIIDigit }) {
            throw .invalidCharacter(position: index + 1, characters[index])
        }
        guard Self.isPlausible(text) else { throw .unknownRegion(text) }
        value = text
    }

    /// Six digits, a real province, and no county without its prefecture.
    static func isPlausible(_ code: String) -> Bool {
        guard code.count == 6, code.allSatisfy(\.isASCIIDigit), provinces[String(code.prefix(2))] != nil else { return false }
        let prefecture = code.dropFirst(2).prefix(2)
        let county = code.suffix(2)
        return !(prefecture == "00" && county != "00")
    }

    public var provinceName: String { Self.provinces[String(value.prefix(2))]! }

    /// The province this division belongs to, e.g. 130000 for 130100.
    public var province: DivisionCode { DivisionCode(unchecked: value.prefix(2) + "0000") }

    public var isProvince: Bool { value.hasSuffix("0000") }

    init(unchecked value: String) {
        self.value = value
    }

    public var description: String { value }

    public static func < (lhs: DivisionCode, rhs: DivisionCode) -> Bool { lhs.value < rhs.value }

}
