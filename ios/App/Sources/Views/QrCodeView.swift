// Draws the core's QrMatrix with SwiftUI's Canvas: dark modules as black squares on white,
// with the four-module quiet zone scanners need, at whole points per module.
import SwiftUI
import Cancuoc

struct QrCodeView: View {
    let matrix: QrMatrix
    private let quiet = 4

    var body: some View {
        Canvas { context, size in
            let n = Int(matrix.size)
            let cells = n + 2 * quiet
            let module = max(1, (min(size.width, size.height) / CGFloat(cells)).rounded(.down))
            let side = module * CGFloat(cells)
            let origin = CGPoint(x: (size.width - side) / 2, y: (size.height - side) / 2)
            context.fill(Path(CGRect(origin: origin, size: CGSize(width: side, height: side))), with: .color(.white))
            var dark = Path()
            for y in 0..<n {
                for x in 0..<n where Display.isDark(matrix, x, y) {
                    dark.addRect(CGRect(x: origin.x + CGFloat(x + quiet) * module,
                                        y: origin.y + CGFloat(y + quiet) * module,
                                        width: module, height: module))
                }
            }
            context.fill(dark, with: .color(.black))
        }
        .aspectRatio(1, contentMode: .fit)
        .accessibilityLabel(L("present.qr_description"))
    }
}
