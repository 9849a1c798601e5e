// The wallet's gate: the 6-digit PIN or Face ID. Shown by WalletModel.run when a disclosing
// call found the gate closed; the call is retried once it opens.
import SwiftUI

@MainActor
struct GateView: View {
    @EnvironmentObject var model: WalletModel
    @State private var pin = ""
    @State private var problem: String?
    @State private var busy = false

    var body: some View {
        NavigationStack {
            Form {
                SecureField(L("unlock.prompt"), text: $pin)
                    .keyboardType(.numberPad)
                    .onChange(of: pin) { value in pin = String(value.filter(\.isNumber).prefix(6)) }
                if let problem { Text(problem).foregroundStyle(.red) }
                Button(L("unlock.button")) {
                    let code = pin
                    pin = ""
                    Task { @MainActor in await attempt { try await model.unlock(pin: code); return true } }
                }
                .disabled(pin.count != 6 || busy)
                Button(L("unlock.biometric")) {
                    Task { @MainActor in await attempt { try await model.unlockWithBiometrics() } }
                }
                .disabled(busy)
            }
            .navigationTitle(L("unlock.title"))
            .toolbar {
                ToolbarItem(placement: .cancellationAction) {
                    Button(L("action.cancel")) { model.finishGate(false) }
                }
            }
        }
    }

    private func attempt(_ body: () async throws -> Bool) async {
        busy = true
        defer { busy = false }
        do {
            if try await body() { model.finishGate(true) }
        } catch {
            problem = Display.problem(error)
        }
    }
}
