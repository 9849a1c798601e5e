// Scanning a relying party's request QR (a clinic's or bank's signed CR2 request): ML Kit
// reads the code from CameraX frames — the core reads presentation QR codes, not arbitrary
// text — then the core checks the request (signature, registered party, expiry) and returns
// the consent prompt. A refused request is logged by the core and its reason shown here.
package vn.cancuoc.sample.ui

import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.material3.OutlinedButton
import androidx.compose.material3.OutlinedTextField
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.runtime.DisposableEffect
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.remember
import androidx.compose.runtime.rememberCoroutineScope
import androidx.compose.runtime.setValue
import androidx.compose.ui.Modifier
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.unit.dp
import java.util.concurrent.Executors
import java.util.concurrent.atomic.AtomicBoolean
import kotlinx.coroutines.launch
import vn.cancuoc.sample.R
import vn.cancuoc.sample.camera.qrTextAnalysis
import vn.cancuoc.sample.core.Problem

@Composable
fun ScanRequestScreen(onPrompt: () -> Unit, onBack: () -> Unit) {
    val core = LocalCore.current
    val scope = rememberCoroutineScope()
    val describe = rememberDescribe()
    var problem by remember { mutableStateOf<Problem?>(null) }
    var pasted by remember { mutableStateOf("") }
    val handling = remember { AtomicBoolean(false) }
    val executor = remember { Executors.newSingleThreadExecutor() }
    DisposableEffect(Unit) { onDispose { executor.shutdown() } }

    fun handle(text: String) {
        if (!handling.compareAndSet(false, true)) return
        scope.launch {
            problem = null
            runCatching { core.run { respond(text.trim()) } }
                .onSuccess {
                    core.pendingPrompt = it
                    onPrompt()
                }
                .onFailure { problem = describe(it) }
            handling.set(false)
        }
    }

    var lastSeen by remember { mutableStateOf("") }
    val analysis = remember {
        qrTextAnalysis(executor) { text ->
            // Each distinct code once: a refused request is not re-sent on every frame.
            if (text != lastSeen) {
                lastSeen = text
                scope.launch { handle(text) }
            }
        }
    }

    Screen(stringResource(R.string.scan_title), onBack = onBack) { padding ->
        Column(Modifier.fillMaxSize().padding(padding).padding(16.dp), verticalArrangement = Arrangement.spacedBy(8.dp)) {
            Text(stringResource(R.string.scan_hint))
            CameraView(analysis, Modifier.fillMaxWidth().weight(1f))
            ProblemText(problem)
            OutlinedTextField(
                pasted, { pasted = it },
                label = { Text(stringResource(R.string.scan_paste)) },
                singleLine = true, modifier = Modifier.fillMaxWidth(),
            )
            OutlinedButton(enabled = pasted.isNotBlank(), onClick = { handle(pasted) }) {
                Text(stringResource(R.string.scan_use_text))
            }
        }
    }
}
