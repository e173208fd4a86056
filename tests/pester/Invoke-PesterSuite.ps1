<#
.SYNOPSIS
Runs the ScanTools Pester suite against a staged module and prints one summary line.

.DESCRIPTION
.ci/run calls:  pwsh -NoProfile -NonInteractive -File tests/pester/Invoke-PesterSuite.ps1 -ModulePath out/ScanTools
Ensures Pester 5 is available, points the tests at the module (via $env:SCANTOOLS_TEST_MODULE), runs every
*.Tests.ps1 in this folder, writes NUnit XML to out/pester-results.xml (if it can) and ends with exactly one line
    PESTER passed=<n> failed=<n>
where failed counts failed tests, failed blocks (a BeforeAll that threw) and failed containers (a file that
could not be discovered), so a broken file is never silently ignored. Exit code 0 only when nothing failed.

.PARAMETER ModulePath
The folder holding ScanTools.psd1 (or the manifest itself). Relative paths start at the current location.
Default: out/ScanTools in the repository.
#>
[CmdletBinding()]
param(
    [string] $ModulePath = (Join-Path $PSScriptRoot '../../out/ScanTools')
)

# The test files run in scopes below this one and must see PowerShell's defaults whoever calls this
# script (build.ps1 calls it in-process with $ErrorActionPreference = 'Stop'): otherwise non-terminating
# errors would change meaning inside the tests. Progress bars only add noise to CI logs.
$ErrorActionPreference = 'Continue'
$ProgressPreference = 'SilentlyContinue'
Set-StrictMode -Off

function Write-Summary([int] $Passed, [int] $Failed) {
    Write-Host "PESTER passed=$Passed failed=$Failed"
}

$repoRoot = [IO.Path]::GetFullPath((Join-Path $PSScriptRoot '../..'))

# 1. Pester 5: an installed one (5.5 or later, not 6), else the NuGet package's (restored by
#    tests/pester/tools/PesterTools.csproj; the PowerShell Gallery is not needed).
function Find-NuGetPester {
    $root = $env:NUGET_PACKAGES
    if (-not $root) {
        $listed = dotnet nuget locals global-packages --list 2>$null | Select-Object -First 1
        if ($listed -match 'global-packages:\s*(.+)$') { $root = $Matches[1].Trim() }
    }
    if (-not $root) { $root = Join-Path $HOME '.nuget/packages' }
    $manifest = Join-Path $root 'pester/5.9.1/tools/Pester.psd1'
    if (Test-Path -LiteralPath $manifest) { return $manifest }
    return $null
}

$pester = Get-Module Pester -ListAvailable | Where-Object { $_.Version -ge [version]'5.5.0' -and $_.Version.Major -eq 5 } |
    Sort-Object Version -Descending | Select-Object -First 1
if (-not $pester) {
    $manifest = Find-NuGetPester
    if (-not $manifest) {
        Write-Host 'Pester 5 is not installed; restoring Pester 5.9.1 from NuGet (tests/pester/tools/PesterTools.csproj).'
        dotnet restore (Join-Path $PSScriptRoot 'tools/PesterTools.csproj') | Out-Host
        $manifest = Find-NuGetPester
    }
    $pester = $manifest
}
if (-not $pester) {
    Write-Host 'Pester 5 is required and could not be found or restored from NuGet (dotnet restore tests/pester/tools/PesterTools.csproj). The ScanTools Pester suite did not run.'
    Write-Summary 0 1
    exit 1
}
$pester = Import-Module $pester -PassThru -Force
Write-Host "Using Pester $($pester.Version) from $($pester.ModuleBase)"

# 2. The module under test.
$manifest = $ModulePath
if (Test-Path -LiteralPath $manifest -PathType Container) {
    $manifest = Join-Path $manifest 'ScanTools.psd1'
}
if (-not (Test-Path -LiteralPath $manifest -PathType Leaf)) {
    Write-Host "No ScanTools.psd1 at '$ModulePath'. Build first (dotnet build ScanTools.sln stages the module in out/ScanTools)."
    Write-Summary 0 1
    exit 1
}
$env:SCANTOOLS_TEST_MODULE = (Resolve-Path -LiteralPath $manifest).ProviderPath
Write-Host "Testing the module at $env:SCANTOOLS_TEST_MODULE"

# 3. Run.
$outDir = Join-Path $repoRoot 'out'
$null = New-Item -ItemType Directory -Path $outDir -Force

$config = New-PesterConfiguration
$config.Run.Path = $PSScriptRoot
$config.Run.PassThru = $true
$config.Run.Exit = $false
$config.Output.Verbosity = 'Detailed'
# The NUnit XML is written after the run, on its own: Pester's own writer threw on a failure message holding a control
# character (an ESC of a colored error), and that one failure turned the whole run into "no result" (passed=0).
$config.TestResult.Enabled = $false

try {
    $result = Invoke-Pester -Configuration $config
}
catch {
    Write-Host "Invoke-Pester failed: $_"
    Write-Summary 0 1
    exit 1
}
if (-not $result) {
    Write-Host 'Invoke-Pester returned no result.'
    Write-Summary 0 1
    exit 1
}

try {
    Export-NUnitReport -Result $result -Path (Join-Path $outDir 'pester-results.xml')
}
catch {
    Write-Host "The NUnit report (out/pester-results.xml) could not be written: $_. The counts below stand."
}

$passed = [int]$result.PassedCount
$failed = [int]$result.FailedCount + [int]$result.FailedBlocksCount + [int]$result.FailedContainersCount
if ($result.TotalCount -eq 0) {
    Write-Host 'No tests were discovered; counting that as a failure.'
    $failed++
}
Write-Summary $passed $failed
if ($failed -gt 0) { exit 1 } else { exit 0 }
