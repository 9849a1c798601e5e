// Adding a document issued to this phone: shows the device's public key (SPKI PEM) for the
// issuer — in development, `cancuoc issue --holder-key` — then reads the chosen mdoc (.cbor)
// and optional QR form (.sdcwt) from Files and hands them to the core, which verifies them.
import SwiftUI
import UniformTypeIdentifiers
import Cancuoc

@MainActor
struct ImportView: View {
    @EnvironmentObject var model: WalletModel
    @State private var devicePem: String?
    @State private var mdoc: URL?
    @State private var qr: URL?
    @State private var picking: Slot?
    @State private var problem: String?
    @State private var added: String?
    @State private var busy = false

    private enum Slot { case mdoc, qr }

    var body: some View {
        Form {
            Section(L("import.device_key")) {
                if let devicePem {
                    Text(devicePem).font(.system(.caption, design: .monospaced)).textSelection(.enabled)
                    ShareLink(item: devicePem) { Text(L("import.share")) }
                }
            }
            Section {
                Button(L("import.pick_mdoc")) { picking = .mdoc }
                if let mdoc { Text(L("import.file_chosen", mdoc.lastPathComponent)) }
                Button(L("import.pick_qr")) { picking = .qr }
                if let qr { Text(L("import.file_chosen", qr.lastPathComponent)) }
            }
            if let problem { Text(problem).foregroundStyle(.red) }
            if let added { Text(L("import.added", added)).foregroundStyle(.green) }
            Button(L("import.add"), action: add).disabled(mdoc == nil || busy)
        }
        .navigationTitle(L("import.title"))
        .fileImporter(isPresented: Binding(get: { picking != nil }, set: { if !$0 { picking = nil } }),
                      allowedContentTypes: [.data]) { result in
            if case let .success(url) = result {
                if picking == .mdoc { mdoc = url } else { qr = url }
            }
            picking = nil
        }
        .task {
            do { devicePem = try await model.run { try $0.account() }?.devicePublicKeyPem } catch { problem = Display.problem(error) }
        }
    }

    /// Reads a file the citizen picked (outside the sandbox: security-scoped), at most 1 MiB.
    private static func read(_ url: URL) throws -> Data {
        let scoped = url.startAccessingSecurityScopedResource()
        defer { if scoped { url.stopAccessingSecurityScopedResource() } }
        let data = try Data(contentsOf: url)
        guard data.count <= 1 << 20 else { throw CocoaError(.fileReadTooLarge) }
        return data
    }

    private func add() {
        guard let mdoc else { return }
        let qr = self.qr
        busy = true
        problem = nil
        Task { @MainActor in
            defer { busy = false }
            do {
                let mdocBytes = try Self.read(mdoc)
                let qrBytes = try qr.map(Self.read)
                let card = try await model.run { try $0.addDocument(mdoc: mdocBytes, qr: qrBytes, dependent: nil) }
                added = card.title
                self.mdoc = nil
                self.qr = nil
            } catch {
                problem = Display.problem(error)
            }
        }
    }
}
