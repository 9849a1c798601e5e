// The iOS sample app's entry: the WalletModel for the whole app, the root view choosing between
// activation and the documents, the gate sheet, and a privacy cover while the app is in the
// app switcher (documents and codes never show in its snapshot).
import SwiftUI

@main
struct CancuocSampleApp: App {
    @StateObject private var model = WalletModel()
    @Environment(\.scenePhase) private var scenePhase

    var body: some Scene {
        WindowGroup {
            RootView()
                .environmentObject(model)
                .overlay { if scenePhase != .active { PrivacyCover() } }
                .id(model.language) // redraw every L("…") after the language switch
        }
    }
}

struct RootView: View {
    @EnvironmentObject var model: WalletModel

    var body: some View {
        Group {
            switch model.phase {
            case .loading:
                ProgressView(L("working"))
            case .needsActivation:
                NavigationStack { ActivationView() }
            case .ready:
                NavigationStack { DocumentsView() }
            case let .failed(message):
                Text(message).foregroundStyle(.red).padding()
            }
        }
        .task { await model.start() }
        .sheet(isPresented: Binding(get: { model.gateRequested }, set: { if !$0 { model.finishGate(false) } })) {
            GateView().environmentObject(model)
        }
    }
}

struct PrivacyCover: View {
    var body: some View {
        ZStack {
            Color(.systemBackground).ignoresSafeArea()
            Text(L("app.name")).font(.title)
        }
    }
}

/// The button that switches between Vietnamese and English.
struct LanguageSwitch: View {
    @EnvironmentObject var model: WalletModel

    var body: some View {
        Button(L("language.switch")) {
            model.setLanguage(model.language == .vi ? .en : .vi)
        }
    }
}
