// Draws the core's QrMatrix on a Canvas: dark modules as black squares on white, with the
// four-module quiet zone scanners need, sized to whole pixels per module so the code stays
// sharp at any screen density.
package vn.cancuoc.sample.ui

import androidx.compose.foundation.Canvas
import androidx.compose.foundation.layout.aspectRatio
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.runtime.Composable
import androidx.compose.ui.Modifier
import androidx.compose.ui.geometry.Offset
import androidx.compose.ui.geometry.Size
import androidx.compose.ui.graphics.Color
import androidx.compose.ui.semantics.contentDescription
import androidx.compose.ui.semantics.semantics
import vn.cancuoc.core.QrMatrix
import vn.cancuoc.sample.core.Display

private const val QUIET_ZONE = 4

@Composable
fun QrCode(matrix: QrMatrix, description: String, modifier: Modifier = Modifier) {
    val n = matrix.size.toInt()
    Canvas(
        modifier
            .fillMaxWidth()
            .aspectRatio(1f)
            .semantics { contentDescription = description },
    ) {
        val cells = n + 2 * QUIET_ZONE
        val module = kotlin.math.floor(minOf(size.width, size.height) / cells).coerceAtLeast(1f)
        val side = module * cells
        val origin = Offset((size.width - side) / 2f, (size.height - side) / 2f)
        drawRect(Color.White, topLeft = origin, size = Size(side, side))
        val cell = Size(module, module)
        for (y in 0 until n) {
            for (x in 0 until n) {
                if (Display.isDark(matrix, x, y)) {
                    drawRect(
                        Color.Black,
                        topLeft = Offset(origin.x + (x + QUIET_ZONE) * module, origin.y + (y + QUIET_ZONE) * module),
                        size = cell,
                    )
                }
            }
        }
    }
}
