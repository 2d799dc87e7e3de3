/// Contact-supplied text made inert in markup: `&`, `<` and `>` as entities (`&` first by
/// construction), and with `quotes`, `"` and `'` too. Slack's message text needs the three
/// (api.slack.com, "Escaping text"; it shows an entity for a quote literally); HTML text and
/// attributes need all five.
public enum MarkupEscaping {
    public static func escape(_ text: String, quotes: Bool) -> String {
        var escaped = ""
        escaped.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "\"" where quotes: escaped += "&quot;"
            case "'" where quotes: escaped += "&#39;"
            default: escaped.append(character)
            }
        }
        return escaped
    }
}
