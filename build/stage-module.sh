#!/usr/bin/env bash
# Builds the solution and stages the importable module in out/ScanTools without needing PowerShell.
# build.ps1 does the same for people with PowerShell (and adds external help when platyPS is present).
set -euo pipefail
cd "$(dirname "$0")/.."
configuration="${1:-Release}"
dotnet build ScanTools.sln -c "$configuration"
