// Gradle settings of the cancuoc Android project: where plugins and libraries come from, and
// the two modules — `cancuoc` (the core's Kotlin bindings, native libraries and the Android
// Keystore key store) and `app` (the Jetpack Compose sample wallet and verifier).
pluginManagement {
    repositories {
        google()
        mavenCentral()
        gradlePluginPortal()
    }
}

dependencyResolutionManagement {
    repositoriesMode.set(RepositoriesMode.FAIL_ON_PROJECT_REPOS)
    repositories {
        google()
        mavenCentral()
    }
}

rootProject.name = "cancuoc-android"
include(":cancuoc", ":app")
