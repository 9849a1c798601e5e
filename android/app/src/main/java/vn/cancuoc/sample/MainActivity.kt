// The single activity: secure window (no screenshots or recents thumbnails of documents and
// codes), the theme, the CoreRunner every screen calls the core through, the navigation
// between screens, the gate dialog, and the Vietnamese ⇄ English switch.
package vn.cancuoc.sample

import android.os.Bundle
import android.view.WindowManager
import androidx.activity.compose.setContent
import androidx.appcompat.app.AppCompatActivity
import androidx.appcompat.app.AppCompatDelegate
import androidx.compose.material3.Text
import androidx.compose.material3.TextButton
import androidx.compose.runtime.Composable
import androidx.compose.runtime.CompositionLocalProvider
import androidx.compose.runtime.LaunchedEffect
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.remember
import androidx.compose.runtime.setValue
import androidx.compose.ui.res.stringResource
import androidx.core.os.LocaleListCompat
import androidx.navigation.compose.NavHost
import androidx.navigation.compose.composable
import androidx.navigation.compose.rememberNavController
import vn.cancuoc.sample.ui.ActivationScreen
import vn.cancuoc.sample.ui.Busy
import vn.cancuoc.sample.ui.ConsentScreen
import vn.cancuoc.sample.ui.CoreRunner
import vn.cancuoc.sample.ui.DocumentsNav
import vn.cancuoc.sample.ui.DocumentsScreen
import vn.cancuoc.sample.ui.GateDialog
import vn.cancuoc.sample.ui.GrantsScreen
import vn.cancuoc.sample.ui.ImportScreen
import vn.cancuoc.sample.ui.LocalCore
import vn.cancuoc.sample.ui.LogScreen
import vn.cancuoc.sample.ui.PresentScreen
import vn.cancuoc.sample.ui.ProblemText
import vn.cancuoc.sample.ui.ScanRequestScreen
import vn.cancuoc.sample.ui.VerifierScreen
import vn.cancuoc.sample.ui.rememberDescribe
import vn.cancuoc.sample.ui.theme.CancuocTheme
import vn.cancuoc.sample.core.Problem

class MainActivity : AppCompatActivity() {
    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        window.setFlags(WindowManager.LayoutParams.FLAG_SECURE, WindowManager.LayoutParams.FLAG_SECURE)
        val core = CoreRunner(this, (application as SampleApp).service)
        setContent {
            CancuocTheme {
                CompositionLocalProvider(LocalCore provides core) {
                    App()
                    GateDialog(core)
                }
            }
        }
    }
}

private object Routes {
    const val START = "start"
    const val ACTIVATE = "activate"
    const val DOCUMENTS = "documents"
    const val PRESENT = "present/{id}"
    const val IMPORT = "import"
    const val SCAN = "scan"
    const val CONSENT = "consent"
    const val GRANTS = "grants"
    const val LOG = "log"
    const val VERIFIER = "verifier"

    fun present(id: String) = "present/$id"
}

@Composable
private fun App() {
    val nav = rememberNavController()
    val back: () -> Unit = { nav.popBackStack() }
    val switch: @Composable () -> Unit = { LanguageSwitch() }
    NavHost(nav, startDestination = Routes.START) {
        composable(Routes.START) {
            StartScreen(
                onActivated = { nav.navigate(Routes.DOCUMENTS) { popUpTo(Routes.START) { inclusive = true } } },
                onNew = { nav.navigate(Routes.ACTIVATE) { popUpTo(Routes.START) { inclusive = true } } },
            )
        }
        composable(Routes.ACTIVATE) {
            ActivationScreen(
                onActivated = { nav.navigate(Routes.DOCUMENTS) { popUpTo(Routes.ACTIVATE) { inclusive = true } } },
                languageSwitch = switch,
            )
        }
        composable(Routes.DOCUMENTS) {
            DocumentsScreen(
                DocumentsNav(
                    present = { nav.navigate(Routes.present(it)) },
                    add = { nav.navigate(Routes.IMPORT) },
                    scan = { nav.navigate(Routes.SCAN) },
                    grants = { nav.navigate(Routes.GRANTS) },
                    log = { nav.navigate(Routes.LOG) },
                    verifier = { nav.navigate(Routes.VERIFIER) },
                ),
                languageSwitch = switch,
            )
        }
        composable(Routes.PRESENT) { entry ->
            PresentScreen(entry.arguments?.getString("id").orEmpty(), onBack = back)
        }
        composable(Routes.IMPORT) { ImportScreen(onBack = back) }
        composable(Routes.SCAN) {
            ScanRequestScreen(
                onPrompt = { nav.navigate(Routes.CONSENT) { popUpTo(Routes.SCAN) { inclusive = true } } },
                onBack = back,
            )
        }
        composable(Routes.CONSENT) { ConsentScreen(onDone = back) }
        composable(Routes.GRANTS) { GrantsScreen(onBack = back) }
        composable(Routes.LOG) { LogScreen(onBack = back) }
        composable(Routes.VERIFIER) { VerifierScreen(onBack = back) }
    }
}

/** Opens the wallet and goes to the documents, or to activation when there is no account. */
@Composable
private fun StartScreen(onActivated: () -> Unit, onNew: () -> Unit) {
    val core = LocalCore.current
    val describe = rememberDescribe()
    var problem by remember { mutableStateOf<Problem?>(null) }
    LaunchedEffect(Unit) {
        runCatching { core.run { account() } }
            .onSuccess { if (it == null) onNew() else onActivated() }
            .onFailure { problem = describe(it) }
    }
    if (problem == null) Busy() else ProblemText(problem)
}

/** Switches the app between Vietnamese (default) and English; the activity is recreated. */
@Composable
private fun LanguageSwitch() {
    TextButton(onClick = {
        val english = appIsInEnglish()
        AppCompatDelegate.setApplicationLocales(LocaleListCompat.forLanguageTags(if (english) "vi" else "en"))
    }) { Text(stringResource(R.string.language_switch)) }
}

private fun appIsInEnglish(): Boolean {
    val chosen = AppCompatDelegate.getApplicationLocales()
    val locale = if (chosen.isEmpty) LocaleListCompat.getDefault()[0] else chosen[0]
    return locale?.language == "en"
}
