# Exit codes: real `pwsh -File` scripts written the way about_ScanTools (EXIT CODES) tells a scheduled
# script to be written, a trap that maps the error that stopped a command with
# [ScanTools.Hosting.ScanExitCodes]::ForException, and `exit [int]$run.ExitCode` after a run.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Get-ScanToolsTestModulePath) -Force
    $modulePath = Get-ScanToolsTestModulePath
    $catalogs = Join-Path $TestDrive 'catalogs'
    $trees = Join-Path $TestDrive 'trees'
    $null = New-Item -ItemType Directory -Path $catalogs, $trees -Force

    # The table of about_ScanTools, EXIT CODES: the numbers a scheduler sees, by name.
    $about = Get-Content -Raw -LiteralPath (Join-Path $PSScriptRoot '../../docs/help/about_ScanTools.md')
    $table = [regex]::Match($about, '(?s)### EXIT CODES.*?```\r?\n(.*?)```').Groups[1].Value
    $documented = @{}
    foreach ($m in [regex]::Matches($table, '(?m)^(\d+)\s+(\w+)\s')) {
        $documented[$m.Groups[2].Value] = [int]$m.Groups[1].Value
    }

    # The documented pattern: the trap first, then the module, then the command.
    function Invoke-ScheduledScript {
        param([Parameter(Mandatory)] [string] $Body, [object[]] $ArgumentList = @(), $User)
        $script = "trap { exit [ScanTools.Hosting.ScanExitCodes]::ForException(`$_.Exception) }`nImport-Module `$args[0]`n$Body"
        $modulePathForChild = if ($User) { $User.ModulePath } else { $modulePath }
        Invoke-TestPwsh -Script $script -ArgumentList (@($modulePathForChild) + $ArgumentList) -User $User
    }

    $tree = Join-Path $trees 'plain'
    $fileCount = New-TestTree -Path $tree -Folders 2 -FilesPerFolder 3

    # A tree with a link back to its root: with -FollowSymlink, one SymlinkLoop error item (also as root).
    $loop = Join-Path $trees 'loop'
    $null = New-TestFile -Path (Join-Path $loop 'a/f.txt') -Content 'f'
    if (-not $IsWindows) {
        $null = New-Item -ItemType SymbolicLink -Path (Join-Path $loop 'a/back') -Target $loop
    }

    # A catalog with one scan, for the reading commands.
    $scanned = New-CatalogPath -Directory $catalogs
    $null = Start-Scan -Path $tree -Database $scanned
}

Describe 'The documented exit codes' {
    It 'are the values of [ScanTools.Hosting.ScanExitCode]' {
        $documented.Count | Should -BeGreaterOrEqual 6 -Because 'about_ScanTools lists 0, 2, 3, 4, 5 and 6'
        foreach ($name in $documented.Keys) {
            [int][ScanTools.Hosting.ScanExitCode]$name | Should -Be $documented[$name] -Because $name
        }
        [enum]::GetNames([ScanTools.Hosting.ScanExitCode]) | Sort-Object | Should -Be ($documented.Keys | Sort-Object)
    }
}

