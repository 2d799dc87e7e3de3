import Foundation
import SwitchboardCodec
import SwitchboardDomain

/// Words for people: the Slack text of a notification.
enum NotificationText {
    /// E.g. "New WhatsApp contact Ann (+15551230001) assigned to you via Sales Line".
    ///
    /// Every value put into the text is escaped as Slack's message formatting requires (`&`,
    /// `<`, `>`): a contact chooses their own profile name, and unescaped it could ping
    /// `<!channel>` or plant a `<https://…|link>` in the team's channel.
    static func slack(_ notification: UserNotification) -> String {
        let name = notification.contactName.map { "\(slackEscaped($0)) (\(slackEscaped(notification.contact)))" }
        let who = name ?? slackEscaped(notification.contact)
        let account = slackEscaped(notification.accountName ?? notification.account)
        let platform = notification.platform?.displayName ?? "messaging"
        switch notification.kind {
        case .assigned: return "New \(platform) contact \(who) assigned to you via \(account)"
        case .message: return "New \(platform) message from \(who) on \(account)"
        case .coverage: return "Please cover \(platform) contact \(who) on \(account): their owner is unavailable"
        case .queued: return "\(platform) contact \(who) is waiting in your team's queue (\(account))"
        case .manualRequired: return "\(platform) contact \(who) on \(account) needs a manual assignment"
        case .reassigned: return "\(platform) contact \(who) on \(account) was given to a colleague: it had no reply in time"
        }
    }

    /// `text` with the three characters Slack's formatting gives meaning replaced by their
    /// entities (api.slack.com, "Escaping text").
    static func slackEscaped(_ text: String) -> String {
        MarkupEscaping.escape(text, quotes: false)
    }
}
