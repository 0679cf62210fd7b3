#!/usr/bin/env bash
# The device run: kernels' correctness and speed on a lent GPU machine (no Node.js, no network).
# Needs the pack `npm run device:pack` writes (.device-pack/, sent with carry: [".device-pack"]).
# See scripts/device/README.md for the run call and how to read the outputs.
#
#   bash scripts/device/run.sh [--quick] [--tiny-only] [--no-kernels] [--no-generate] [--steps N]
#
# Env: OUT (output folder; the device sets it, else /tmp/oasis-device-out), OASIS_PACK (default
# .device-pack), OASIS_FORCE_DEBS=1 (use the packed Vulkan loader even where one is installed),
# OASIS_VK_DEBUG=1 (Vulkan loader logging, to see why no GPU adapter was found).
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
PACK=${OASIS_PACK:-.device-pack}
O=${OUT:-/tmp/oasis-device-out}
W=/tmp/oasis-device
QUICK= TINY= KERNELS=1 GENERATE=1 STEPS=64
die() { echo "run.sh: FAILED: $*" >&2; exit 1; }
while [ $# -gt 0 ]; do
	case $1 in
		--quick) QUICK=--quick; STEPS=16 ;;
		--tiny-only) TINY=--tiny-only ;;
		--no-kernels) KERNELS= ;;
		--no-generate) GENERATE= ;;
		--steps) STEPS=${2:?--steps needs a number}; shift ;;
		-h | --help) sed -n '2,10p' "$0"; exit 0 ;;
		*) die "unknown option $1 (see --help)" ;;
	esac
	shift
done
mkdir -p "$O" || die "cannot create the output folder $O"
step() { echo; echo "=== $* ($(date -u +%T))"; }

