#!/bin/sh
# Scenario 4's model command: writes ~4 MiB into the HF hub cache like a tiny model download.
set -eu
repo=${HF_HUB_CACHE:-${HF_HOME:-${XDG_CACHE_HOME:-$HOME/.cache}/huggingface}/hub}/models--a--b
commit=0123456789abcdef0123456789abcdef01234567
mkdir -p "$repo/blobs" "$repo/refs" "$repo/snapshots/$commit"
head -c 4194304 /dev/urandom > "$repo/blobs/weights"
echo '{"model_type": "bench"}' > "$repo/blobs/config"
printf %s "$commit" > "$repo/refs/main"
ln -s ../../blobs/weights "$repo/snapshots/$commit/model.safetensors"
ln -s ../../blobs/config "$repo/snapshots/$commit/config.json"
