// Presenting a document: the citizen ticks what to share (the always-disclosed elements are
// fixed), the core signs a 60-second QR (the gate, then Face ID for the Secure Enclave key),
// and the screen draws it with a visible countdown; at zero the code is hidden.
import SwiftUI
import Cancuoc

@MainActor
struct PresentView: View {
    @EnvironmentObject var model: WalletModel
    let documentId: String
    @State private var detail: DocumentDetail?
    @State private var selection: Set<String> = []
    @State private var qr: PresentedQr?
    @State private var expired = false
    @State private var problem: String?
    @State private var busy = false

    var body: some View {
        Group {
            if let qr {
                ScrollView { CountdownQr(qr: qr, onExpired: { self.qr = nil; expired = true }, onAgain: { self.qr = nil }) }
            } else if let detail {
                List {
                    if expired { Text(L("present.expired")).foregroundStyle(.red) }
                    if let problem { Text(problem).foregroundStyle(.red) }
                    Section(L("present.choose")) {
                        ForEach(detail.elements, id: \.identifier) { e in
                            Toggle(isOn: Binding(
                                get: { selection.contains(e.identifier) },
                                set: { on in if on { selection.insert(e.identifier) } else { selection.remove(e.identifier) } }
                            )) {
                                VStack(alignment: .leading) {
                                    Text(e.label)
                                    Text(e.selectable ? e.value : "\(e.value) · \(L("present.always"))").font(.caption)
                                }
                            }
                            .disabled(!e.selectable)
                        }
                    }
                    Button(L("present.make_qr"), action: present).disabled(busy || selection.isEmpty)
                }
            } else if let problem {
                Text(problem).foregroundStyle(.red).padding()
            } else {
                ProgressView()
            }
        }
        .navigationTitle(detail?.card.title ?? L("present.title"))
        .task {
            do {
                let id = documentId
                let d = try await model.run { try $0.document(id: id) }
                detail = d
                selection = Display.initialSelection(d.card.kind, d.elements)
            } catch {
                problem = Display.problem(error)
            }
        }
    }

    private func present() {
        guard let detail else { return }
        let chosen = detail.elements.map(\.identifier).filter(selection.contains)
        let id = documentId
        busy = true
        problem = nil
        expired = false
        Task { @MainActor in
            defer { busy = false }
            do { qr = try await model.run { try $0.presentQr(documentId: id, elements: chosen) } } catch { problem = Display.problem(error) }
        }
    }
}

/// A presented QR with its countdown; hides itself when the time is up.
@MainActor
struct CountdownQr: View {
    let qr: PresentedQr
    var onExpired: () -> Void
    var onAgain: (() -> Void)?
    @State private var lifetime: Int64 = 60

    var body: some View {
        TimelineView(.periodic(from: .now, by: 0.25)) { timeline in
            let left = Display.secondsLeft(qr.expiresUnix, now: timeline.date)
            VStack(spacing: 12) {
                QrCodeView(matrix: qr.matrix).padding()
                Text(L("present.expires_in", Display.countdown(left))).font(.title2.monospacedDigit())
                ProgressView(value: Double(left), total: Double(max(lifetime, 1)))
                Text(L("present.shared", qr.disclosed.count))
                Text(L("present.hint")).font(.footnote)
                if let onAgain { Button(L("present.again"), action: onAgain) }
            }
            .padding()
            .onChange(of: left == 0) { isZero in if isZero { onExpired() } }
        }
        .onAppear {
            lifetime = max(1, Display.secondsLeft(qr.expiresUnix))
            if Display.secondsLeft(qr.expiresUnix) == 0 { onExpired() }
        }
    }
}
