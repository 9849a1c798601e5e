// The activity log: every disclosure, refusal, grant and revocation, newest first, with whether
// the log's hash chain verifies, and an export of the log as JSON for the citizen to keep.
package vn.cancuoc.sample.ui

import android.content.Intent
import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.lazy.LazyColumn
import androidx.compose.foundation.lazy.items
import androidx.compose.material3.Card
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.Text
import androidx.compose.material3.TextButton
import androidx.compose.runtime.Composable
import androidx.compose.runtime.LaunchedEffect
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.remember
import androidx.compose.runtime.rememberCoroutineScope
import androidx.compose.runtime.setValue
import androidx.compose.ui.Modifier
import androidx.compose.ui.platform.LocalContext
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.unit.dp
import kotlinx.coroutines.launch
import vn.cancuoc.core.AuditEntry
import vn.cancuoc.sample.R
import vn.cancuoc.sample.core.Display
import vn.cancuoc.sample.core.Problem

@Composable
fun LogScreen(onBack: () -> Unit) {
    val core = LocalCore.current
    val context = LocalContext.current
    val scope = rememberCoroutineScope()
    val describe = rememberDescribe()
    var entries by remember { mutableStateOf<List<AuditEntry>?>(null) }
    var integrity by remember { mutableStateOf<Result<ULong>?>(null) }
    var problem by remember { mutableStateOf<Problem?>(null) }

    LaunchedEffect(Unit) {
        runCatching { core.run { log() } }
            .onSuccess { (list, check) ->
                entries = list
                integrity = check
            }
            .onFailure { problem = describe(it) }
    }

    Screen(
        stringResource(R.string.log_title),
        onBack = onBack,
        actions = {
            TextButton(onClick = {
                scope.launch {
                    runCatching { core.run { exportLogJson() } }
                        .onSuccess { json ->
                            val send = Intent(Intent.ACTION_SEND).setType("application/json").putExtra(Intent.EXTRA_TEXT, json)
                            context.startActivity(Intent.createChooser(send, null))
                        }
                        .onFailure { problem = describe(it) }
                }
            }) { Text(stringResource(R.string.log_export)) }
        },
    ) { padding ->
        Column(Modifier.fillMaxSize().padding(padding).padding(16.dp), verticalArrangement = Arrangement.spacedBy(8.dp)) {
            ProblemText(problem)
            integrity?.let { r ->
                r.fold(
                    onSuccess = { n -> Text(stringResource(R.string.log_intact, n.toLong()), color = MaterialTheme.colorScheme.primary) },
                    onFailure = { e -> Text(stringResource(R.string.log_broken, describe(e).text), color = MaterialTheme.colorScheme.error) },
                )
            }
            val list = entries
            when {
                list == null -> if (problem == null) Busy()
                list.isEmpty() -> Text(stringResource(R.string.log_empty))
                else -> LazyColumn(verticalArrangement = Arrangement.spacedBy(8.dp)) {
                    items(list, key = { it.seq }) { e -> EntryCard(e) }
                }
            }
        }
    }
}

@Composable
private fun EntryCard(e: AuditEntry) {
    Card(Modifier.fillMaxWidth()) {
        Column(Modifier.padding(12.dp), verticalArrangement = Arrangement.spacedBy(2.dp)) {
            Text("${outcomeText(e.outcome)} · ${e.requester}", style = MaterialTheme.typography.titleSmall)
            Text("${Display.dateTime(e.timeUnix)} · ${channelText(e.channel)} · ${e.document}", style = MaterialTheme.typography.bodySmall)
            if (e.disclosed.isNotEmpty()) Text(stringResource(R.string.log_shared, e.disclosed.joinToString(", ")))
            if (e.retained.isNotEmpty()) Text(stringResource(R.string.log_retained, e.retained.joinToString(", ")), style = MaterialTheme.typography.bodySmall)
            e.onBehalfOf?.let { Text(stringResource(R.string.log_on_behalf, it), style = MaterialTheme.typography.bodySmall) }
            e.reason?.let { Text(it, style = MaterialTheme.typography.bodySmall) }
        }
    }
}

@Composable
private fun outcomeText(outcome: String): String = when (outcome) {
    "disclosed" -> stringResource(R.string.outcome_disclosed)
    "refused" -> stringResource(R.string.outcome_refused)
    "granted" -> stringResource(R.string.outcome_granted)
    "revoked" -> stringResource(R.string.outcome_revoked)
    "failed" -> stringResource(R.string.outcome_failed)
    else -> outcome
}

@Composable
private fun channelText(channel: String): String = when (channel) {
    "static_qr" -> stringResource(R.string.channel_static_qr)
    "challenge_qr" -> stringResource(R.string.channel_challenge_qr)
    "device_response" -> stringResource(R.string.channel_device_response)
    "online_grant" -> stringResource(R.string.channel_online_grant)
    else -> channel
}
