#!/usr/bin/env bash
# Installs the archiver and everything it needs on a Debian/Ubuntu machine: the system libraries that
# WeasyPrint loads and the tools the tests use (Apache PDFBox Preflight for PDF/A-1b on a Java runtime,
# poppler's pdftoppm for the visual checks), then the package itself (editable, with its test tools).
# Safe to run again. Set ARCHIVER_SKIP_APT=1 to skip the Debian packages (e.g. without root).
set -euo pipefail
cd "$(dirname "$0")"

PYTHON=${PYTHON:-python3}
DEBIAN_PACKAGES=(
  libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0                       # WeasyPrint
  default-jre-headless libpdfbox2-java libactivation-java libjaxb-api-java   # PDFBox Preflight (tests)
  poppler-utils libnss3-tools                                                  # pdftoppm, pdfsig + certutil (tests)
  softhsm2                                                                    # a PKCS#11 token (tests)
)

missing=()
if [ "${ARCHIVER_SKIP_APT:-0}" != 1 ] && command -v dpkg-query >/dev/null; then
  for pkg in "${DEBIAN_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "install.sh: installing Debian packages: ${missing[*]}" >&2
  sudo_cmd=()
  [ "$(id -u)" = 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

"$PYTHON" -m pip install --quiet --disable-pip-version-check -e ".[test]"
echo "install.sh: archiver $("$PYTHON" -c 'import archiver; print(archiver.__version__)') installed" >&2
