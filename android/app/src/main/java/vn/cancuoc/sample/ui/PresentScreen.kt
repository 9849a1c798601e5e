// Presenting a document: the citizen ticks what to share (the always-disclosed elements are
// fixed), the core signs a 60-second QR (after the gate and, when due, the Keystore prompt),
// and the screen draws it with a visible countdown; at zero the code is hidden.
package vn.cancuoc.sample.ui

import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.lazy.LazyColumn
import androidx.compose.foundation.lazy.items
import androidx.compose.material3.Button
import androidx.compose.material3.Checkbox
import androidx.compose.material3.LinearProgressIndicator
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedButton
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.runtime.LaunchedEffect
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableLongStateOf
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.remember
import androidx.compose.runtime.rememberCoroutineScope
import androidx.compose.runtime.setValue
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.unit.dp
import kotlinx.coroutines.delay
import kotlinx.coroutines.launch
import vn.cancuoc.core.DocumentDetail
import vn.cancuoc.core.PresentedQr
import vn.cancuoc.sample.R
import vn.cancuoc.sample.core.Display
import vn.cancuoc.sample.core.Problem

@Composable
fun PresentScreen(documentId: String, onBack: () -> Unit) {
    val core = LocalCore.current
    val scope = rememberCoroutineScope()
    val describe = rememberDescribe()
    var detail by remember { mutableStateOf<DocumentDetail?>(null) }
    var selection by remember { mutableStateOf(emptySet<String>()) }
    var qr by remember { mutableStateOf<PresentedQr?>(null) }
    var problem by remember { mutableStateOf<Problem?>(null) }
    var busy by remember { mutableStateOf(false) }
    var expired by remember { mutableStateOf(false) }

    LaunchedEffect(documentId) {
        runCatching { core.run { document(documentId) } }
            .onSuccess {
                detail = it
                selection = Display.initialSelection(it.card.kind, it.elements)
            }
            .onFailure { problem = describe(it) }
    }

    fun present() {
        val d = detail ?: return
        scope.launch {
            busy = true
            problem = null
            expired = false
            runCatching { core.run { presentQr(documentId, Display.chosen(d.elements, selection)) } }
                .onSuccess { qr = it }
                .onFailure { problem = describe(it) }
            busy = false
        }
    }

    Screen(detail?.card?.title ?: stringResource(R.string.present_title), onBack = onBack) { padding ->
        Column(Modifier.fillMaxSize().padding(padding).padding(16.dp), verticalArrangement = Arrangement.spacedBy(12.dp)) {
            val shown = qr
            val d = detail
            ProblemText(problem)
            when {
                shown != null -> QrWithCountdown(
                    shown,
                    onExpired = {
                        qr = null
                        expired = true
                    },
                    onAgain = { qr = null },
                )
                d == null -> if (problem == null) Busy()
                else -> {
                    if (expired) Text(stringResource(R.string.present_expired), color = MaterialTheme.colorScheme.error)
                    Text(stringResource(R.string.present_choose), style = MaterialTheme.typography.titleMedium)
                    LazyColumn(Modifier.weight(1f)) {
                        items(d.elements, key = { it.identifier }) { e ->
                            Row(verticalAlignment = Alignment.CenterVertically) {
                                Checkbox(
                                    checked = e.identifier in selection,
                                    enabled = e.selectable,
                                    onCheckedChange = { on ->
                                        selection = if (on) selection + e.identifier else selection - e.identifier
                                    },
                                )
                                Column {
                                    Text(e.label, style = MaterialTheme.typography.bodyLarge)
                                    Text(
                                        if (e.selectable) e.value else "${e.value} · ${stringResource(R.string.present_always)}",
                                        style = MaterialTheme.typography.bodySmall,
                                    )
                                }
                            }
                        }
                    }
                    Button(
                        enabled = !busy && selection.isNotEmpty(),
                        onClick = { present() },
                        modifier = Modifier.fillMaxWidth(),
                    ) { Text(stringResource(R.string.present_make_qr)) }
                }
            }
        }
    }
}

@Composable
private fun QrWithCountdown(qr: PresentedQr, onExpired: () -> Unit, onAgain: () -> Unit) {
    val lifetime = remember(qr) { Display.secondsLeft(qr.expiresUnix, System.currentTimeMillis()).coerceAtLeast(1) }
    var left by remember(qr) { mutableLongStateOf(lifetime) }
    LaunchedEffect(qr) {
        while (true) {
            left = Display.secondsLeft(qr.expiresUnix, System.currentTimeMillis())
            if (left == 0L) {
                onExpired()
                break
            }
            delay(250)
        }
    }
    Column(horizontalAlignment = Alignment.CenterHorizontally, verticalArrangement = Arrangement.spacedBy(12.dp)) {
        QrCode(qr.matrix, stringResource(R.string.present_qr_description), Modifier.padding(8.dp))
        Text(
            stringResource(R.string.present_expires_in, Display.countdown(left)),
            style = MaterialTheme.typography.headlineMedium,
        )
        LinearProgressIndicator(progress = { Display.fractionLeft(left, lifetime) }, modifier = Modifier.fillMaxWidth())
        Text(stringResource(R.string.present_shared, qr.disclosed.size))
        Text(stringResource(R.string.present_hint), style = MaterialTheme.typography.bodySmall)
        OutlinedButton(onClick = onAgain) { Text(stringResource(R.string.present_again)) }
    }
}
