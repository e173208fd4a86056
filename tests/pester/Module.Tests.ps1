# The ScanTools module as a whole: manifest, exports, help, format and type data, and removal.

BeforeDiscovery {
    $cmdletNames = @('Start-Scan', 'Get-Finding', 'Write-Finding', 'Get-ScanRun', 'Get-ScanError', 'Get-ScanSession')
    $cmdletClasses = @(
        @{ Name = 'Start-Scan'; Class = 'ScanTools.Commands.StartScanCommand' }
        @{ Name = 'Get-Finding'; Class = 'ScanTools.Commands.GetFindingCommand' }
        @{ Name = 'Write-Finding'; Class = 'ScanTools.Commands.WriteFindingCommand' }
        @{ Name = 'Get-ScanRun'; Class = 'ScanTools.Commands.GetScanRunCommand' }
        @{ Name = 'Get-ScanError'; Class = 'ScanTools.Commands.GetScanErrorCommand' }
        @{ Name = 'Get-ScanSession'; Class = 'ScanTools.Commands.GetScanSessionCommand' }
    )
    # Help is only there when the build produced it (MAML *-help.xml next to the module or in a culture folder).
    $discoveryManifest = if ($env:SCANTOOLS_TEST_MODULE) { $env:SCANTOOLS_TEST_MODULE } else { Join-Path $PSScriptRoot '../../out/ScanTools/ScanTools.psd1' }
    $discoveryModuleDir = if (Test-Path -LiteralPath $discoveryManifest -PathType Container) { $discoveryManifest } else { Split-Path -Parent $discoveryManifest }
    $helpBuilt = (Test-Path -LiteralPath $discoveryModuleDir) -and
        @(Get-ChildItem -LiteralPath $discoveryModuleDir -Recurse -File -ErrorAction SilentlyContinue | Where-Object { $_.Name -like '*-help.xml' }).Count -gt 0
}

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $modulePath = Get-ScanToolsTestModulePath
    Import-Module $modulePath -Force

    $catalogs = Join-Path $TestDrive 'catalogs'
    $trees = Join-Path $TestDrive 'trees'
    $null = New-Item -ItemType Directory -Path $catalogs, $trees -Force
    $expectedCmdlets = @('Start-Scan', 'Get-Finding', 'Write-Finding', 'Get-ScanRun', 'Get-ScanError', 'Get-ScanSession')
}

Describe 'The ScanTools manifest' {
    BeforeAll {
        $manifest = Import-PowerShellDataFile -LiteralPath $modulePath
    }

    It 'requires PowerShell 7.4' {
        $manifest.PowerShellVersion | Should -Be '7.4'
    }

    It 'declares the Core edition only' {
        @($manifest.CompatiblePSEditions) | Should -Be @('Core')
    }

    It 'loads the cmdlet assembly as its root module' {
        $manifest.RootModule | Should -Be 'ScanTools.Cmdlets.dll'
    }

    It 'lists exactly the six cmdlets by name, without wildcards' {
        Join-Sorted @($manifest.CmdletsToExport) | Should -Be (Join-Sorted $expectedCmdlets)
    }

    It 'exports no functions, variables or aliases' {
        @($manifest.FunctionsToExport) | Should -BeNullOrEmpty
        @($manifest.VariablesToExport) | Should -BeNullOrEmpty
        @($manifest.AliasesToExport) | Should -BeNullOrEmpty
    }

    It 'names format and type files that ship with the module' {
        $moduleDir = Split-Path -Parent $modulePath
        foreach ($file in @($manifest.FormatsToProcess) + @($manifest.TypesToProcess)) {
            Test-Path -LiteralPath (Join-Path $moduleDir $file) | Should -BeTrue -Because $file
        }
    }

    It 'passes Test-ModuleManifest' {
        $info = Test-ModuleManifest -Path $modulePath -ErrorAction Stop

        $info.Name | Should -Be 'ScanTools'
        $info.Version | Should -Be ([version]$manifest.ModuleVersion)
    }
}

