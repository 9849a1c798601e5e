// Activation: the citizen's identity as on the chip card, the assurance level (set by the
// identity service in production) and a 6-digit PIN typed twice. The core creates the device
// key in the Secure Enclave and keeps only a PBKDF2 hash of the PIN.
import SwiftUI
import Cancuoc

@MainActor
struct ActivationView: View {
    @EnvironmentObject var model: WalletModel
    @State private var personalId = ""
    @State private var fullName = ""
    @State private var birthDate = ""
    @State private var level: AssuranceLevel = .level2
    @State private var pin = ""
    @State private var pinAgain = ""
    @State private var problem: String?
    @State private var busy = false

    var body: some View {
        Form {
            Section { Text(L("activation.intro")) }
            Section {
                TextField(L("field.personal_id"), text: $personalId).keyboardType(.numberPad)
                TextField(L("field.full_name"), text: $fullName).textInputAutocapitalization(.characters)
                TextField(L("field.birth_date"), text: $birthDate).keyboardType(.numbersAndPunctuation)
                Picker(L("field.level"), selection: $level) {
                    Text(L("level.1")).tag(AssuranceLevel.level1)
                    Text(L("level.2")).tag(AssuranceLevel.level2)
                }
                Text(L("level.note")).font(.footnote)
            }
            Section {
                SecureField(L("field.passcode"), text: $pin).keyboardType(.numberPad)
                SecureField(L("field.passcode_again"), text: $pinAgain).keyboardType(.numberPad)
            }
            if let problem { Text(problem).foregroundStyle(.red) }
            Button(L("activation.button"), action: activate)
                .disabled(busy || personalId.count != 12 || fullName.isEmpty || birthDate.count != 10 || pin.count != 6)
        }
        .navigationTitle(L("activation.title"))
        .toolbar { LanguageSwitch() }
    }

    private func activate() {
        guard pin == pinAgain else { problem = L("passcode.mismatch"); return }
        let activation = Activation(personalId: personalId, fullName: fullName.trimmingCharacters(in: .whitespaces),
                                    birthDate: birthDate, level: level, idCardExpiry: nil)
        let code = pin
        busy = true
        Task { @MainActor in
            defer { busy = false }
            do {
                _ = try await model.run { try $0.activate(activation: activation, passcode: code) }
                pin = ""
                pinAgain = ""
                model.phase = .ready
            } catch {
                problem = Display.problem(error)
            }
        }
    }
}
