// The sample app's Material 3 theme, with the verdict colours of the verifier screen.
package vn.cancuoc.sample.ui.theme

import androidx.compose.foundation.isSystemInDarkTheme
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.darkColorScheme
import androidx.compose.material3.lightColorScheme
import androidx.compose.runtime.Composable
import androidx.compose.ui.graphics.Color

val ValidGreen = Color(0xFF1B7F3B)
val InvalidRed = Color(0xFFB3261E)
private val Brand = Color(0xFFB71C1C)

@Composable
fun CancuocTheme(content: @Composable () -> Unit) {
    val colors = if (isSystemInDarkTheme()) {
        darkColorScheme(primary = Color(0xFFFFB4A9))
    } else {
        lightColorScheme(primary = Brand)
    }
    MaterialTheme(colorScheme = colors, content = content)
}