Describe 'A scan run ends the script with its ExitCode' {
    It 'exits <Expected> when the run is <Status>' -Skip:$IsWindows -ForEach @(
        @{ Status = 'Completed'; Expected = 'Completed'; Arguments = '-Path $args[1]'; Root = 'plain' }
        @{ Status = 'Completed with error items'; Expected = 'CompletedWithErrors'; Arguments = '-Path $args[1] -FollowSymlink -ErrorAction SilentlyContinue'; Root = 'loop' }
    ) {
        $db = New-CatalogPath -Directory $catalogs

        $result = Invoke-ScheduledScript -Body "exit [int](Start-Scan $Arguments -Database `$args[2]).ExitCode" -ArgumentList (Join-Path $trees $Root), $db

        $run = Get-ScanRun -Database $db -Last 1
        $run.ExitCode | Should -Be $Expected
        $result.ExitCode | Should -Be ([int]$run.ExitCode) -Because ($result.Output -join "`n")
        $result.ExitCode | Should -Be $documented[$Expected]
    }

    It 'exits Cancelled (4), the code of the run it stopped, when -ErrorAction Stop stops the scan at an error item' -Skip:$IsWindows {
        $db = New-CatalogPath -Directory $catalogs

        $result = Invoke-ScheduledScript -Body 'Start-Scan -Path $args[1] -Database $args[2] -FollowSymlink -ErrorAction Stop' -ArgumentList $loop, $db

        $run = Get-ScanRun -Database $db -Last 1
        $run.Status | Should -Be 'Cancelled'
        $run.Message | Should -BeLike 'Stopped at the error item SymlinkLoop of *'
        $result.ExitCode | Should -Be ([int]$run.ExitCode) -Because ($result.Output -join "`n")
        $result.ExitCode | Should -Be $documented['Cancelled']
    }

    It 'exits Cancelled (4) when $ErrorActionPreference = Stop stops Write-Finding at an input it cannot record' {
        $db = New-CatalogPath -Directory $catalogs
        $missing = Join-Path $TestDrive 'no-such-file.txt'
        $present = (Get-ChildItem -LiteralPath $tree -File -Recurse | Select-Object -First 1).FullName

        $result = Invoke-ScheduledScript -Body '$ErrorActionPreference = "Stop"; $args[1], $args[2] | Write-Finding -Database $args[3]' -ArgumentList $present, $missing, $db

        $run = Get-ScanRun -Database $db -Last 1
        $run.Status | Should -Be 'Cancelled'
        $result.ExitCode | Should -Be ([int]$run.ExitCode) -Because ($result.Output -join "`n")
        $result.ExitCode | Should -Be $documented['Cancelled']
    }
}

Describe 'An error that stops a command ends the script with its code' {
    It 'exits <Expected> for <Case>' -ForEach @(
        @{ Case = 'NoFolderToScan'; Expected = 'BadArguments'; Body = 'Start-Scan -Path (Join-Path $args[1] "missing") -Database $args[2] -ErrorAction SilentlyContinue' }
        @{ Case = 'a folder not found, with -ErrorAction Stop (PathNotFound)'; Expected = 'BadArguments'; Body = 'Start-Scan -Path (Join-Path $args[1] "missing"), $args[1] -Database $args[2] -ErrorAction Stop' }
        @{ Case = 'a file given as a folder, with -ErrorAction Stop (PathIsFile)'; Expected = 'BadArguments'; Body = 'Start-Scan -Path (Get-ChildItem -LiteralPath $args[1] -File -Recurse)[0].FullName, $args[1] -Database $args[2] -ErrorAction Stop' }
        @{ Case = 'a path of another provider, with -ErrorAction Stop (InvalidPath)'; Expected = 'BadArguments'; Body = 'Start-Scan -Path "Env:\PATH", $args[1] -Database $args[2] -ErrorAction Stop' }
        @{ Case = 'InvalidScanOptions'; Expected = 'BadArguments'; Body = 'Start-Scan -Path $args[1] -Database $args[2] -Exclude "a["' }
        @{ Case = 'InvalidCatalogPath'; Expected = 'BadArguments'; Body = 'Start-Scan -Path $args[1] -Database "Env:\PATH"' }
        @{ Case = 'a parameter value PowerShell rejects'; Expected = 'BadArguments'; Body = 'Start-Scan -Path $args[1] -Database $args[2] -ThrottleLimit 0' }
        @{ Case = 'a value that is not of the parameter''s type (an enum name mistyped)'; Expected = 'BadArguments'; Body = 'Start-Scan -Path $args[1] -Database $args[2] -Durability Bogus' }
        @{ Case = 'a rejected value, caught and thrown again'; Expected = 'BadArguments'; Body = 'try { $p = @{ Path = $args[1]; Database = $args[2]; ThrottleLimit = 1000 }; Start-Scan @p } catch { throw }' }
        @{ Case = 'Get-ScanChange of a run the catalog does not hold (InvalidFilter)'; Expected = 'BadArguments'; Body = 'Get-ScanChange -Database $args[3] -ScanId 999 -ErrorAction Stop' }
        @{ Case = 'Get-Finding -Removed -IncludeRemoved (ConflictingStateFilters)'; Expected = 'BadArguments'; Body = 'Get-Finding -Database $args[3] -Removed -IncludeRemoved' }
        @{ Case = 'Get-Finding -MinSize above -MaxSize (InvalidFilter)'; Expected = 'BadArguments'; Body = 'Get-Finding -Database $args[3] -MinSize 10 -MaxSize 1' }
        @{ Case = 'Find-DuplicateFile of another provider path (InvalidFilter)'; Expected = 'BadArguments'; Body = 'Find-DuplicateFile -Database $args[3] -Path "Env:\PATH"' }
        @{ Case = 'a file that is not a catalog (CatalogNotACatalog)'; Expected = 'CatalogUnusable'; Body = 'Set-Content -LiteralPath $args[2] -Value "text"; Start-Scan -Path $args[1] -Database $args[2]' }
        @{ Case = 'a catalog that does not exist (CatalogNotFound)'; Expected = 'CatalogUnusable'; Body = 'Get-Finding -Database $args[2]' }
    ) {
        $db = New-CatalogPath -Directory $catalogs

        $result = Invoke-ScheduledScript -Body $Body -ArgumentList $tree, $db, $scanned

        $result.ExitCode | Should -Be $documented[$Expected] -Because ($result.Output -join "`n")
        if ($Expected -eq 'BadArguments' -and $Body -like 'Start-Scan*') {
            Test-Path -LiteralPath $db | Should -BeFalse -Because 'no run is recorded when the arguments are wrong'
        }
    }
}

