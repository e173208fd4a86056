#Requires -Version 7.4
<#
.SYNOPSIS
    Builds ScanTools, stages the importable module in out/ScanTools, builds its help, and runs the tests.
.DESCRIPTION
    The build (dotnet build) stages out/ScanTools itself: assemblies, manifest, format and type files,
    and native SQLite for win-x64, win-arm64, linux-x64, linux-arm64, linux-musl-x64, osx-x64 and
    osx-arm64. When platyPS is installed, docs/help becomes external help in out/ScanTools/en-US.
    .ci/run does the same without PowerShell.
.EXAMPLE
    ./build.ps1                 # build, help, xunit and Pester
.EXAMPLE
    ./build.ps1 -Task Build     # just the importable module
#>
[CmdletBinding()]
param(
    [ValidateSet('Build', 'Test', 'All')]
    [string] $Task = 'All',

    [ValidateSet('Debug', 'Release')]
    [string] $Configuration = 'Release'
)

$ErrorActionPreference = 'Stop'
Set-Location $PSScriptRoot
$module = Join-Path $PSScriptRoot 'out/ScanTools'

dotnet build ScanTools.sln -c $Configuration
if ($LASTEXITCODE -ne 0) { throw "dotnet build failed ($LASTEXITCODE)." }

if (Get-Module -ListAvailable -Name platyPS) {
    Import-Module platyPS
    New-ExternalHelp -Path (Join-Path $PSScriptRoot 'docs/help') -OutputPath (Join-Path $module 'en-US') -Force | Out-Null
    Write-Host "Help built into $module/en-US"
}
else {
    Write-Warning 'platyPS is not installed, so Get-Help shows syntax only. Install-Module platyPS -Scope CurrentUser, then build again.'
}
Write-Host "Import with: Import-Module $module/ScanTools.psd1"

if ($Task -in 'Test', 'All') {
    dotnet test ScanTools.sln -c $Configuration --no-build
    $xunitFailed = $LASTEXITCODE -ne 0
    & (Join-Path $PSScriptRoot 'tests/pester/Invoke-PesterSuite.ps1') -ModulePath $module
    $pesterFailed = $LASTEXITCODE -ne 0
    if ($xunitFailed -or $pesterFailed) { throw 'Tests failed.' }
}
