// The consent prompt: who asks (the party's registered name and who certified it), why, from
// which document, each element with whether the party keeps it — the citizen shares the ticked
// ones, all, or declines. The answer is a QR the party scans (encrypted to it when asked) or,
// for standing consent, a grant; either way the core logged it before returning.
package vn.cancuoc.sample.ui

import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.rememberScrollState
import androidx.compose.foundation.verticalScroll
import androidx.compose.material3.Button
import androidx.compose.material3.Checkbox
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedButton
import androidx.compose.material3.Text
import androidx.compose.material3.TextButton
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
import vn.cancuoc.core.Answer
import vn.cancuoc.core.Approval
import vn.cancuoc.core.ConsentPrompt
import vn.cancuoc.sample.R
import vn.cancuoc.sample.core.Display
import vn.cancuoc.sample.core.Problem

@Composable
fun ConsentScreen(onDone: () -> Unit) {
    val core = LocalCore.current
    val prompt = core.pendingPrompt
    if (prompt == null) {
        LaunchedEffect(Unit) { onDone() }
        return
    }
    val scope = rememberCoroutineScope()
    val describe = rememberDescribe()
    var selection by remember(prompt.id) {
        mutableStateOf(prompt.elements.filter { it.available }.map { it.identifier }.toSet())
    }
    var answer by remember(prompt.id) { mutableStateOf<Answer?>(null) }
    var problem by remember(prompt.id) { mutableStateOf<Problem?>(null) }
    var busy by remember(prompt.id) { mutableStateOf(false) }

    fun send(approval: Approval) {
        scope.launch {
            busy = true
            problem = null
            runCatching { core.run { answer(prompt.id, approval) } }
                .onSuccess { answer = it }
                .onFailure { problem = describe(it) }
            busy = false
        }
    }

    val finish = {
        core.pendingPrompt = null
        onDone()
    }

    Screen(stringResource(R.string.consent_title), onBack = finish) { padding ->
        Column(
            Modifier.fillMaxSize().padding(padding).padding(16.dp).verticalScroll(rememberScrollState()),
            verticalArrangement = Arrangement.spacedBy(10.dp),
        ) {
            when (val a = answer) {
                null -> PromptBody(prompt, selection, { selection = it })
                is Answer.Presentation -> {
                    Text(stringResource(R.string.consent_answer_title, prompt.partyName), style = MaterialTheme.typography.titleMedium)
                    AnswerQr(a)
                }
                is Answer.Grant -> Text(
                    stringResource(R.string.consent_grant_done, prompt.partyName, Display.date(a.grant.expiresUnix)),
                    style = MaterialTheme.typography.titleMedium,
                )
                Answer.Declined -> Text(stringResource(R.string.consent_declined))
            }
            ProblemText(problem)
            if (answer == null) {
                Button(
                    enabled = !busy && selection.isNotEmpty(),
                    onClick = { send(Approval.Some(prompt.elements.map { it.identifier }.filter { it in selection })) },
                    modifier = Modifier.fillMaxWidth(),
                ) { Text(stringResource(R.string.consent_share_selected)) }
                OutlinedButton(enabled = !busy, onClick = { send(Approval.All) }, modifier = Modifier.fillMaxWidth()) {
                    Text(stringResource(R.string.consent_share_all))
                }
                TextButton(enabled = !busy, onClick = { send(Approval.Decline) }, modifier = Modifier.fillMaxWidth()) {
                    Text(stringResource(R.string.consent_decline))
                }
            } else {
                Button(onClick = finish, modifier = Modifier.fillMaxWidth()) { Text(stringResource(R.string.action_close)) }
            }
        }
    }
}

@Composable
private fun PromptBody(prompt: ConsentPrompt, selection: Set<String>, onSelection: (Set<String>) -> Unit) {
    Text(stringResource(R.string.consent_from, prompt.partyName), style = MaterialTheme.typography.titleLarge)
    Text(stringResource(R.string.consent_certified, prompt.certifiedBy), style = MaterialTheme.typography.bodySmall)
    Text(stringResource(R.string.consent_purpose, prompt.purpose))
    Text(stringResource(R.string.consent_document, stringResource(kindName(prompt.document)), prompt.holderName))
    for (e in prompt.elements) {
        Row(verticalAlignment = Alignment.CenterVertically) {
            Checkbox(
                checked = e.identifier in selection,
                enabled = e.available,
                onCheckedChange = { on -> onSelection(if (on) selection + e.identifier else selection - e.identifier) },
            )
            Column {
                Text(e.label)
                if (e.retain) Text(stringResource(R.string.consent_retain), color = MaterialTheme.colorScheme.error, style = MaterialTheme.typography.bodySmall)
                if (!e.available) Text(stringResource(R.string.consent_unavailable), style = MaterialTheme.typography.bodySmall)
            }
        }
    }
    if (prompt.encrypted) Text(stringResource(R.string.consent_encrypted), style = MaterialTheme.typography.bodySmall)
    prompt.standingUntilUnix?.let { Text(stringResource(R.string.consent_standing, Display.date(it)), color = MaterialTheme.colorScheme.error) }
    Text(stringResource(R.string.consent_expires, Display.dateTime(prompt.requestExpiresUnix)), style = MaterialTheme.typography.bodySmall)
}

@Composable
private fun AnswerQr(a: Answer.Presentation) {
    var left by remember(a) { mutableLongStateOf(Display.secondsLeft(a.qr.expiresUnix, System.currentTimeMillis())) }
    LaunchedEffect(a) {
        while (left > 0) {
            delay(250)
            left = Display.secondsLeft(a.qr.expiresUnix, System.currentTimeMillis())
        }
    }
    if (left > 0) {
        QrCode(a.qr.matrix, stringResource(R.string.present_qr_description))
        Text(stringResource(R.string.present_expires_in, Display.countdown(left)), style = MaterialTheme.typography.headlineSmall)
    } else {
        Text(stringResource(R.string.present_expired))
    }
}
