# Sourced by the benchmarks that time whole processes: installs hyperfine from Debian's
# packages when missing, builds desk in release mode and sets DESK to the binary — unless DESK
# names one already (a kept build, to time before and after a change in one way).
command -v hyperfine >/dev/null || {
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq hyperfine >/dev/null
}
if [ -z "${DESK:-}" ]; then
  cargo build --release -q
  DESK=$PWD/target/release/desk
fi
