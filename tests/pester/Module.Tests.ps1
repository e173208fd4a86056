# The ScanTools module as a whole: manifest, exports, help, format and type data, and removal.

BeforeDiscovery {
    $cmdletNames = @('Start-Scan', 'Get-Finding', 'Write-Finding', 'Get-ScanRun', 'Get-ScanError', 'Get-ScanSession',
        'Register-ScanSchedule', 'Get-ScanSchedule', 'Unregister-ScanSchedule', 'Get-ScanChange', 'Find-DuplicateFile',
        'Get-FindingMatch', 'Export-FindingMatch', 'Export-FindingBaseline', 'Get-ScanRule', 'Start-ScanConsumer',
        'Optimize-ScanCatalog', 'Backup-ScanCatalog', 'Measure-ScanFolder', 'Measure-ScanFile', 'Export-ScanReport')
    $cmdletClasses = @(
        @{ Name = 'Start-Scan'; Class = 'ScanTools.Commands.StartScanCommand' }
        @{ Name = 'Get-Finding'; Class = 'ScanTools.Commands.GetFindingCommand' }
        @{ Name = 'Write-Finding'; Class = 'ScanTools.Commands.WriteFindingCommand' }
        @{ Name = 'Get-ScanRun'; Class = 'ScanTools.Commands.GetScanRunCommand' }
        @{ Name = 'Get-ScanError'; Class = 'ScanTools.Commands.GetScanErrorCommand' }
        @{ Name = 'Get-ScanSession'; Class = 'ScanTools.Commands.GetScanSessionCommand' }
        @{ Name = 'Register-ScanSchedule'; Class = 'ScanTools.Commands.RegisterScanScheduleCommand' }
        @{ Name = 'Get-ScanSchedule'; Class = 'ScanTools.Commands.GetScanScheduleCommand' }
        @{ Name = 'Unregister-ScanSchedule'; Class = 'ScanTools.Commands.UnregisterScanScheduleCommand' }
        @{ Name = 'Get-ScanChange'; Class = 'ScanTools.Commands.GetScanChangeCommand' }
        @{ Name = 'Find-DuplicateFile'; Class = 'ScanTools.Commands.FindDuplicateFileCommand' }
        @{ Name = 'Get-FindingMatch'; Class = 'ScanTools.Commands.GetFindingMatchCommand' }
        @{ Name = 'Export-FindingMatch'; Class = 'ScanTools.Commands.ExportFindingMatchCommand' }
        @{ Name = 'Export-FindingBaseline'; Class = 'ScanTools.Commands.ExportFindingBaselineCommand' }
        @{ Name = 'Get-ScanRule'; Class = 'ScanTools.Commands.GetScanRuleCommand' }
        @{ Name = 'Start-ScanConsumer'; Class = 'ScanTools.Commands.StartScanConsumerCommand' }
        @{ Name = 'Optimize-ScanCatalog'; Class = 'ScanTools.Commands.OptimizeScanCatalogCommand' }
        @{ Name = 'Backup-ScanCatalog'; Class = 'ScanTools.Commands.BackupScanCatalogCommand' }
    )
    # What each page in docs/help promises, for the Get-Help tests below (the help is built from these pages).
    $docs = Join-Path $PSScriptRoot '../../docs/help'
    $helpPages = foreach ($name in $cmdletNames) {
        $text = Get-Content -Raw -LiteralPath (Join-Path $docs "$name.md")
        @{
            Name     = $name
            Synopsis = ([regex]::Match($text, '## SYNOPSIS\s+(.+?)\r?\n\r?\n', 'Singleline').Groups[1].Value -replace '\s+', ' ').Trim()
            Examples = [regex]::Matches($text, '(?m)^### (Example \d+.*)$') | ForEach-Object { $_.Groups[1].Value.Trim() }
            Links    = [regex]::Matches($text.Substring($text.IndexOf('## RELATED LINKS')), '\[([^\]]+)\]\(') | ForEach-Object { $_.Groups[1].Value }
        }
    }
}

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $modulePath = Get-ScanToolsTestModulePath
    Import-Module $modulePath -Force

    $catalogs = Join-Path $TestDrive 'catalogs'
    $trees = Join-Path $TestDrive 'trees'
    $null = New-Item -ItemType Directory -Path $catalogs, $trees -Force
    $expectedCmdlets = @('Start-Scan', 'Get-Finding', 'Write-Finding', 'Get-ScanRun', 'Get-ScanError', 'Get-ScanSession',
        'Register-ScanSchedule', 'Get-ScanSchedule', 'Unregister-ScanSchedule', 'Get-ScanChange', 'Find-DuplicateFile',
        'Get-FindingMatch', 'Export-FindingMatch', 'Export-FindingBaseline', 'Get-ScanRule', 'Start-ScanConsumer',
        'Optimize-ScanCatalog', 'Backup-ScanCatalog', 'Measure-ScanFolder', 'Measure-ScanFile', 'Export-ScanReport')
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

    It 'lists exactly its cmdlets by name, without wildcards' {
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

    It 'exports exactly its cmdlets' {
        Join-Sorted @($module.ExportedCmdlets.Keys) | Should -Be (Join-Sorted $expectedCmdlets)
        @(Get-Command -Module ScanTools) | Should -HaveCount $expectedCmdlets.Count
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

    It 'resolves the engine types by name in scripts ([ScanTools.Storage.ScanRun], enums)' {
        [ScanTools.Storage.ScanRun].FullName | Should -Be 'ScanTools.Storage.ScanRun'
        [ScanTools.Storage.Durability]::Full | Should -Be 'Full'
        (Get-Command Write-Finding).Parameters['Durability'].ParameterType | Should -Be ([ScanTools.Storage.Durability])
    }

    It 'maps every error kind and catalog error code once, to a category of its own (never NotSpecified) and a distinct id' {
        $map = [ScanTools.Commands.ErrorRecords]
        $kinds = [enum]::GetValues([ScanTools.Scanning.ScanErrorKind])
        $codes = [enum]::GetValues([ScanTools.Storage.CatalogErrorCode])

        foreach ($k in $kinds) { $map::CategoryOf($k) | Should -Not -Be 'NotSpecified' -Because "kind $k needs a category" }
        foreach ($c in $codes) { $map::CategoryOf($c) | Should -Not -Be 'NotSpecified' -Because "code $c needs a category" }
        $ids = @($kinds | ForEach-Object { $map::IdOf($_) }) + @($codes | ForEach-Object { $map::IdOf($_) })
        @($ids | Sort-Object -Unique) | Should -HaveCount $ids.Count
        $map::IdOf([ScanTools.Scanning.ScanErrorKind]::NotAFile) | Should -Be 'NotAFile'
        $map::IdOf([ScanTools.Storage.CatalogErrorCode]::ReadOnly) | Should -Be 'CatalogReadOnly'
        $map::CategoryOf([ScanTools.Scanning.ScanErrorKind]::DirectoryUnreadable) | Should -Be 'PermissionDenied'
    }

    It 'loads the engine and SQLite into its own load context, and only the cmdlet assembly into the default one' {
        Write-Finding -InputObject $PSCommandPath -Database (New-CatalogPath -Directory $catalogs) # loads SQLite
        $loaded = [AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { $_.GetName().Name -match '^(ScanTools\.|Microsoft\.Data\.Sqlite$|SQLitePCLRaw\.)' }
        $contexts = @{}
        foreach ($a in $loaded) { $contexts[$a.GetName().Name] = [System.Runtime.Loader.AssemblyLoadContext]::GetLoadContext($a).Name }

        $contexts['ScanTools.Cmdlets'] | Should -Be 'Default'
        $contexts['ScanTools.Engine'] | Should -Be 'ScanTools'
        $contexts['Microsoft.Data.Sqlite'] | Should -Be 'ScanTools'
        $contexts['SQLitePCLRaw.core'] | Should -Be 'ScanTools'
    }
}

Describe 'Get-Help' {
    It 'shows the written synopsis and description of <Name>' -ForEach $helpPages {
        $help = Get-Help -Name $Name -Full -ErrorAction Stop

        ($help.Synopsis -replace '\s+', ' ').Trim() | Should -Be $Synopsis
        @($help.description).Count | Should -BeGreaterThan 0
        (@($help.description.Text) -join ' ').Length | Should -BeGreaterThan 100
    }

    It 'describes every parameter of <Name>' -ForEach $helpPages {
        $help = Get-Help -Name $Name -Full -ErrorAction Stop
        # Everything but the common parameters; WhatIf and Confirm are documented where a cmdlet has them.
        $common = [System.Management.Automation.PSCmdlet]::CommonParameters + 'UseTransaction'
        $parameters = (Get-Command -Name $Name).Parameters.Keys | Where-Object { $_ -notin $common }
        $helped = @{}
        foreach ($p in @($help.parameters.parameter)) { $helped[$p.name] = (@($p.description.Text) -join ' ') }

        foreach ($p in $parameters) {
            $helped.ContainsKey($p) | Should -BeTrue -Because "-$p of $Name needs help"
            $helped[$p].Length | Should -BeGreaterThan 10 -Because "-$p of $Name needs a description"
        }
        $helped.Keys | Where-Object { $_ -notin $parameters } | Should -BeNullOrEmpty -Because 'help must not describe parameters the cmdlet lacks'
    }

    It 'lists every value an enum parameter of <Name> accepts, and no other' -ForEach $helpPages {
        $text = Get-Content -Raw -LiteralPath (Join-Path $PSScriptRoot "../../docs/help/$Name.md")
        $blocks = [regex]::Matches($text, '(?ms)^### -(\w+)\r?\n.*?```yaml(.*?)```')
        foreach ($b in $blocks) {
            $parameter = (Get-Command -Name $Name).Parameters[$b.Groups[1].Value]
            $type = if ($parameter.ParameterType.IsArray) { $parameter.ParameterType.GetElementType() } else { $parameter.ParameterType }
            if (-not $type.IsEnum) { continue }
            $listed = [regex]::Match($b.Groups[2].Value, 'Accepted values: *(.+)').Groups[1].Value.Trim() -split ', *' | Sort-Object
            $listed | Should -Be ([enum]::GetNames($type) | Sort-Object) -Because "the help of -$($b.Groups[1].Value) of $Name lists its values"
        }
    }

    It 'shows every example of <Name>, each with its code' -ForEach $helpPages {
        $help = Get-Help -Name $Name -Examples -ErrorAction Stop
        $shown = @($help.examples.example)

        $shown | Should -HaveCount @($Examples).Count
        for ($i = 0; $i -lt $shown.Count; $i++) {
            $shown[$i].title | Should -Match ([regex]::Escape($Examples[$i]))
            $shown[$i].code | Should -Not -BeNullOrEmpty
        }
    }

    It 'lists the related links of <Name>' -ForEach $helpPages {
        $help = Get-Help -Name $Name -Full -ErrorAction Stop

        @($help.relatedLinks.navigationLink.linkText) | Should -Be @($Links)
        @($Links).Count | Should -BeGreaterThan 0
    }

    It 'shows the syntax of <Name> with its parameters' -ForEach $helpPages {
        $text = Get-Help -Name $Name | Out-String -Width 200

        $text | Should -Match 'SYNTAX'
        # A parameter with DontShow (a piped object's own parameter, such as -InputObject) is never in the syntax.
        $shown = (Get-Command -Name $Name).ParameterSets[0].Parameters | Where-Object {
            $_.Name -notin [System.Management.Automation.PSCmdlet]::CommonParameters -and
            -not ($_.Attributes | Where-Object { $_ -is [System.Management.Automation.ParameterAttribute] -and $_.DontShow })
        }
        foreach ($p in $shown | Select-Object -First 3) {
            $text | Should -Match ([regex]::Escape("-$($p.Name)"))
        }
    }

    It 'shows the about_ScanTools topic' {
        $text = Get-Help -Name about_ScanTools -ErrorAction Stop | Out-String

        $text | Should -Match 'SHORT DESCRIPTION'
        $text | Should -Match 'THE SINGLE-WRITER MODEL'
        $text | Should -Match 'Start-Scan walks folders in parallel'
    }
}

Describe 'Format and type data of the module' {
    It 'loads a view for <_>' -ForEach @(
        'ScanTools.Storage.Finding'
        'ScanTools.Scanning.FileRecord'
        'ScanTools.Storage.ScanRun'
        'ScanTools.Scanning.ScanError'
        'ScanTools.Sessions.SessionStatistics'
        'ScanTools.Scheduling.ScanSchedule'
        'ScanTools.Rules.FindingMatch'
        'ScanTools.Rules.ScanRule'
        'ScanTools.Remote.RemoteStatistics'
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

    It 'gives <_> the PSPath, LastWriteTime, Mode and UnixMode that file cmdlets and Get-ChildItem users expect' -ForEach @(
        'ScanTools.Storage.Finding'
        'ScanTools.Scanning.FileRecord'
    ) {
        $names = ([type]$_).GetProperties().Name

        foreach ($p in 'PSPath', 'LastWriteTime', 'Mode', 'UnixMode', 'UnixFileMode') { $names | Should -Contain $p }
    }

    It 'gives scan runs ScanId, Database and ExitCode, and ships no type data file (a second copy imports cleanly)' {
        $names = [ScanTools.Storage.ScanRun].GetProperties().Name

        foreach ($p in 'ScanId', 'Database', 'ExitCode') { $names | Should -Contain $p }
        (Import-PowerShellDataFile -LiteralPath $modulePath).TypesToProcess | Should -BeNullOrEmpty
        Get-TypeData -TypeName 'ScanTools.Storage.ScanRun' | Should -BeNullOrEmpty
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

        It 'fits error items and sessions in 80 columns, wrapping paths and messages instead of cutting them' {
            $errorsDb = New-CatalogPath -Directory $catalogs
            $missing = Join-Path $formatRoot 'a-file-name-long-enough-to-need-wrapping-at-eighty-columns.txt'
            $missing | Write-Finding -Database $errorsDb -ErrorAction SilentlyContinue
            $lease = [ScanTools.Sessions.WriterSessionRegistry]::Shared.Acquire($errorsDb, $null, $null)
            try {
                $sessionText = Get-ScanSession -Database $errorsDb | Out-String -Width 80
            }
            finally {
                $lease.Dispose()
            }
            $errorText = Get-ScanError -Database $errorsDb | Out-String -Width 80

            foreach ($text in $errorText, $sessionText) {
                $text -split "`r?`n" | Where-Object { $_.Length -gt 80 } | Should -BeNullOrEmpty
                $text | Should -Not -Match '…'
            }
            # The Path column, read back across its wrapped lines, is the whole path.
            $lines = @($errorText -split "`r?`n" | Where-Object { $_.Trim() })
            $header = $lines[0]
            $from = $header.IndexOf('Path')
            $to = $header.IndexOf('Message')
            $cells = $lines | Select-Object -Skip 2 | ForEach-Object { if ($_.Length -gt $from) { $_.Substring($from, [math]::Min($to, $_.Length) - $from).Trim() } }
            -join $cells | Should -Be $missing
            $sessionText | Should -Match 'Writer'
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

        @(Get-Command -Module ScanTools) | Should -HaveCount $expectedCmdlets.Count
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

Describe 'Importing a second copy of the module' {
    It 'imports another copy, and the same copy with -Force, without errors, and still scans' {
        $copy = Join-Path $TestDrive 'second-copy/ScanTools'
        $null = New-Item -ItemType Directory -Path $copy -Force
        Copy-Item -Path (Join-Path (Split-Path -Parent $modulePath) '*') -Destination $copy -Recurse
        $tree = Join-Path $trees 'second-copy'
        $files = New-TestTree -Path $tree -Folders 1 -FilesPerFolder 2
        $db = New-CatalogPath -Directory $catalogs
        $script = {
            param($first, $second, $tree, $db)
            $ErrorActionPreference = 'Stop'
            Import-Module $first
            Import-Module $second
            Import-Module $second -Force
            Import-Module $first -Force
            "scan: $((Start-Scan -Path $tree -Database $db).Files)"
        }.ToString()

        $result = Invoke-TestPwsh -Script "& { $script } @args" -ArgumentList $modulePath, (Join-Path $copy 'ScanTools.psd1'), $tree, $db

        $result.ExitCode | Should -Be 0 -Because ($result.Output -join "`n")
        $result.Output | Should -Be @("scan: $files")
    }
}

Describe 'Dependency isolation: another module with another SQLite in the same session' {
    BeforeAll {
        # "Another module": SQLitePCLRaw 2.1.11 and Microsoft.Data.Sqlite 8.0.30 (restored by
        # tests/pester/tools/PesterTools.csproj), loaded with Add-Type into PowerShell's default context,
        # with its own native SQLite next to its assemblies.
        $packages = Get-NuGetPackageFolder
        $otherModule = Join-Path $TestDrive 'other-module'
        $null = New-Item -ItemType Directory -Path $otherModule -Force
        $rid = if ($IsWindows) { 'win-x64' } elseif ($IsMacOS) { "osx-$([System.Runtime.InteropServices.RuntimeInformation]::ProcessArchitecture.ToString().ToLowerInvariant())" } else { "linux-$([System.Runtime.InteropServices.RuntimeInformation]::ProcessArchitecture.ToString().ToLowerInvariant())" }
        $sources = @(
            "sqlitepclraw.core/2.1.11/lib/netstandard2.0/SQLitePCLRaw.core.dll"
            "sqlitepclraw.provider.e_sqlite3/2.1.11/lib/net6.0/SQLitePCLRaw.provider.e_sqlite3.dll"
            "sqlitepclraw.bundle_e_sqlite3/2.1.11/lib/netstandard2.0/SQLitePCLRaw.batteries_v2.dll"
            "microsoft.data.sqlite.core/8.0.30/lib/net8.0/Microsoft.Data.Sqlite.dll"
        )
        foreach ($s in $sources) { Copy-Item -LiteralPath (Join-Path $packages $s) -Destination $otherModule }
        Get-ChildItem -LiteralPath (Join-Path $packages "sqlitepclraw.lib.e_sqlite3/2.1.11/runtimes/$rid/native") -File |
            Copy-Item -Destination $otherModule

        # Runs in a fresh pwsh: loads the other module before or after ScanTools, scans, and uses both.
        $script = {
            param($modulePath, $otherModule, $tree, $db, $order)
            $ErrorActionPreference = 'Stop'
            function Import-Other {
                foreach ($n in 'SQLitePCLRaw.core', 'SQLitePCLRaw.provider.e_sqlite3', 'SQLitePCLRaw.batteries_v2', 'Microsoft.Data.Sqlite') {
                    Add-Type -Path (Join-Path $otherModule "$n.dll")
                }
            }
            function Use-Other {
                $c = [Microsoft.Data.Sqlite.SqliteConnection]::new('Data Source=:memory:')
                $c.Open()
                $cmd = $c.CreateCommand()
                $cmd.CommandText = 'select sqlite_version()'
                "other: Microsoft.Data.Sqlite $([Microsoft.Data.Sqlite.SqliteConnection].Assembly.GetName().Version), SQLite $($cmd.ExecuteScalar())"
                $c.Dispose()
            }
            if ($order -eq 'OtherFirst') { Import-Other; Use-Other }
            Import-Module $modulePath
            $run = Start-Scan -Path $tree -Database $db
            "scan: $($run.Status) $($run.Files)"
            if ($order -eq 'ScanToolsFirst') { Import-Other }
            Use-Other
            "found: $(@(Get-Finding -Database $db).Count)"
        }.ToString()
        $tree = Join-Path $trees 'isolation'
        $fileCount = New-TestTree -Path $tree -Folders 2 -FilesPerFolder 5
    }

    It 'imports, scans and queries with the other module loaded first, and the other module keeps working' {
        $db = New-CatalogPath -Directory $catalogs
        $result = Invoke-TestPwsh -Script "& { $script } @args" -ArgumentList $modulePath, $otherModule, $tree, $db, 'OtherFirst'

        $result.ExitCode | Should -Be 0 -Because ($result.Output -join "`n")
        $result.Output | Should -Contain "scan: Completed $fileCount"
        $result.Output | Should -Contain "found: $fileCount"
        @($result.Output -like 'other: Microsoft.Data.Sqlite 8.0.30.0, SQLite *') | Should -HaveCount 2
    }

    It 'lets the other module load and work after ScanTools was imported and scanned' {
        $db = New-CatalogPath -Directory $catalogs
        $result = Invoke-TestPwsh -Script "& { $script } @args" -ArgumentList $modulePath, $otherModule, $tree, $db, 'ScanToolsFirst'

        $result.ExitCode | Should -Be 0 -Because ($result.Output -join "`n")
        $result.Output | Should -Contain "scan: Completed $fileCount"
        $result.Output | Should -Contain "found: $fileCount"
        @($result.Output -like 'other: Microsoft.Data.Sqlite 8.0.30.0, SQLite *') | Should -HaveCount 1
    }
}
