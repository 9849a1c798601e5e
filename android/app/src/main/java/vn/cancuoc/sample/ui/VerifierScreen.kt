// The receptionist's verifier: CameraX frames, their packed luminance handed to the core's
// Verifier.verifyQrFrame on Dispatchers.IO one at a time, and the verdict in large type — a
// green "Hợp lệ" with the issuer and the disclosed fields, or a red "Không hợp lệ" with the
// reason the core gives. Frames with no readable QR code are skipped silently.
package vn.cancuoc.sample.ui

import android.graphics.BitmapFactory
import androidx.compose.foundation.Image
import androidx.compose.foundation.background
import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.height
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.rememberScrollState
import androidx.compose.foundation.verticalScroll
import androidx.compose.material3.Button
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.runtime.DisposableEffect
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.remember
import androidx.compose.runtime.rememberCoroutineScope
import androidx.compose.runtime.setValue
import androidx.compose.ui.Modifier
import androidx.compose.ui.graphics.Color
import androidx.compose.ui.graphics.asImageBitmap
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.text.font.FontWeight
import androidx.compose.ui.unit.dp
import androidx.compose.ui.unit.sp
import java.util.concurrent.Executors
import java.util.concurrent.atomic.AtomicBoolean
import kotlinx.coroutines.CancellationException
import kotlinx.coroutines.launch
import vn.cancuoc.core.VerificationException
import vn.cancuoc.core.VerifiedPresentation
import vn.cancuoc.sample.R
import vn.cancuoc.sample.camera.lumaAnalysis
import vn.cancuoc.sample.core.Problem
import vn.cancuoc.sample.ui.theme.InvalidRed
import vn.cancuoc.sample.ui.theme.ValidGreen

private sealed interface Verdict {
    data class Valid(val presentation: VerifiedPresentation) : Verdict
    data class Invalid(val problem: Problem) : Verdict
}

@Composable
fun VerifierScreen(onBack: () -> Unit) {
    val core = LocalCore.current
    val scope = rememberCoroutineScope()
    val describe = rememberDescribe()
    var verdict by remember { mutableStateOf<Verdict?>(null) }
    // Set while a verdict is on screen: frames are dropped until "scan next".
    val paused = remember { AtomicBoolean(false) }
    val executor = remember { Executors.newSingleThreadExecutor() }
    DisposableEffect(Unit) { onDispose { executor.shutdown() } }

    val analysis = remember {
        lumaAnalysis(executor) { frame, done ->
            if (paused.get()) {
                done()
                return@lumaAnalysis
            }
            scope.launch {
                try {
                    val v = core.service.verifyFrame(frame.width, frame.height, frame.pixels)
                    paused.set(true)
                    verdict = Verdict.Valid(v)
                } catch (e: VerificationException.Input) {
                    // No QR code in this frame (or not readable yet): keep scanning.
                } catch (e: CancellationException) {
                    throw e
                } catch (e: Exception) {
                    paused.set(true)
                    verdict = Verdict.Invalid(describe(e))
                } finally {
                    done()
                }
            }
        }
    }

    Screen(stringResource(R.string.verifier_title), onBack = onBack) { padding ->
        Column(Modifier.fillMaxSize().padding(padding)) {
            when (val v = verdict) {
                null -> {
                    Text(stringResource(R.string.verifier_hint), Modifier.padding(16.dp))
                    CameraView(analysis, Modifier.fillMaxWidth().weight(1f))
                }
                is Verdict -> Column(
                    Modifier.fillMaxSize().verticalScroll(rememberScrollState()),
                    verticalArrangement = Arrangement.spacedBy(8.dp),
                ) {
                    VerdictBanner(v)
                    if (v is Verdict.Valid) PresentationDetails(v.presentation)
                    Button(
                        onClick = {
                            verdict = null
                            paused.set(false)
                        },
                        modifier = Modifier.fillMaxWidth().padding(16.dp),
                    ) { Text(stringResource(R.string.verifier_scan_again)) }
                }
            }
        }
    }
}

@Composable
private fun VerdictBanner(v: Verdict) {
    val (color, word) = when (v) {
        is Verdict.Valid -> ValidGreen to stringResource(R.string.verifier_valid)
        is Verdict.Invalid -> InvalidRed to stringResource(R.string.verifier_invalid)
    }
    Column(
        Modifier.fillMaxWidth().background(color).padding(24.dp),
        verticalArrangement = Arrangement.spacedBy(8.dp),
    ) {
        Text(word, color = Color.White, fontSize = 44.sp, fontWeight = FontWeight.Bold)
        when (v) {
            is Verdict.Valid -> Text(v.presentation.title, color = Color.White, fontSize = 22.sp)
            is Verdict.Invalid -> Text(v.problem.text, color = Color.White, fontSize = 20.sp)
        }
    }
}

@Composable
private fun PresentationDetails(p: VerifiedPresentation) {
    Column(Modifier.padding(horizontal = 16.dp), verticalArrangement = Arrangement.spacedBy(6.dp)) {
        Text(stringResource(R.string.verifier_issuer, p.issuer), style = MaterialTheme.typography.bodyMedium)
        for (e in p.elements) {
            val image = e.image
            if (image != null) {
                val bitmap = remember(image) { BitmapFactory.decodeByteArray(image, 0, image.size) }
                if (bitmap != null) {
                    Image(bitmap.asImageBitmap(), contentDescription = e.label, modifier = Modifier.height(160.dp))
                }
            } else {
                Text(e.label, style = MaterialTheme.typography.labelMedium)
                Text(e.value, style = MaterialTheme.typography.bodyLarge)
            }
        }
        Text(
            stringResource(R.string.verifier_checks, p.checks.joinToString(", ")),
            style = MaterialTheme.typography.bodySmall,
        )
    }
}
