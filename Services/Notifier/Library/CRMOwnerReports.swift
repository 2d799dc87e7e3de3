import Foundation
import SwitchboardCodec
import SwitchboardDomain
import SwitchboardNet
import SwitchboardRuntime

/// Owners the CRM sync found in GoHighLevel and kept (a contact owned before go-live, a
/// reassignment made by hand), handed to the router (`router.crm_event`) so routing keeps them
/// too: committed before the sync's attempt is, sent in order until the router answers, then
/// removed (DESIGN.md's hand-off). A report sent twice changes nothing the second time: the
/// router finds the owner already set.
final class CRMOwnerReports: Sendable {
    private let store: NotifierStore
    private let routers: RouterRing
    private let logger: Logger
    private let loop = BackgroundLoop()
    private let backoff = Backoff(initial: 0.2, multiplier: 2, maximum: 30)

    init(store: NotifierStore, routers: RouterRing, logger: Logger) {
        self.store = store
        self.routers = routers
        self.logger = logger
    }

    /// Keeps `report` until the router has it.
    func report(_ report: CRMEvent, note: String) async {
        do {
            try await store.addOwnerReport(report)
            logger.info("CRM owner kept", ["location": report.location, "owner": report.user ?? "none", "why": note])
            loop.wake()
        } catch {
            logger.error("CRM owner report not stored", ["error": String(describing: error)])
        }
    }

    func start() {
        loop.start { [self] wakeup in await run(wakeup) }
    }

    func stop() async {
        await loop.stop()
    }

    private func run(_ wakeup: Wakeup) async {
        var failures = 0
        while !wakeup.isStopping {
            var sent = 0
            var failed = false
            do {
                for report in try await store.ownerReports(limit: 64) {
                    do {
                        let answer = try await routers.client(for: report.location).call("router.crm_event", report, as: CRMEventAnswer.self)
                        logger.debug("CRM owner report delivered", ["applied": answer.applied, "note": answer.note])
                    } catch let refusal as WireError where !refusal.retryable {
                        // The router will answer the same every time: recorded, not retried forever.
                        logger.warning("CRM owner report refused by the router", ["reason": refusal.description])
                    }
                    try await store.removeOwnerReport(id: report.id)
                    sent += 1
                }
            } catch {
                failed = true
                logger.info("CRM owner reports wait for the router", ["reason": String(describing: error)])
            }
            failures = failed ? failures + 1 : 0
            if failed {
                await wakeup.sleep(seconds: backoff.delay(attempt: failures))
            } else if sent == 0 {
                await wakeup.sleep(seconds: 3600)
            }
        }
    }
}
