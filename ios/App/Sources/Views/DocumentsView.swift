// The citizen's documents as cards, each opening the presentation screen, and the way to the
// other screens: add a document, scan a request, consents, the activity log, the verifier.
import SwiftUI
import Cancuoc

@MainActor
struct DocumentsView: View {
    @EnvironmentObject var model: WalletModel
    @State private var cards: [DocumentCard]?
    @State private var problem: String?

    var body: some View {
        List {
            if let problem { Text(problem).foregroundStyle(.red) }
            if let cards {
                if cards.isEmpty { Text(L("documents.empty")) }
                ForEach(cards, id: \.id) { card in
                    NavigationLink { PresentView(documentId: card.id) } label: { CardView(card: card) }
                        .disabled(!card.hasQr)
                }
            } else if problem == nil {
                ProgressView()
            }
            Section {
                NavigationLink(L("document.add")) { ImportView() }
                NavigationLink(L("nav.scan")) { ScanRequestView() }
                NavigationLink(L("nav.grants")) { GrantsView() }
                NavigationLink(L("nav.log")) { LogView() }
                NavigationLink(L("nav.verifier")) { VerifierView() }
                Button(L("nav.lock")) { Task { @MainActor in await model.lock() } }
            }
        }
        .navigationTitle(L("documents.title"))
        .toolbar { LanguageSwitch() }
        .task { await load() }
        .refreshable { await load() }
    }

    private func load() async {
        do { cards = try await model.run { try $0.documents() } } catch { problem = Display.problem(error) }
    }
}

@MainActor
private struct CardView: View {
    let card: DocumentCard

    var body: some View {
        VStack(alignment: .leading, spacing: 4) {
            Text(card.title).font(.headline)
            Text(card.holderName)
            if let dependent = card.dependent { Text(dependent).font(.caption) }
            Text(L("document.number", card.number)).font(.subheadline)
            Text(L("document.valid_until", Display.date(card.validUntilUnix))).font(.subheadline)
            Text(card.issuer).font(.caption).foregroundStyle(.secondary)
            Text(status).font(.caption.bold()).foregroundStyle(card.status == .valid ? .green : .red)
        }
        .padding(.vertical, 4)
    }

    private var status: String {
        switch card.status {
        case .valid: return L("status.valid")
        case .notYetValid: return L("status.not_yet_valid")
        case .expired: return L("status.expired")
        case .revoked: return L("status.revoked")
        }
    }
}
