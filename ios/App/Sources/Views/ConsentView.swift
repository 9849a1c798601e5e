// The consent prompt: who asks (the party's registered name and who certified it), why, from
// which document, each element with whether the party keeps it — share the ticked ones, all,
// or decline. The answer is a QR the party scans (encrypted to it when asked) or, for standing
// consent, a grant; either way the core logged it before returning.
import SwiftUI
import Cancuoc

@MainActor
struct ConsentView: View {
    @EnvironmentObject var model: WalletModel
    @Environment(\.dismiss) private var dismiss
    @State private var selection: Set<String> = []
    @State private var answer: Answer?
    @State private var problem: String?
    @State private var busy = false

    var body: some View {
        Group {
            if let prompt = model.pendingPrompt {
                List {
                    if let answer { answered(prompt, answer) } else { asking(prompt) }
                    if let problem { Text(problem).foregroundStyle(.red) }
                }
                .onAppear { selection = Set(prompt.elements.filter(\.available).map(\.identifier)) }
            } else {
                Text(L("consent.none"))
            }
        }
        .navigationTitle(L("consent.title"))
        .onDisappear { model.pendingPrompt = nil }
    }

    @ViewBuilder
    private func asking(_ prompt: ConsentPrompt) -> some View {
        Section {
            Text(L("consent.from", prompt.partyName)).font(.headline)
            Text(L("consent.certified", prompt.certifiedBy)).font(.caption)
            Text(L("consent.purpose", prompt.purpose))
            Text(L("consent.document", Display.kindName(prompt.document), prompt.holderName))
        }
        Section {
            ForEach(prompt.elements, id: \.identifier) { e in
                Toggle(isOn: Binding(
                    get: { selection.contains(e.identifier) },
                    set: { on in if on { selection.insert(e.identifier) } else { selection.remove(e.identifier) } }
                )) {
                    VStack(alignment: .leading) {
                        Text(e.label)
                        if e.retain { Text(L("consent.retain")).font(.caption).foregroundStyle(.red) }
                        if !e.available { Text(L("consent.unavailable")).font(.caption) }
                    }
                }
                .disabled(!e.available)
            }
        }
        Section {
            if prompt.encrypted { Text(L("consent.encrypted")).font(.footnote) }
            if let until = prompt.standingUntilUnix { Text(L("consent.standing", Display.date(until))).foregroundStyle(.red) }
            Text(L("consent.expires", Display.dateTime(prompt.requestExpiresUnix))).font(.footnote)
        }
        Section {
            Button(L("consent.share_selected")) {
                send(prompt, .some(elements: prompt.elements.map(\.identifier).filter(selection.contains)))
            }
            .disabled(busy || selection.isEmpty)
            Button(L("consent.share_all")) { send(prompt, .all) }.disabled(busy)
            Button(L("consent.decline"), role: .destructive) { send(prompt, .decline) }.disabled(busy)
        }
    }

    @ViewBuilder
    private func answered(_ prompt: ConsentPrompt, _ answer: Answer) -> some View {
        switch answer {
        case let .presentation(qr):
            Text(L("consent.answer_title", prompt.partyName)).font(.headline)
            CountdownQr(qr: qr, onExpired: {}, onAgain: nil)
        case let .grant(grant):
            Text(L("consent.grant_done", prompt.partyName, Display.date(grant.expiresUnix)))
        case .declined:
            Text(L("consent.declined"))
        }
        Button(L("action.close")) { dismiss() }
    }

    private func send(_ prompt: ConsentPrompt, _ approval: Approval) {
        let id = prompt.id
        busy = true
        problem = nil
        Task { @MainActor in
            defer { busy = false }
            do { answer = try await model.run { try $0.answer(promptId: id, approval: approval) } } catch { problem = Display.problem(error) }
        }
    }
}