Describe 'Exit codes of a scan that meets a folder it cannot read (as an account permissions apply to)' {
    BeforeAll {
        $user = Get-TestUser -WorkDirectory (Join-Path $TestDrive 'user')
    }

    It 'exits CompletedWithErrors (3) with -ErrorAction SilentlyContinue, and Cancelled (4), the stored run''s code, with -ErrorAction Stop' {
        if ($user.Skip) {
            Set-ItResult -Skipped -Because $user.Skip
            return
        }
        $work = New-TestUserDirectory -Parent $TestDrive -User $user
        # The account builds its own tree and catalogs, so everything is its own but the locked folder.
        $body = {
            $tree = Join-Path $args[1] 'tree'
            $null = New-Item -ItemType Directory -Path (Join-Path $tree 'open'), (Join-Path $tree 'locked') -Force
            Set-Content -LiteralPath (Join-Path $tree 'open/a.txt') -Value 'a'
            [IO.File]::SetUnixFileMode((Join-Path $tree 'locked'), [IO.UnixFileMode]::None)
            $run = Start-Scan -Path $tree -Database (Join-Path $args[1] $args[2]) -ErrorAction $args[3]
            exit [int]$run.ExitCode
        }.ToString()

        $completed = Invoke-ScheduledScript -Body $body -ArgumentList $work, 'continue.db', 'SilentlyContinue' -User $user
        $stopped = Invoke-ScheduledScript -Body $body -ArgumentList $work, 'stop.db', 'Stop' -User $user

        $completedRun = Get-ScanRun -Database (Join-Path $work 'continue.db') -Last 1
        $completedRun.Errors | Should -Be 1
        $completed.ExitCode | Should -Be ([int]$completedRun.ExitCode) -Because ($completed.Output -join "`n")
        $completed.ExitCode | Should -Be $documented['CompletedWithErrors']
        $stoppedRun = Get-ScanRun -Database (Join-Path $work 'stop.db') -Last 1
        $stoppedRun.Status | Should -Be 'Cancelled'
        $stoppedRun.Message | Should -BeLike 'Stopped at the error item DirectoryUnreadable of *'
        $stopped.ExitCode | Should -Be ([int]$stoppedRun.ExitCode) -Because ($stopped.Output -join "`n")
        $stopped.ExitCode | Should -Be $documented['Cancelled']
    }

    It 'exits Cancelled (4), the code of its Duplicates run, when -ErrorAction Stop stops Find-DuplicateFile at a file it cannot read' {
        if ($user.Skip) {
            Set-ItResult -Skipped -Because $user.Skip
            return
        }
        $work = New-TestUserDirectory -Parent $TestDrive -User $user
        $body = {
            $tree = Join-Path $args[1] 'tree'
            $null = New-Item -ItemType Directory -Path $tree -Force
            foreach ($name in 'locked1.bin', 'locked2.bin') {
                Set-Content -LiteralPath (Join-Path $tree $name) -Value ('x' * 1000) -NoNewline
                [IO.File]::SetUnixFileMode((Join-Path $tree $name), [IO.UnixFileMode]::None)
            }
            $db = Join-Path $args[1] 'dups.db'
            $null = Start-Scan -Path $tree -Database $db
            Find-DuplicateFile -Database $db -ErrorAction Stop
            exit 0
        }.ToString()

        $result = Invoke-ScheduledScript -Body $body -ArgumentList $work -User $user

        $run = Get-ScanRun -Database (Join-Path $work 'dups.db') -Last 1
        $run.Kind | Should -Be 'Duplicates'
        $run.Status | Should -Be 'Cancelled'
        $run.Errors | Should -BeGreaterOrEqual 1
        $result.ExitCode | Should -Be ([int]$run.ExitCode) -Because ($result.Output -join "`n")
        $result.ExitCode | Should -Be $documented['Cancelled']
    }
}

