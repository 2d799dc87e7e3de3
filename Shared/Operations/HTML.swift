import SwitchboardCodec

/// Text made safe for HTML text and double-quoted attributes: every page Switchboard renders
/// (the report, the console) shows contact-supplied names and messages.
public enum HTML {
    public static func escape(_ text: String) -> String {
        MarkupEscaping.escape(text, quotes: true)
    }
}
