// The certificates the wallet and the verifier trust, read from the app's assets:
// trust/issuers.pem (IACA roots and Document Signers) and trust/relying-parties.pem (the
// registry CA of relying parties). The build copies them from the directories named in
// app/build.gradle.kts; a production build ships the real issuing authority's and registry's.
package vn.cancuoc.sample.core

import android.content.Context

class TrustAssets(val issuers: String, val relyingParties: String) {
    companion object {
        fun load(context: Context): TrustAssets {
            fun read(name: String) = context.assets.open("trust/$name").use { it.readBytes().toString(Charsets.UTF_8) }
            return TrustAssets(read("issuers.pem"), read("relying-parties.pem"))
        }
    }
}
