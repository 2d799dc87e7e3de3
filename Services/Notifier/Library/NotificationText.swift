import Foundation
import SwitchboardDomain

/// Words for people: the Slack text of a notification.
enum NotificationText {

    /// E.g. "New WhatsApp contact Ann (+15551230001) assigned to you via Sales Line".
    static func slack(_ notification: UserNotification) -> String {
        let who = notification.contactName.map { "\($0) (\(notification.contact))" } ?? notification.contact
        let account = notification.accountName ?? notification.account
        let platform = notification.platform?.displayName ?? "messaging"
        switch notification.kind {
        case .assigned: return "New \(platform) contact \(who) assigned to you via \(account)"
        case .message: return "New \(platform) message from \(who) on \(account)"
        case .coverage: return "Please cover \(platform) contact \(who) on \(account): their owner is unavailable"
        case .queued: return "\(platform) contact \(who) is waiting in your team's queue (\(account))"
        case .manualRequired: return "\(platform) contact \(who) on \(account) needs a manual assignment"
        }
    }
}
