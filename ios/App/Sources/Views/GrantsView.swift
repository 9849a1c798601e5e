// Standing consents (grants): party, document, elements, purpose and period, active or
// revoked — and revoking one, which the core signs with the device key and logs.
import SwiftUI
import Cancuoc

@MainActor
struct GrantsView: View {
    @EnvironmentObject var model: WalletModel
    @State private var grants: [GrantInfo]?
    @State private var confirm: GrantInfo?
    @State private var problem: String?

    var body: some View {
        List {
            if let problem { Text(problem).foregroundStyle(.red) }
            if let grants {
                if grants.isEmpty { Text(L("grants.empty")) }
                ForEach(grants, id: \.id) { g in
                    VStack(alignment: .leading, spacing: 4) {
                        Text(g.party).font(.headline)
                        Text(Display.kindName(g.document))
                        Text(L("consent.purpose", g.purpose))
                        Text(L("grant.elements", g.elements.joined(separator: ", "))).font(.caption)
                        Text(L("grant.period", Display.date(g.issuedUnix), Display.date(g.expiresUnix)))
                        if let revoked = g.revokedUnix {
                            Text(L("grant.revoked_at", Display.dateTime(revoked))).foregroundStyle(.red)
                        } else if g.active {
                            Button(L("grant.revoke"), role: .destructive) { confirm = g }
                        } else {
                            Text(L("grant.inactive"))
                        }
                    }
                }
            } else if problem == nil {
                ProgressView()
            }
        }
        .navigationTitle(L("grants.title"))
        .task { await load() }
        .confirmationDialog(L("grant.revoke_confirm", confirm?.party ?? ""),
                            isPresented: Binding(get: { confirm != nil }, set: { if !$0 { confirm = nil } }),
                            titleVisibility: .visible) {
            Button(L("grant.revoke"), role: .destructive) {
                guard let id = confirm?.id else { return }
                Task { @MainActor in
                    do { _ = try await model.run { try $0.revokeGrant(grantId: id) } } catch { problem = Display.problem(error) }
                    await load()
                }
            }
        }
    }

    private func load() async {
        do {
            grants = try await model.run { try $0.grants() }.sorted { $0.issuedUnix > $1.issuedUnix }
        } catch {
            problem = Display.problem(error)
        }
    }
}