Describe 'The imported ScanTools module' {
    BeforeAll {
        # Another block removes and re-imports the module; make sure it is here (without -Force: that would close sessions).
        Import-Module $modulePath
        $module = Get-Module -Name ScanTools
    }

    It 'is imported once, from the module under test' {
        @($module) | Should -HaveCount 1
        $module.ModuleBase | Should -Be (Split-Path -Parent $modulePath)
        $module.Version | Should -Be ([version](Import-PowerShellDataFile -LiteralPath $modulePath).ModuleVersion)
    }

    It 'exports exactly the six cmdlets' {
        Join-Sorted @($module.ExportedCmdlets.Keys) | Should -Be (Join-Sorted $expectedCmdlets)
        @(Get-Command -Module ScanTools) | Should -HaveCount 6
    }

    It 'exports no functions or aliases' {
        $module.ExportedFunctions.Count | Should -Be 0
        $module.ExportedAliases.Count | Should -Be 0
    }

    It 'finds <_> with Get-Command as a cmdlet of ScanTools' -ForEach $cmdletNames {
        $command = Get-Command -Name $_ -ErrorAction Stop

        $command.CommandType | Should -Be 'Cmdlet'
        $command.ModuleName | Should -Be 'ScanTools'
    }

    It 'implements <Name> with <Class> (the suffix of its FullyQualifiedErrorIds)' -ForEach $cmdletClasses {
        (Get-Command -Name $Name -ErrorAction Stop).ImplementingType.FullName | Should -Be $Class
    }

    It 'has a written synopsis for <_>' -ForEach $cmdletNames -Skip:(-not $helpBuilt) {
        $help = Get-Help -Name $_ -ErrorAction Stop

        $help.Synopsis | Should -Not -BeNullOrEmpty
        # Without help, PowerShell makes the synopsis from the syntax, which starts with the cmdlet name.
        $help.Synopsis.Trim() | Should -Not -Match ('^' + [regex]::Escape($_) + '\s')
    }

    It 'loads a view for <_>' -ForEach @(
        'ScanTools.Storage.Finding'
        'ScanTools.Scanning.FileRecord'
        'ScanTools.Storage.ScanRun'
        'ScanTools.Scanning.ScanError'
        'ScanTools.Sessions.SessionStatistics'
    ) {
        Get-FormatData -TypeName $_ | Should -Not -BeNullOrEmpty
    }

    It 'shows the Duration of a scan run as total hours, minutes and seconds (<Duration> as <Shown>)' -ForEach @(
        @{ Duration = [timespan]::new(0, 0, 0, 41); Shown = '0:00:41' }
        @{ Duration = [timespan]::new(0, 7, 14, 9); Shown = '7:14:09' }
        @{ Duration = [timespan]::new(1, 1, 3, 10); Shown = '25:03:10' }
    ) {
        # The view's own expression for the Duration column, applied to an object with that Duration.
        $table = @((Get-FormatData -TypeName 'ScanTools.Storage.ScanRun').FormatViewDefinition |
                Where-Object { $_.Control -is [System.Management.Automation.TableControl] })[0].Control
        $column = @($table.Headers.Label).IndexOf('Duration')
        $column | Should -BeGreaterOrEqual 0
        $entry = $table.Rows[0].Columns[$column].DisplayEntry
        $entry.ValueType | Should -Be 'ScriptBlock'

        $text = [pscustomobject]@{ Duration = $Duration } | ForEach-Object -Process ([scriptblock]::Create($entry.Value))

        $text | Should -BeExactly $Shown
    }

    It 'adds PSPath and LastWriteTime to <_>' -ForEach @(
        'ScanTools.Storage.Finding'
        'ScanTools.Scanning.FileRecord'
    ) {
        $typeData = Get-TypeData -TypeName $_

        $typeData | Should -Not -BeNullOrEmpty
        $typeData.Members.Keys | Should -Contain 'PSPath'
        $typeData.Members.Keys | Should -Contain 'LastWriteTime'
    }

    It 'adds ScanId to ScanTools.Storage.ScanRun' {
        (Get-TypeData -TypeName 'ScanTools.Storage.ScanRun').Members.Keys | Should -Contain 'ScanId'
    }

    Context 'formatting real objects' {
        BeforeAll {
            $formatRoot = Join-Path $trees 'format'
            $null = New-TestFile -Path (Join-Path $formatRoot 'kilobyte.bin') -Size 1024
            $null = New-TestFile -Path (Join-Path $formatRoot 'small.txt') -Content 'tiny'
            $formatDb = New-CatalogPath -Directory $catalogs
            $formatRun = Start-Scan -Path $formatRoot -Database $formatDb
        }

        It 'shows findings as a table with names and human-readable sizes' {
            $text = Get-Finding -Database $formatDb | Format-Table | Out-String -Width 300

            $text | Should -Match 'kilobyte\.bin'
            $text | Should -Match '1\.0 KB'
            $text | Should -Match 'small\.txt'
        }

        It 'shows scan runs as a table with their status and roots' {
            $text = Get-ScanRun -Database $formatDb | Format-Table | Out-String -Width 300

            $text | Should -Match 'Completed'
            $text | Should -Match ([regex]::Escape($formatRoot))
            # A run of well under an hour: hours without a leading zero, then minutes and seconds.
            $text | Should -Match '(?<![\d:])0:00:\d\d(?!\d)'
        }

        It 'shows error items as a table with their run, kind and path' {
            $errorsDb = New-CatalogPath -Directory $catalogs
            $missing = Join-Path $formatRoot 'not-there.txt'
            $missing | Write-Finding -Database $errorsDb -ErrorAction SilentlyContinue

            $text = Get-ScanError -Database $errorsDb | Format-Table | Out-String -Width 300

            $text | Should -Match 'ScanId'
            $text | Should -Match 'FileVanished'
            $text | Should -Match ([regex]::Escape($missing))
        }

        It 'shows a writer session as a table with its role, process and forwarding counters' {
            $sessionDb = New-CatalogPath -Directory $catalogs
            $lease = [ScanTools.Sessions.WriterSessionRegistry]::Shared.Acquire($sessionDb, $null, $null)
            try {
                $text = Get-ScanSession -Database $sessionDb | Format-Table | Out-String -Width 300
            }
            finally {
                $lease.Dispose()
            }

            $text | Should -Match 'Fwd/Ack/Resent'
            $text | Should -Match 'Writer'
            $text | Should -Match "\b$PID\b"
            $text | Should -Match '0/0/0'
        }
    }
}

