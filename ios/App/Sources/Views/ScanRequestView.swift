// Scanning a relying party's request QR (a clinic's or bank's signed CR2 request). The core
// checks the request — signature, registered party, expiry — and returns the consent prompt;
// a refused request is logged by the core and its reason shown here.
import SwiftUI
import Cancuoc

@MainActor
struct ScanRequestView: View {
    @EnvironmentObject var model: WalletModel
    @State private var pasted = ""
    @State private var problem: String?
    @State private var handling = false
    @State private var showPrompt = false

    var body: some View {
        VStack(alignment: .leading, spacing: 8) {
            Text(L("scan.hint")).padding(.horizontal)
            QrTextScanner { text in handle(text) }
                .frame(maxWidth: .infinity, maxHeight: .infinity)
            if let problem { Text(problem).foregroundStyle(.red).padding(.horizontal) }
            HStack {
                TextField(L("scan.paste"), text: $pasted).textFieldStyle(.roundedBorder)
                Button(L("scan.use_text")) { handle(pasted) }.disabled(pasted.isEmpty)
            }
            .padding()
        }
        .navigationTitle(L("scan.title"))
        .navigationDestination(isPresented: $showPrompt) { ConsentView() }
    }

    private func handle(_ text: String) {
        guard !handling else { return }
        handling = true
        problem = nil
        let request = text.trimmingCharacters(in: .whitespacesAndNewlines)
        Task { @MainActor in
            defer { handling = false }
            do {
                model.pendingPrompt = try await model.run { try $0.respond(request: request, dependent: nil) }
                showPrompt = true
            } catch {
                problem = Display.problem(error)
            }
        }
    }
}
