// The receptionist's verifier: camera frames' Y planes handed to the core's verifyQrFrame on a
// background queue, one at a time, and the verdict in large type — a green "Hợp lệ" with the
// issuer and the disclosed fields, or a red "Không hợp lệ" with the reason the core gives.
// Frames without a readable QR code are skipped silently.
import SwiftUI
import UIKit
import Cancuoc

@MainActor
struct VerifierView: View {
    @EnvironmentObject var model: WalletModel
    @State private var verdict: Verdict?

    enum Verdict {
        case valid(VerifiedPresentation)
        case invalid(String)
    }

    var body: some View {
        Group {
            if let verdict {
                ScrollView {
                    VStack(alignment: .leading, spacing: 8) {
                        banner(verdict)
                        if case let .valid(p) = verdict { details(p) }
                        Button(L("verifier.scan_again")) { self.verdict = nil }
                            .buttonStyle(.borderedProminent)
                            .padding()
                    }
                }
            } else {
                VStack(alignment: .leading) {
                    Text(L("verifier.hint")).padding(.horizontal)
                    LumaScanner { width, height, luma, done in
                        Task { @MainActor in
                            defer { done() }
                            guard verdict == nil else { return }
                            do {
                                verdict = .valid(try await model.verifyFrame(width: width, height: height, luma: luma))
                            } catch VerificationError.Input {
                                // No QR code in this frame yet: keep scanning.
                            } catch {
                                verdict = .invalid(Display.problem(error))
                            }
                        }
                    }
                }
            }
        }
        .navigationTitle(L("verifier.title"))
    }

    private func banner(_ v: Verdict) -> some View {
        let valid: Bool
        let detail: String
        switch v {
        case let .valid(p): valid = true; detail = p.title
        case let .invalid(reason): valid = false; detail = reason
        }
        return VStack(alignment: .leading, spacing: 8) {
            Text(valid ? L("verifier.valid") : L("verifier.invalid")).font(.system(size: 44, weight: .bold))
            Text(detail).font(.title3)
        }
        .foregroundStyle(.white)
        .frame(maxWidth: .infinity, alignment: .leading)
        .padding(24)
        .background(valid ? Color(red: 0.11, green: 0.5, blue: 0.23) : Color(red: 0.7, green: 0.15, blue: 0.12))
    }

    private func details(_ p: VerifiedPresentation) -> some View {
        VStack(alignment: .leading, spacing: 6) {
            Text(L("verifier.issuer", p.issuer)).font(.subheadline)
            ForEach(p.elements, id: \.identifier) { e in
                if let bytes = e.image, let image = UIImage(data: bytes) {
                    Image(uiImage: image).resizable().scaledToFit().frame(height: 160).accessibilityLabel(e.label)
                } else {
                    Text(e.label).font(.caption)
                    Text(e.value)
                }
            }
            Text(L("verifier.checks", p.checks.joined(separator: ", "))).font(.footnote)
        }
        .padding(.horizontal)
    }
}
