#!/bin/sh
# The "model command" the bench runs under `mlpack discover --runner local`: it puts a pre-generated HF hub cache
# where huggingface_hub would download it (same variable precedence), as a download would, file by file.
# usage: copy-cache.sh <bench/data/src> <small-repo variant>
set -eu
src=$1 variant=$2
hub=${HF_HUB_CACHE:-${HF_HOME:-${XDG_CACHE_HOME:-$HOME/.cache}/huggingface}/hub}
mkdir -p "$hub"
cp -a "$src/hub/." "$hub/"
cp -a "$src/small-v$variant/." "$hub/"
