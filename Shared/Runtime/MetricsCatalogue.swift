/// What every metric Switchboard exposes means: the `# HELP` line of its Prometheus text, in one
/// place so the services' `/metrics` all say it the same way (and `promtool check metrics`,
/// which CI runs on each service's output, finds no metric without one).
public enum MetricsCatalogue {
    public static let help: [String: String] = [
        // Line protocol and HTTP, every service.
        "switchboard_connections_total": "Line-protocol connections accepted.",
        "switchboard_connections_refused_total": "Line-protocol connections refused (over the connection limit or draining).",
        "switchboard_requests_total": "Line-protocol requests answered, by op and outcome (ok or the error code).",
        "switchboard_requests_rejected_total": "Line-protocol requests refused before their handler (limits, malformed lines).",
        "switchboard_request_seconds": "Time from reading a line-protocol request to its answer, by op.",
        "switchboard_http_requests_total": "HTTP requests answered, by status.",
        // Adapters.
        "switchboard_webhooks_total": "Provider webhooks received, by provider and outcome (accepted, forbidden, malformed, ignored).",
        "switchboard_inbox_events_total": "Inbound events newly committed to the inbox, by provider.",
        "switchboard_forwarded_total": "Inbox events handed to the router, by outcome (done, rejected, retry).",
        "switchboard_forward_seconds": "Time from starting to forward an inbox event to the router's answer being recorded.",
        "switchboard_inbox_events": "Events in the adapters' inbox now, by status (pending waits for the router).",
        // Router.
        "switchboard_decisions_total": "Routing decisions committed, by reason.",
        "switchboard_decision_seconds": "Time from receiving a message to its committed decision's answer.",
        "switchboard_outbox_pending": "Notifications and CRM updates committed by the router and not yet acknowledged by the notifier.",
        "switchboard_open_contacts": "Open contacts, all locations.",
        // Directory.
        "switchboard_directory_changes_total": "Directory writes that changed something.",
        "switchboard_directory_version": "The directory's current version (grows with every change).",
        // Notifier.
        "switchboard_notifier_items_total": "Notifications and CRM updates newly committed by the notifier.",
        "switchboard_deliveries_started_total": "Delivery attempts started, by what started them (commit or loop).",
        "switchboard_deliveries_total": "Delivery attempts finished, by channel and outcome.",
        "switchboard_delivery_seconds": "Time one delivery attempt took, by channel.",
        "switchboard_deliveries": "Deliveries by status now (pending are queued or waiting to retry; dead are dead letters).",
        "switchboard_crm_owner_reports_pending": "Owners found in GoHighLevel not yet acknowledged by the router.",
    ]
}
