#!/usr/bin/env bash
# Builds the Rust core (crate cancuoc-ffi) as a static library for iOS devices, the iOS
# simulator (Apple silicon and Intel, joined with lipo) and macOS (for `swift test`, likewise
# joined), and assembles ios/CancuocFFI.xcframework with the generated C header and module
# map from ios/Sources/CancuocFFI/include. Run on a Mac with Xcode before `swift build`.
#
# Needs: Xcode (xcodebuild, lipo), rustup with
#   rustup target add aarch64-apple-ios aarch64-apple-ios-sim x86_64-apple-ios \
#     aarch64-apple-darwin x86_64-apple-darwin
#
# Usage: ios/build-xcframework.sh [--debug]   (release by default; the debug core is slow)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
profile=release
dir=release
if [ "${1:-}" = "--debug" ]; then profile=dev; dir=debug; fi
lib=libcancuoc_ffi.a
out="$here/CancuocFFI.xcframework"
work="$root/target/xcframework"
export IPHONEOS_DEPLOYMENT_TARGET=15.0
export MACOSX_DEPLOYMENT_TARGET=12.0

targets=(aarch64-apple-ios aarch64-apple-ios-sim x86_64-apple-ios aarch64-apple-darwin x86_64-apple-darwin)
installed=$(rustup target list --installed)
for t in "${targets[@]}"; do
  grep -qx "$t" <<<"$installed" || { echo "build-xcframework: rustup target add $t" >&2; exit 1; }
done
[ -f "$here/Sources/CancuocFFI/include/CancuocFFI.h" ] || {
  echo "build-xcframework: no generated header — run bindings/generate first" >&2; exit 1; }

cd "$root"
for t in "${targets[@]}"; do
  echo "build-xcframework: cargo build --target $t ($profile)"
  cargo build --locked -p cancuoc-ffi --lib --profile "$profile" --target "$t"
done

rm -rf "$work" "$out"
mkdir -p "$work/ios-simulator" "$work/macos" "$work/headers"
lipo -create "target/aarch64-apple-ios-sim/$dir/$lib" "target/x86_64-apple-ios/$dir/$lib" \
  -output "$work/ios-simulator/$lib"
lipo -create "target/aarch64-apple-darwin/$dir/$lib" "target/x86_64-apple-darwin/$dir/$lib" \
  -output "$work/macos/$lib"
# The header and the module map (module CancuocFFI) travel in each slice's Headers folder.
cp "$here/Sources/CancuocFFI/include/CancuocFFI.h" "$here/Sources/CancuocFFI/include/module.modulemap" \
  "$work/headers/"

xcodebuild -create-xcframework \
  -library "target/aarch64-apple-ios/$dir/$lib" -headers "$work/headers" \
  -library "$work/ios-simulator/$lib" -headers "$work/headers" \
  -library "$work/macos/$lib" -headers "$work/headers" \
  -output "$out"
echo "build-xcframework: wrote ${out#"$root"/}"