Describe 'The crontab line of about_ScanTools, run as cron runs it (sh -c, output appended to a log)' -Skip:$IsWindows {
    BeforeAll {
        # The line as documented: its command, with the module, the folder and the catalog of this test put in.
        $line = [regex]::Match($about, '(?m)^0 2 \* \* \* /usr/bin/pwsh (-NoProfile -NonInteractive -Command ''.*'') >> /var/log/scantools\.log 2>&1\r?$').Groups[1].Value
        function Invoke-CronLine([string] $Folder, [string] $Database) {
            $log = Join-Path $TestDrive "cron-$([guid]::NewGuid().ToString('N')).log"
            $command = $line.Replace('Import-Module ScanTools', "Import-Module $modulePath").Replace('-Path /srv', "-Path $Folder").Replace('/var/lib/scantools/srv.db', $Database)
            sh -c "$(Get-PwshPath) $command >> '$log' 2>&1"
            [pscustomobject]@{ ExitCode = $LASTEXITCODE; Log = Get-Content -LiteralPath $log -Raw }
        }
    }

    It 'is found in the page' {
        $line | Should -Not -BeNullOrEmpty
    }

    It 'logs the run and exits with its code' {
        $db = New-CatalogPath -Directory $catalogs

        $result = Invoke-CronLine -Folder $tree -Database $db

        $result.ExitCode | Should -Be $documented['Completed'] -Because $result.Log
        $run = Get-ScanRun -Database $db -Last 1
        $result.Log | Should -Match "run $($run.Id) Completed: $fileCount files, 0 error items"
    }

    It 'logs the error that stopped it, with its exit code (the log was empty)' {
        $db = New-CatalogPath -Directory $catalogs

        $result = Invoke-CronLine -Folder (Join-Path $trees 'no-such-folder') -Database $db

        $result.ExitCode | Should -Be $documented['BadArguments']
        $result.Log | Should -Match 'no-such-folder' -Because 'the trap wrote nothing, so the log never said why a night failed'
    }
}

Describe 'ForException maps a stop to Cancelled, as the run it stopped is recorded' {
    It 'gives Cancelled for <Case>' -ForEach @(
        @{ Case = 'Ctrl+C or SIGINT (PipelineStoppedException)'; Exception = { [System.Management.Automation.PipelineStoppedException]::new() } }
        @{ Case = 'a cancelled operation'; Exception = { [OperationCanceledException]::new() } }
        @{ Case = 'a stop inside another exception'; Exception = { [System.Management.Automation.RuntimeException]::new('wrapped', [System.Management.Automation.PipelineStoppedException]::new()) } }
    ) {
        [ScanTools.Hosting.ScanExitCodes]::ForException((& $Exception)) | Should -Be $documented['Cancelled'] -Because 'the documented trap exited 5 (Failed) while the run said Cancelled'
    }

    It 'still gives Failed for an exception it does not know' {
        [ScanTools.Hosting.ScanExitCodes]::ForException([InvalidOperationException]::new('x')) | Should -Be $documented['Failed']
    }
}