Describe 'Removing and importing the module again' {
    BeforeAll {
        Import-Module $modulePath
        $removalRoot = Join-Path $trees 'removal'
        $null = New-TestTree -Path $removalRoot -Folders 2 -FilesPerFolder 3
        $removalCount = Get-TestFileCount -LiteralPath $removalRoot
    }

    BeforeEach {
        $lease = $null
        $job = $null
        Import-Module $modulePath
    }

    AfterEach {
        if ($null -ne $lease) {
            $lease.Dispose()
        }
        if ($null -ne $job) {
            Remove-Job -Job $job -Force
        }
        # Leave the module imported for the tests that follow, whatever happened.
        Import-Module $modulePath
    }

    It 'removes the cmdlets with Remove-Module and brings them back with Import-Module' {
        # Keep Get-Command from auto-loading a ScanTools that happens to be on $env:PSModulePath.
        $PSModuleAutoLoadingPreference = 'None'
        Remove-Module -Name ScanTools -ErrorAction Stop

        Get-Module -Name ScanTools | Should -BeNullOrEmpty
        Get-Command -Name Start-Scan -ErrorAction SilentlyContinue | Should -BeNullOrEmpty

        Import-Module $modulePath -ErrorAction Stop

        @(Get-Command -Module ScanTools) | Should -HaveCount 6
        Get-FormatData -TypeName 'ScanTools.Storage.Finding' | Should -Not -BeNullOrEmpty
    }

    It 'scans after being removed and imported again in the same session' {
        $db = New-CatalogPath -Directory $catalogs
        $before = Start-Scan -Path $removalRoot -Database $db
        $before.Status | Should -Be 'Completed'

        Remove-Module -Name ScanTools -ErrorAction Stop
        Import-Module $modulePath -ErrorAction Stop
        $after = Start-Scan -Path $removalRoot -Database $db

        $after.Status | Should -Be 'Completed'
        $after.Files | Should -Be $removalCount
        $after.Id | Should -BeGreaterThan $before.Id
        @(Get-Finding -Database $db) | Should -HaveCount $removalCount
    }

    It 'keeps the sessions of this runspace open when another runspace re-imports and removes the module' {
        $db = New-CatalogPath -Directory $catalogs
        # This runspace holds the session open; another runspace imports, re-imports with -Force and removes.
        $lease = [ScanTools.Sessions.WriterSessionRegistry]::Shared.Acquire($db, $null, $null)

        $other = 1 | ForEach-Object -Parallel {
            Import-Module $using:modulePath -ErrorAction Stop
            Import-Module $using:modulePath -Force -ErrorAction Stop
            Remove-Module -Name ScanTools -ErrorAction Stop
            'removed'
        }

        $other | Should -Be 'removed'
        $sessions = @(Get-ScanSession -Database $db)
        $sessions | Should -HaveCount 1
        $sessions[0].IsFaulted | Should -BeFalse
        { $lease.Flush() } | Should -Not -Throw
        $run = Start-Scan -Path $removalRoot -Database $db
        $run.Status | Should -Be 'Completed'
        $run.Files | Should -Be $removalCount
        @(Get-ScanSession -Database $db)[0].References | Should -Be 1
    }

    It 'commits and closes every session when the last runspace removes it, then writes through a new one (in a fresh process)' {
        # A Start-Job process imports the module in one runspace only, so its Remove-Module is the last one
        # there; in this process, runspaces of earlier tests may still count as having imported the module.
        $db = New-CatalogPath -Directory $catalogs
        $job = Start-Job -ScriptBlock {
            param([string] $ModulePath, [string] $Database, [string] $Root)
            $ErrorActionPreference = 'Stop'
            $ProgressPreference = 'SilentlyContinue'
            Import-Module $ModulePath
            # Hold the session open past the scan, so the removal is what closes it.
            $held = [ScanTools.Sessions.WriterSessionRegistry]::Shared.Acquire($Database, $null, $null)
            $first = Start-Scan -Path $Root -Database $Database
            $openBefore = @(Get-ScanSession -Database $Database).Count
            Remove-Module -Name ScanTools
            Import-Module $ModulePath
            $openAfter = @(Get-ScanSession -Database $Database).Count
            $flushError = ''
            try {
                $held.Flush()
            }
            catch {
                $flushError = $_.Exception.Message
            }
            $second = Start-Scan -Path $Root -Database $Database
            [pscustomobject]@{
                FirstStatus  = [string]$first.Status
                FirstFiles   = [long]$first.Files
                OpenBefore   = $openBefore
                OpenAfter    = $openAfter
                FlushError   = [string]$flushError
                SecondStatus = [string]$second.Status
                SecondFiles  = [long]$second.Files
                OpenAtEnd    = @(Get-ScanSession -Database $Database).Count
            }
        } -ArgumentList $modulePath, $db, $removalRoot

        $null = Wait-Job -Job $job -Timeout 180
        $job.State | Should -Be 'Completed' -Because (Get-TestJobFailure -Job $job)
        $result = @(Receive-Job -Job $job)

        $result | Should -HaveCount 1
        $r = $result[0]
        $r.FirstStatus | Should -Be 'Completed'
        $r.FirstFiles | Should -Be $removalCount
        $r.OpenBefore | Should -Be 1
        $r.OpenAfter | Should -Be 0 -Because 'removing the module from the last runspace closes every session'
        $r.FlushError | Should -BeLike '*closed*'
        $r.SecondStatus | Should -Be 'Completed'
        $r.SecondFiles | Should -Be $removalCount
        $r.OpenAtEnd | Should -Be 0
        @(Get-Finding -Database $db) | Should -HaveCount $removalCount
        $runs = @(Get-ScanRun -Database $db)
        $runs | Should -HaveCount 2
        @($runs | Where-Object { $_.Status -ne 'Completed' }) | Should -BeNullOrEmpty
    }
}
