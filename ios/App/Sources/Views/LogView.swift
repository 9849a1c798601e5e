// The activity log: every disclosure, refusal, grant and revocation, newest first, whether the
// log's hash chain verifies, and the log as JSON to share.
import SwiftUI
import Cancuoc

@MainActor
struct LogView: View {
    @EnvironmentObject var model: WalletModel
    @State private var entries: [AuditEntry]?
    @State private var integrity: String?
    @State private var intact = true
    @State private var json: String?
    @State private var problem: String?

    var body: some View {
        List {
            if let problem { Text(problem).foregroundStyle(.red) }
            if let integrity { Text(integrity).foregroundStyle(intact ? .green : .red) }
            if let entries {
                if entries.isEmpty { Text(L("log.empty")) }
                ForEach(entries, id: \.seq) { e in
                    VStack(alignment: .leading, spacing: 2) {
                        Text("\(outcome(e.outcome)) · \(e.requester)").font(.headline)
                        Text("\(Display.dateTime(e.timeUnix)) · \(channel(e.channel)) · \(e.document)").font(.caption)
                        if !e.disclosed.isEmpty { Text(L("log.shared", e.disclosed.joined(separator: ", "))) }
                        if !e.retained.isEmpty { Text(L("log.retained", e.retained.joined(separator: ", "))).font(.caption) }
                        if let who = e.onBehalfOf { Text(L("log.on_behalf", who)).font(.caption) }
                        if let reason = e.reason { Text(reason).font(.caption) }
                    }
                }
            } else if problem == nil {
                ProgressView()
            }
        }
        .navigationTitle(L("log.title"))
        .toolbar { if let json { ShareLink(item: json) { Text(L("log.export")) } } }
        .task {
            do {
                let (list, check, export) = try await model.run { w -> ([AuditEntry], Result<UInt64, Error>, String) in
                    let list = try w.auditLog(requester: nil, fromUnix: nil, toUnix: nil).sorted { $0.seq > $1.seq }
                    let check = Result { try w.verifyLog() }
                    let export = try w.exportLogJson()
                    return (list, check, export)
                }
                entries = list
                json = export
                switch check {
                case let .success(n): integrity = L("log.intact", Int(n)); intact = true
                case let .failure(e): integrity = L("log.broken", Display.problem(e)); intact = false
                }
            } catch {
                problem = Display.problem(error)
            }
        }
    }

    private func outcome(_ o: String) -> String {
        ["disclosed", "refused", "granted", "revoked", "failed"].contains(o) ? L("outcome.\(o)") : o
    }

    private func channel(_ c: String) -> String {
        ["static_qr", "challenge_qr", "device_response", "online_grant"].contains(c) ? L("channel.\(c)") : c
    }
}
