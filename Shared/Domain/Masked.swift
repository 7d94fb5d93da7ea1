/// Personal data as it shows to those whose task does not need it whole (个人信息保护法 第五十一条:
/// 去标识化): pages anyone can open, staff who are not handling the case, and every log line.
public enum Masked {
    /// A resident identity number keeps its first and last four characters, enough for a person to
    /// recognise their own: 130102199003074578 → 1301**********4578. Text of eight characters or
    /// fewer shows nothing of itself.
    public static func identityNumber(_ text: String) -> String {
        guard text.count > 8 else { return String(repeating: "*", count: text.count) }
        return text.prefix(4) + String(repeating: "*", count: text.count - 8) + text.suffix(4)
    }

    /// A person's name keeps its first character (the surname, mostly): 王秀英 → 王**, 欧阳娜娜 → 欧***.
    public static func personName(_ name: String) -> String {
        guard let first = name.first else { return name }
        return String(first) + String(repeating: "*", count: name.count - 1)
    }
}