main() {
	step "unpack $PACK into $W"
	[ -f "$PACK/manifest.json" ] || die "$PACK/manifest.json is missing: run 'npm run device:pack' on the dev machine and pass carry: [\"$PACK\"] to the run call"
	for t in xz tee; do command -v $t >/dev/null || die "'$t' is not installed here"; done
	rm -rf "$W" && mkdir -p "$W/root" || die "cannot write $W"
	xz -dc "$PACK/node.xz" >"$W/node" && chmod +x "$W/node" || die "cannot unpack $PACK/node.xz"
	xz -dc "$PACK/dawn.node.xz" >"$W/dawn.node" || die "cannot unpack $PACK/dawn.node.xz"
	for f in "$PACK"/bundles/*.mjs.xz; do b=${f##*/}; xz -dc "$f" >"$W/${b%.xz}" || die "cannot unpack $f"; done
	NODE=$W/node
	V=$("$NODE" --version) || die "the packed node does not run here (x86-64 glibc Linux with libstdc++ needed)"
	echo "node $V"
	export OASIS_DAWN_NODE=$W/dawn.node OASIS_CACHE_DIR=$W/cache

	# Vulkan: the loader from the pack where the system has none; NVIDIA's ICD where the driver has one.
	if [ -n "${OASIS_FORCE_DEBS:-}" ] || ! ldconfig -p 2>/dev/null | grep -q 'libvulkan\.so\.1'; then
		command -v dpkg-deb >/dev/null || die "no libvulkan.so.1 here and no dpkg-deb to unpack $PACK/debs"
		for f in "$PACK"/debs/*.deb; do dpkg-deb -x "$f" "$W/root" || die "cannot unpack $f"; done
		export LD_LIBRARY_PATH=$W/root/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
		echo "Vulkan loader: packed ($(ls "$W"/root/usr/lib/x86_64-linux-gnu/libvulkan.so.1.* | sed 's/.*so\.1\.//'))"
	else
		echo "Vulkan loader: system's"
	fi
	for d in /usr/local/nvidia/lib64 /usr/local/nvidia/lib; do [ -d $d ] && export LD_LIBRARY_PATH=${LD_LIBRARY_PATH:+$LD_LIBRARY_PATH:}$d; done
	for f in /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json /usr/share/vulkan/icd.d/nvidia_icd.json /etc/vulkan/icd.d/nvidia_icd.json; do
		[ -f "$f" ] && [ -z "${VK_DRIVER_FILES:-}" ] && export VK_DRIVER_FILES=$f
	done
	e=/usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json
	[ -f $e ] && export __EGL_VENDOR_LIBRARY_FILENAMES=${__EGL_VENDOR_LIBRARY_FILENAMES:-$e}
	[ -n "${OASIS_VK_DEBUG:-}" ] && export VK_LOADER_DEBUG=error,warn,driver
	echo "VK_DRIVER_FILES=${VK_DRIVER_FILES:-(unset: default search)}"

	step "GPU"
	EXPECT=
	if command -v nvidia-smi >/dev/null && nvidia-smi -L >"$O/nvidia-smi.txt" 2>&1; then
		EXPECT=nvidia
		cat "$O/nvidia-smi.txt"
		nvidia-smi --query-gpu=name,memory.total,clocks.max.sm,clocks.max.mem,driver_version --format=csv | tee -a "$O/nvidia-smi.txt"
	else
		echo "no NVIDIA GPU (nvidia-smi absent or failed): expecting a software adapter" | tee "$O/nvidia-smi.txt"
	fi
	"$NODE" "$W/smoke.mjs" --gpu >"$O/gpu.json" || { cat "$O/gpu.json"; die "Dawn found no WebGPU adapter; rerun with OASIS_VK_DEBUG=1 to see what the Vulkan loader tried"; }
	cat "$O/gpu.json"
	LABEL=gpu
	if grep -q '"isCpu":true' "$O/gpu.json"; then
		LABEL=software
		if [ -n "$EXPECT" ]; then
			LABEL=SOFTWARE-FALLBACK
			echo "!!! EXPECTED THE NVIDIA GPU, GOT A SOFTWARE ADAPTER: every figure below is CPU speed, not the GPU's."
			echo "!!! Check VK_DRIVER_FILES / the NVIDIA ICD (OASIS_VK_DEBUG=1). Running on, labelled $LABEL."
		else
			echo "(software adapter, as expected without a GPU: figures are for the pipeline, not the aims)"
		fi
	elif [ -n "$EXPECT" ] && ! grep -qi nvidia "$O/gpu.json"; then
		LABEL=NOT-NVIDIA
		echo "!!! nvidia-smi sees an NVIDIA GPU but Dawn chose another adapter (above). Running on, labelled $LABEL."
	fi

	FAILED=
	step "[$LABEL] smoke: oasis generate (--temperature 0 --json --logits, $STEPS steps) vs float64 reference"
	"$NODE" "$W/smoke.mjs" --steps "$STEPS" | tee "$O/smoke.jsonl" || { FAILED="$FAILED smoke"; echo "!!! SMOKE FAILED: \"ok\":false lines above mean the kernels disagree with the float64 reference on this adapter"; }
	if [ -n "$KERNELS" ]; then
		step "[$LABEL] bench:kernels $QUICK"
		"$NODE" "$W/kernels.bench.mjs" $QUICK | tee "$O/kernels.txt" || FAILED="$FAILED bench:kernels"
	fi
	if [ -n "$GENERATE" ]; then
		step "[$LABEL] bench:generate $QUICK $TINY"
		"$NODE" "$W/generate.bench.mjs" $QUICK $TINY | tee "$O/generate.jsonl" || FAILED="$FAILED bench:generate"
	fi
	step "done [$LABEL]"
	[ -z "$FAILED" ] || die "failed:$FAILED"
	case $LABEL in
		gpu) echo "all steps passed on the GPU; outputs in $O: $(cd "$O" && echo *)" ;;
		software) echo "all steps passed on a software adapter (no GPU here); outputs in $O: $(cd "$O" && echo *)" ;;
		*) die "all steps ran, but on the wrong adapter ($LABEL): the figures are not the GPU's" ;;
	esac
}

main 2>&1 | tee "$O/run.log"
exit "${PIPESTATUS[0]}"
