#!/usr/bin/env bash
# Builds libcancuoc_ffi.so for the three Android ABIs the app ships (arm64-v8a, armeabi-v7a,
# x86_64) with cargo-ndk, into cancuoc/src/main/jniLibs/<abi>/, where the Gradle library
# module packages them from. Run it before the first Gradle build and after any Rust change.
#
# Needs: rustup, the Android NDK (ANDROID_NDK_HOME, or Android Studio's SDK Manager → NDK,
# found by cargo-ndk under ANDROID_HOME/ndk/<version>), and cargo-ndk:
#   rustup target add aarch64-linux-android armv7-linux-androideabi x86_64-linux-android
#   cargo install cargo-ndk --locked
#
# Usage: android/build-native.sh [--debug]   (release by default: the debug core is slow —
# PBKDF2 alone takes seconds)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
profile=release
[ "${1:-}" = "--debug" ] && profile=dev
# The app's minSdk: the C parts (SQLite, ring) are compiled for this API level.
platform=26
out="$here/cancuoc/src/main/jniLibs"

command -v cargo-ndk >/dev/null || { echo "build-native: install cargo-ndk (cargo install cargo-ndk --locked)" >&2; exit 1; }
for t in aarch64-linux-android armv7-linux-androideabi x86_64-linux-android; do
  rustup target list --installed | grep -qx "$t" || { echo "build-native: rustup target add $t" >&2; exit 1; }
done

cd "$root"
rm -rf "$out"
cargo ndk --platform "$platform" -t arm64-v8a -t armeabi-v7a -t x86_64 -o "$out" \
  build --locked -p cancuoc-ffi --profile "$profile"

# cargo-ndk copies every cdylib of the package; keep only ours, and say what was built.
for abi in arm64-v8a armeabi-v7a x86_64; do
  lib="$out/$abi/libcancuoc_ffi.so"
  [ -f "$lib" ] || { echo "build-native: $lib is missing" >&2; exit 1; }
  printf 'build-native: %-12s %s (%s bytes)\n' "$abi" "${lib#"$root"/}" "$(wc -c <"$lib" | tr -d ' ')"
done
