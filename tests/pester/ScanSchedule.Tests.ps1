# Register-ScanSchedule, Get-ScanSchedule, Unregister-ScanSchedule: scheduled scans through the computer's
# scheduler, and the exit codes a scheduler sees. On Linux the cron tests use the real crontab of the
# account running the tests (lines of other schedules stay untouched); every schedule made here has a
# unique name and is unregistered at the end.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $modulePath = Get-ScanToolsTestModulePath
    Import-Module $modulePath -Force

    $catalogs = Join-Path $TestDrive 'catalogs'
    $trees = Join-Path $TestDrive 'trees'
    $null = New-Item -ItemType Directory -Path $catalogs, $trees -Force
    $register = 'ScanTools.Commands.RegisterScanScheduleCommand'
    $prefix = 'pester-' + [guid]::NewGuid().ToString('N').Substring(0, 8)
    $haveCron = -not $IsWindows -and [bool](Get-Command crontab -CommandType Application -ErrorAction SilentlyContinue)
    $made = [System.Collections.Generic.List[string]]::new()

    function New-ScheduleName([string] $Suffix) {
        $name = "$prefix-$Suffix"
        $made.Add($name)
        $name
    }

    # Runs a schedule's crontab line as cron would: its command (cron's \% back to %) in sh, with the bare
    # environment cron gives (no PATH to pwsh), and returns the exit code.
    # -WhatIf writes to the host, not to a stream: run the command in a child pwsh and read what it printed.
    function Get-WhatIfText([string] $Arguments) {
        $result = Invoke-TestPwsh -Script "Import-Module '$modulePath'; Register-ScanSchedule $Arguments -WhatIf"
        $result.ExitCode | Should -Be 0 -Because ($result.Output -join "`n")
        $result.Output -join "`n"
    }

    function Invoke-CronLine([string] $Name) {
        $line = @(crontab -l) | Where-Object { $_ -like "* # ScanTools schedule $Name" }
        $line | Should -HaveCount 1
        $command = ($line -split ' ', 6)[5] -replace '\\%', '%'
        & /usr/bin/env -i "HOME=$HOME" 'PATH=/usr/bin:/bin' /bin/sh -c $command
        $LASTEXITCODE
    }
}

AfterAll {
    foreach ($name in $made) {
        Unregister-ScanSchedule -Name $name -ErrorAction SilentlyContinue -Confirm:$false
    }
}

Describe 'Register-ScanSchedule with cron (Linux/macOS)' -Skip:$IsWindows {
    BeforeAll {
        if (-not $haveCron) {
            Set-ItResult -Skipped -Because 'crontab is not installed (apt-get install cron); .ci/run installs it'
        }
        $tree = Join-Path $trees 'scheduled'
        $files = New-TestTree -Path $tree -Folders 2 -FilesPerFolder 3
    }

    It 'adds one crontab line with full paths, keeps the other lines, and the line really runs a scan (exit 0)' {
        if (-not $haveCron) { Set-ItResult -Skipped -Because 'crontab is not installed'; return }
        $before = @(crontab -l 2>$null | Where-Object { $_ -is [string] -and $_ })
        $name = New-ScheduleName 'ok'
        $db = Join-Path $catalogs 'cron ok %1.db'
        $log = Join-Path $catalogs "log of $name %1.log"

        $schedule = Register-ScanSchedule -Name $name -Path $tree -Database $db -At '03:15' -Scheduler Cron -Hash -LogPath $log

        $schedule | Should -BeOfType ScanTools.Scheduling.ScanSchedule
        $schedule.When | Should -Be 'daily at 03:15'
        $after = @(crontab -l)
        $after | Should -HaveCount ($before.Count + 1)
        foreach ($l in $before) { $after | Should -Contain $l }
        $line = $after | Where-Object { $_ -like "* # ScanTools schedule $name" }
        $line | Should -Match '^15 3 \* \* \* '
        $line | Should -Match ([regex]::Escape("'" + $schedule.PowerShell[0] + "'"))
        [IO.Path]::IsPathFullyQualified($schedule.PowerShell[0]) | Should -BeTrue
        $line | Should -Match '\\%1\.log' -Because 'cron would cut the command at an unescaped %'

        Invoke-CronLine $name | Should -Be 0

        $run = Get-ScanRun -Database $db -Last 1
        $run.Status | Should -Be 'Completed'
        $run.Files | Should -Be $files
        @(Get-Finding -Database $db | Where-Object Sha256).Count | Should -Be $files -Because 'the schedule passes -Hash'
        Get-Content -LiteralPath $schedule.LogPath -Tail 1 | Should -Match "$name`: run $($run.Id) Completed: .* exit 0$"
    }

    It 'passes the rule, ignore and rehash options to the scheduled scan, which really applies them' {
        if (-not $haveCron) { Set-ItResult -Skipped -Because 'crontab is not installed'; return }
        $name = New-ScheduleName 'rules'
        $rulesTree = New-TestDirectory -Parent $TestDrive -Name "rules-tree-$name"
        $token = 'ghp_' + -join (1..36 | ForEach-Object { [char[]]'abcdefghijklmnopqrstuvwxyz0123456789' | Get-Random })
        Set-Content -LiteralPath (Join-Path $rulesTree 'app.env') -Value "TOKEN=$token"
        Set-Content -LiteralPath (Join-Path $rulesTree 'skip.log') -Value 'left out'
        $ignore = Join-Path $TestDrive "ignore-$name.txt"
        Set-Content -LiteralPath $ignore -Value '*.log'
        $db = Join-Path $catalogs "$name.db"

        $schedule = Register-ScanSchedule -Name $name -Path $rulesTree -Database $db -Scheduler Cron -Rule github-* -IgnoreFile $ignore -Rehash -ContentSizeLimit 4096

        $schedule.Rule | Should -Be 'github-*'
        $schedule.IgnoreFile | Should -Be (Resolve-Path -LiteralPath $ignore).ProviderPath
        Invoke-CronLine $name | Should -Be 0
        @(Get-Finding -Database $db).Name | Should -Be 'app.env' -Because 'the ignore file left skip.log out'
        @(Get-FindingMatch -Database $db).RuleId | Should -Be 'github-token'
        ((Get-ScanRun -Database $db -Last 1).Options | ConvertFrom-Json).ContentSizeLimit | Should -Be 4096
        Unregister-ScanSchedule -Name $name
    }

    It 'refuses rules and ignore files that cannot work now, not at the scheduled time' {
        $name = New-ScheduleName 'badrules'
        { Register-ScanSchedule -Name $name -Path $tree -Scheduler Cron -Rule no-such-rule -WhatIf } | Should -Throw -ErrorId 'InvalidRules*'
        { Register-ScanSchedule -Name $name -Path $tree -Scheduler Cron -IgnoreFile (Join-Path $TestDrive 'missing.ignore') -WhatIf } | Should -Throw -ErrorId 'InvalidSchedule*' -ExpectedMessage '*does not exist*'
    }

    It 'lists it with Get-ScanSchedule as registered, and Unregister-ScanSchedule removes the line and the script' {
        if (-not $haveCron) { Set-ItResult -Skipped -Because 'crontab is not installed'; return }
        $name = New-ScheduleName 'listed'
        $schedule = Register-ScanSchedule -Name $name -Path $tree -Database (New-CatalogPath -Directory $catalogs) -Scheduler Cron -DaysOfWeek Monday, Friday -At '23:30'

        $listed = Get-ScanSchedule -Name $name
        $listed.Registered | Should -BeTrue
        $listed.When | Should -Be 'Mon, Fri at 23:30'
        @(crontab -l) -like "30 23 * * 1,5 * # ScanTools schedule $name" | Should -HaveCount 1

        Unregister-ScanSchedule -Name $name -Confirm:$false

        @(crontab -l 2>$null) -like "* # ScanTools schedule $name" | Should -BeNullOrEmpty
        Test-Path -LiteralPath $schedule.ScriptPath | Should -BeFalse
        Get-ScanSchedule -Name $name -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
    }

    It 'keeps every crontab line when several processes register and unregister at once' {
        if (-not $haveCron) { Set-ItResult -Skipped -Because 'crontab is not installed'; return }
        $names = foreach ($i in 1..6) { New-ScheduleName "race$i" }
        $db = New-CatalogPath -Directory $catalogs
        $jobs = foreach ($n in $names) {
            Start-Job -ScriptBlock { param($m, $n, $t, $d) Import-Module $m; $null = Register-ScanSchedule -Name $n -Path $t -Database $d -Scheduler Cron -At '03:00' } -ArgumentList $modulePath, $n, $tree, $db
        }
        $null = $jobs | Wait-Job | Receive-Job
        $jobs | Remove-Job

        foreach ($n in $names) { @(crontab -l) -like "* # ScanTools schedule $n" | Should -HaveCount 1 -Because "the line of $n must survive the others' edits" }

        $jobs = foreach ($n in $names) {
            Start-Job -ScriptBlock { param($m, $n) Import-Module $m; Unregister-ScanSchedule -Name $n -Confirm:$false } -ArgumentList $modulePath, $n
        }
        $null = $jobs | Wait-Job | Receive-Job
        $jobs | Remove-Job

        foreach ($n in $names) { @(crontab -l 2>$null) -like "* # ScanTools schedule $n" | Should -BeNullOrEmpty -Because "no line may outlive the script of $n" }
    }

    It 'lists the other schedules when one description is damaged, and unregisters the damaged one with its line' {
        if (-not $haveCron) { Set-ItResult -Skipped -Because 'crontab is not installed'; return }
        $good = New-ScheduleName 'healthy'
        $bad = New-ScheduleName 'damaged'
        $db = New-CatalogPath -Directory $catalogs
        $null = Register-ScanSchedule -Name $good -Path $tree -Database $db -Scheduler Cron -At '05:00'
        $broken = Register-ScanSchedule -Name $bad -Path $tree -Database $db -Scheduler Cron -At '05:10'
        '{garbage' | Set-Content -LiteralPath ([IO.Path]::ChangeExtension($broken.ScriptPath, '.json'))

        $listed = @(Get-ScanSchedule -WarningVariable warned -WarningAction SilentlyContinue)
        $listed.Name | Should -Contain $good
        "$warned" | Should -BeLike "*'$bad'*damaged*"
        (Get-ScanSchedule -Name $good -WarningAction SilentlyContinue -ErrorAction Stop).Name | Should -Be $good
        Get-ScanSchedule -Name $bad -WarningAction SilentlyContinue -ErrorAction Stop | Should -BeNullOrEmpty -Because 'a damaged schedule is not missing: only its warning'

        Unregister-ScanSchedule -Name $bad -Confirm:$false -WarningAction SilentlyContinue -ErrorAction Stop

        @(crontab -l 2>$null) -like "* # ScanTools schedule $bad" | Should -BeNullOrEmpty
        Test-Path -LiteralPath $broken.ScriptPath | Should -BeFalse
        @(crontab -l) -like "* # ScanTools schedule $good" | Should -HaveCount 1
    }

    It 'registers a name once when several processes register it at once without -Force' {
        if (-not $haveCron) { Set-ItResult -Skipped -Because 'crontab is not installed'; return }
        $name = New-ScheduleName 'once'
        $jobs = foreach ($i in 1..4) {
            Start-Job -ScriptBlock {
                param($m, $n, $t, $d)
                Import-Module $m
                try { $null = Register-ScanSchedule -Name $n -Path $t -Database $d -Scheduler Cron -At '04:00' -ErrorAction Stop; 'registered' } catch { $_.FullyQualifiedErrorId }
            } -ArgumentList $modulePath, $name, $tree, (New-CatalogPath -Directory $catalogs)
        }
        $outcomes = @($jobs | Wait-Job | Receive-Job)
        $jobs | Remove-Job

        @($outcomes | Where-Object { $_ -eq 'registered' }) | Should -HaveCount 1 -Because "only one process may be told it registered '$name'"
        @($outcomes | Where-Object { $_ -like 'ScheduleExists*' }) | Should -HaveCount 3
        @(crontab -l) -like "* # ScanTools schedule $name" | Should -HaveCount 1
    }

    It 'removes a crontab line whose script and description are gone, and warns of a registered schedule without its script' {
        if (-not $haveCron) { Set-ItResult -Skipped -Because 'crontab is not installed'; return }
        $name = New-ScheduleName 'orphan'
        $schedule = Register-ScanSchedule -Name $name -Path $tree -Database (New-CatalogPath -Directory $catalogs) -Scheduler Cron -At '04:10'
        Remove-Item -LiteralPath $schedule.ScriptPath
        $null = Get-ScanSchedule -Name $name -WarningVariable gone -WarningAction SilentlyContinue
        "$gone" | Should -BeLike "*'$name' is registered, but its script*is gone*"
        Remove-Item -LiteralPath ([IO.Path]::ChangeExtension($schedule.ScriptPath, '.json'))
        $null = Get-ScanSchedule -WarningVariable listed -WarningAction SilentlyContinue
        "$listed" | Should -BeLike "*crontab holds a line of the schedule '$name', whose script and description are gone*"
        Get-ScanSchedule -Name $name -WarningAction SilentlyContinue -ErrorAction Stop | Should -BeNullOrEmpty -Because 'an orphaned line is warned of, not ScheduleNotFound'

        Unregister-ScanSchedule -Name $name -Confirm:$false -WarningVariable removed -WarningAction SilentlyContinue -ErrorAction Stop

        "$removed" | Should -BeLike "*only its scheduler entry; that entry was removed*"
        @(crontab -l 2>$null) -like "* # ScanTools schedule $name" | Should -BeNullOrEmpty
    }

    It 'warns of a registered schedule whose PowerShell or module is gone (dotnet tool update moved it; every run failed: newcomer test 75)' {
        if (-not $haveCron) { Set-ItResult -Skipped -Because 'crontab is not installed'; return }
        $name = New-ScheduleName 'moved'
        $schedule = Register-ScanSchedule -Name $name -Path $tree -Database (New-CatalogPath -Directory $catalogs) -Scheduler Cron -At '04:20'
        $null = Get-ScanSchedule -Name $name -WarningVariable before -WarningAction SilentlyContinue
        $before | Should -BeNullOrEmpty
        $description = [IO.Path]::ChangeExtension($schedule.ScriptPath, '.json')
        $gone = Join-Path $TestDrive 'moved-away'
        $json = Get-Content -LiteralPath $description -Raw | ConvertFrom-Json
        $json.ModuleManifest = Join-Path $gone 'ScanTools.psd1'
        $json.PowerShell = @(Join-Path $gone 'pwsh') + @($json.PowerShell | Select-Object -Skip 1)
        $json | ConvertTo-Json -Depth 5 | Set-Content -LiteralPath $description

        $listed = Get-ScanSchedule -Name $name -WarningVariable moved -WarningAction SilentlyContinue
        $listed.Registered | Should -BeTrue
        "$moved" | Should -BeLike "*'$name' is registered, but what its script starts is gone*$gone/pwsh*$gone/ScanTools.psd1*Register-ScanSchedule -Name '$name' -Force*"
        Unregister-ScanSchedule -Name $name -Confirm:$false
    }

    It 'leaves alone a crontab line of the same name that another data folder''s schedule runs (XDG_DATA_HOME; Unregister deleted it, newcomer test 68)' {
        if (-not $haveCron) { Set-ItResult -Skipped -Because 'crontab is not installed'; return }
        $name = New-ScheduleName 'otherdata'
        $db = New-CatalogPath -Directory $catalogs
        $mine = Register-ScanSchedule -Name $name -Path $tree -Database $db -Scheduler Cron -At '04:30'
        $otherData = Join-Path $TestDrive 'other-data'
        $saved = $env:XDG_DATA_HOME
        try {
            $env:XDG_DATA_HOME = $otherData
            $other = Invoke-TestPwsh -Script @"
Import-Module '$modulePath'
`$null = Get-ScanSchedule -WarningVariable w -WarningAction SilentlyContinue
"WARNINGS:`$w"
Unregister-ScanSchedule -Name '$name' -Confirm:`$false -ErrorVariable e -ErrorAction SilentlyContinue
"ERRORS:`$e"
`$s = Register-ScanSchedule -Name '$name' -Path '$tree' -Database '$db' -Scheduler Cron -At '05:30'
"SCRIPT:`$(`$s.ScriptPath)"
"@
        }
        finally {
            $env:XDG_DATA_HOME = $saved
        }
        $text = $other.Output -join "`n"
        $text | Should -Match "WARNINGS:\s*(`n|$)" -Because 'the other folder''s listing has no orphan to warn of'
        $text | Should -BeLike "*ERRORS:*runs '$($mine.ScriptPath)', a schedule of another data folder*left alone*"
        $lines = @(crontab -l) -like "* # ScanTools schedule $name"
        $lines | Should -HaveCount 2 -Because 'its own registration kept this folder''s line'
        (Get-ScanSchedule -Name $name).Registered | Should -BeTrue

        Unregister-ScanSchedule -Name $name -Confirm:$false -ErrorAction Stop

        $left = @(crontab -l) -like "* # ScanTools schedule $name"
        $left | Should -HaveCount 1
        $left[0] | Should -BeLike "*$otherData*"
        $env:XDG_DATA_HOME = $otherData
        try {
            (Invoke-TestPwsh -Script "Import-Module '$modulePath'; Unregister-ScanSchedule -Name '$name' -Confirm:`$false -ErrorAction Stop").ExitCode | Should -Be 0
        }
        finally {
            $env:XDG_DATA_HOME = $saved
        }
        @(crontab -l) -like "* # ScanTools schedule $name" | Should -BeNullOrEmpty
    }

    It 'completes -Name of Get-ScanSchedule and Unregister-ScanSchedule with this account''s schedules (newcomer test 68)' {
        if (-not $haveCron) { Set-ItResult -Skipped -Because 'crontab is not installed'; return }
        $name = New-ScheduleName 'complete'
        $null = Register-ScanSchedule -Name $name -Path $tree -Database (New-CatalogPath -Directory $catalogs) -Scheduler Cron -At '04:45'
        foreach ($command in 'Get-ScanSchedule', 'Unregister-ScanSchedule') {
            $line = "$command -Name $name"
            $offered = (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches
            $offered.CompletionText | Should -Be @($name)
            $offered[0].ToolTip | Should -BeLike "*Cron*$tree*"
        }
    }

    It 'refuses a name that differs from a schedule''s only in case, which Get-ScanSchedule would list with it (newcomer test 68)' {
        if (-not $haveCron) { Set-ItResult -Skipped -Because 'crontab is not installed'; return }
        $name = New-ScheduleName 'case'
        $null = Register-ScanSchedule -Name $name -Path $tree -Database (New-CatalogPath -Directory $catalogs) -Scheduler Cron -At '04:40'
        $upper = $name.ToUpperInvariant()
        $made.Add($upper)
        { Register-ScanSchedule -Name $upper -Path $tree -Database (New-CatalogPath -Directory $catalogs) -Scheduler Cron -At '04:50' } |
            Should -Throw -ErrorId "ScheduleExists,$register" -ExpectedMessage "*'$name' exists*differ only in case*"
        @(crontab -l) -clike "* # ScanTools schedule $upper" | Should -BeNullOrEmpty
        Unregister-ScanSchedule -Name $upper -Confirm:$false -ErrorAction Stop # the same schedule, typed in another case (newcomer test 72)
        @(crontab -l) -like "* # ScanTools schedule $name" | Should -BeNullOrEmpty
    }

    It 'refuses a -LogPath it cannot write before registering (cron''s shell never started the runs, newcomer test 68)' -Skip:(-not $IsLinux) {
        if (-not $haveCron) { Set-ItResult -Skipped -Because 'crontab is not installed'; return }
        $name = New-ScheduleName 'badlog'
        $notAFolder = Join-Path $TestDrive 'not-a-folder'
        Set-Content -LiteralPath $notAFolder -Value 'a file'
        { Register-ScanSchedule -Name $name -Path $tree -Database (New-CatalogPath -Directory $catalogs) -Scheduler Cron -LogPath "$notAFolder/scan.log" } |
            Should -Throw -ErrorId "InvalidSchedule,$register" -ExpectedMessage "*'$notAFolder/scan.log' cannot be written*"
        { Register-ScanSchedule -Name $name -Path $tree -Database (New-CatalogPath -Directory $catalogs) -Scheduler Cron -LogPath /proc/1/scantools.log } |
            Should -Throw -ErrorId "InvalidSchedule,$register" -ExpectedMessage "*is a device or a process's stream*"
        { Register-ScanSchedule -Name $name -Path $tree -Database (New-CatalogPath -Directory $catalogs) -Scheduler Cron -LogPath /dev/stdout } |
            Should -Throw -ErrorId "InvalidSchedule,$register" -ExpectedMessage "*is a device or a process's stream*" -Because 'it is cron''s mail pipe at run time (newcomer test 69)'
        $link = Join-Path $TestDrive 'to-stdout'
        $null = New-Item -ItemType SymbolicLink -Path $link -Target /dev/stdout
        { Register-ScanSchedule -Name $name -Path $tree -Database (New-CatalogPath -Directory $catalogs) -Scheduler Cron -LogPath $link } |
            Should -Throw -ErrorId "InvalidSchedule,$register" -ExpectedMessage "*is a device or a process's stream*" -Because 'a link to /dev/stdout is /dev/stdout (newcomer test 72)'
        @(crontab -l) -like "* # ScanTools schedule $name" | Should -BeNullOrEmpty
        Get-ScanSchedule -Name $name -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
    }

    It 'removes the line and the script of a schedule whose description alone was deleted' {
        if (-not $haveCron) { Set-ItResult -Skipped -Because 'crontab is not installed'; return }
        $name = New-ScheduleName 'nodesc'
        $schedule = Register-ScanSchedule -Name $name -Path $tree -Database (New-CatalogPath -Directory $catalogs) -Scheduler Cron -At '04:20'
        Remove-Item -LiteralPath ([IO.Path]::ChangeExtension($schedule.ScriptPath, '.json'))

        Unregister-ScanSchedule -Name $name -Confirm:$false -WarningVariable removed -WarningAction SilentlyContinue -ErrorAction Stop

        "$removed" | Should -BeLike '*no description left, only its scheduler entry and script; both were removed*'
        Test-Path -LiteralPath $schedule.ScriptPath | Should -BeFalse
        @(crontab -l 2>$null) -like "* # ScanTools schedule $name" | Should -BeNullOrEmpty
    }

    It 'unregisters the schedules Get-ScanSchedule pipes to it, without a ScheduleNotFound error' {
        if (-not $haveCron) { Set-ItResult -Skipped -Because 'crontab is not installed'; return }
        $name = New-ScheduleName 'piped'
        $null = Register-ScanSchedule -Name $name -Path $tree -Database (New-CatalogPath -Directory $catalogs) -Scheduler Cron -At '06:00'

        Get-ScanSchedule -Name $name -ErrorAction Stop | Unregister-ScanSchedule -Confirm:$false -ErrorAction Stop

        @(crontab -l 2>$null) -like "* # ScanTools schedule $name" | Should -BeNullOrEmpty
    }

    It 'unregisters the schedules a wildcard -Name matches, and only those, and reports a pattern that matches none' {
        if (-not $haveCron) { Set-ItResult -Skipped -Because 'crontab is not installed'; return }
        $group = New-ScheduleName 'wild'
        $names = foreach ($n in 'a', 'b') { New-ScheduleName "wild-$n" }
        $other = New-ScheduleName 'tame'
        foreach ($n in @($names) + $other) {
            $null = Register-ScanSchedule -Name $n -Path $tree -Database (New-CatalogPath -Directory $catalogs) -Scheduler Cron -At '06:00'
        }

        Unregister-ScanSchedule -Name "$($group.ToUpperInvariant())-*" -Confirm:$false -ErrorAction Stop

        foreach ($n in $names) {
            @(crontab -l 2>$null) -like "* # ScanTools schedule $n" | Should -BeNullOrEmpty -Because "'$group-*' was looked up as a name and not found"
        }
        @(crontab -l 2>$null) -like "* # ScanTools schedule $other" | Should -HaveCount 1
        Unregister-ScanSchedule -Name "$group-none-*" -ErrorVariable none -ErrorAction SilentlyContinue
        $none[0].FullyQualifiedErrorId | Should -Be 'ScheduleNotFound,ScanTools.Commands.UnregisterScanScheduleCommand'
        "$($none[0])" | Should -BeLike "No schedule matches '$group-none-*'*"
        Unregister-ScanSchedule -Name $other -Confirm:$false
    }

    It 'refuses a second schedule of the same name without -Force, and replaces it with -Force' {
        if (-not $haveCron) { Set-ItResult -Skipped -Because 'crontab is not installed'; return }
        $name = New-ScheduleName 'twice'
        $db = New-CatalogPath -Directory $catalogs
        $null = Register-ScanSchedule -Name $name -Path $tree -Database $db -Scheduler Cron -At '01:00'

        { Register-ScanSchedule -Name $name -Path $tree -Database $db -Scheduler Cron -At '04:00' } | Should -Throw -ErrorId "ScheduleExists,$register"
        $null = Register-ScanSchedule -Name $name -Path $tree -Database $db -Scheduler Cron -At '04:00' -Force

        @(crontab -l) -like "* # ScanTools schedule $name" | Should -HaveCount 1
        @(crontab -l) -like "0 4 * * * *" | Should -Not -BeNullOrEmpty
    }

    It 'exits with <Code> (<Outcome>) when <Case>, and logs why' -ForEach @(
        @{ Case = 'a folder to scan is missing'; Outcome = 'BadArguments'; Code = 2 }
        @{ Case = 'the catalog is not a catalog'; Outcome = 'CatalogUnusable'; Code = 6 }
        @{ Case = 'the scan completes but meets an error item'; Outcome = 'CompletedWithErrors'; Code = 3 }
    ) {
        if (-not $haveCron) { Set-ItResult -Skipped -Because 'crontab is not installed'; return }
        $name = New-ScheduleName $Outcome
        $db = New-CatalogPath -Directory $catalogs
        $path = $tree
        $extra = @{}
        switch ($Code) {
            2 { $path = Join-Path $trees 'not-there' }
            6 { Set-Content -LiteralPath $db -Value 'not a catalog' }
            3 {
                $path = Join-Path $trees "loop-$Code"
                $null = New-Item -ItemType Directory -Path (Join-Path $path 'a') -Force
                $null = New-Item -ItemType SymbolicLink -Path (Join-Path $path 'a/back') -Target $path
                $extra.FollowSymlink = $true
            }
        }
        $schedule = Register-ScanSchedule -Name $name -Path $path -Database $db -Scheduler Cron -WarningAction SilentlyContinue @extra

        Invoke-CronLine $name | Should -Be $Code

        Get-Content -LiteralPath $schedule.LogPath -Tail 1 | Should -Match "exit $Code\)?$"
        if ($Code -eq 2) {
            # The error that led to NoFolderToScan is logged too.
            (Get-Content -LiteralPath $schedule.LogPath) -match 'PathNotFound' | Should -Not -BeNullOrEmpty
        }
    }

    It 'scans a folder whose name has brackets, taken literally' {
        if (-not $haveCron) { Set-ItResult -Skipped -Because 'crontab is not installed'; return }
        $name = New-ScheduleName 'brackets'
        $path = Join-Path $trees 'br[1]'
        $null = New-Item -ItemType Directory -Path $path -Force
        $null = New-TestFile -Path (Join-Path $path 'f.txt') -Content 'x'
        $db = New-CatalogPath -Directory $catalogs
        $null = Register-ScanSchedule -Name $name -Path $path -Database $db -Scheduler Cron -WarningAction SilentlyContinue

        Invoke-CronLine $name | Should -Be 0
        (Get-Finding -Database $db).Name | Should -Be 'f.txt'
    }

    It 'shows exactly what it would register with -WhatIf, and registers nothing' {
        if (-not $haveCron) { Set-ItResult -Skipped -Because 'crontab is not installed'; return }
        $name = New-ScheduleName 'whatif'

        $text = Get-WhatIfText "-Name $name -Path '$tree' -Database '$(New-CatalogPath -Directory $catalogs)' -Scheduler Cron"

        $text | Should -Match 'Add to the crontab'
        $text | Should -Match "# ScanTools schedule $name"
        $text | Should -Match 'Import-Module -Name'
        @(crontab -l 2>$null) -like "* # ScanTools schedule $name" | Should -BeNullOrEmpty
        Get-ScanSchedule -Name $name -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
    }

    It 'schedules a scan into a remote catalog (redis://) without ever storing its password' {
        if (-not $haveCron) { Set-ItResult -Skipped -Because 'crontab is not installed'; return }
        $name = New-ScheduleName 'remote'

        $text = Get-WhatIfText "-Name $name -Path '$tree' -Database 'redis://:s3cret-pw@127.0.0.1:6390/estate' -Scheduler Cron 3>&1"

        $text | Should -Match ([regex]::Escape("Database = 'redis://127.0.0.1:6390/estate'"))
        $text | Should -Match 'SCANTOOLS_REDIS_PASSWORD'
        $text | Should -Not -Match 's3cret-pw'
        Get-ScanSchedule -Name $name -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
    }
}

Describe 'Register-ScanSchedule with systemd and launchd (Linux/macOS)' -Skip:$IsWindows {
    It 'describes the systemd service and timer with -WhatIf: full paths, the calendar, and exit 3 and 4 as success' {
        $text = Get-WhatIfText "-Name $(New-ScheduleName 'systemd') -Path '$trees' -Database '$(New-CatalogPath -Directory $catalogs)' -Scheduler Systemd -At 02:05 -DaysOfWeek Sunday"

        $text | Should -Match 'ExecStart="/[^"]+" '
        $text | Should -Match 'OnCalendar=Sun \*-\*-\* 02:05:00'
        $text | Should -Match 'SuccessExitStatus=3 4'
        $text | Should -Match 'Persistent=true'
        $text | Should -Match 'enable --now scantools-'
    }

    It 'refuses systemd where systemd is not running, saying to use cron, and leaves nothing behind' -Skip:(Test-Path /run/systemd/system) {
        $name = New-ScheduleName 'nosystemd'

        $log = Join-Path $TestDrive "$name.log"
        { Register-ScanSchedule -Name $name -Path $trees -Database (New-CatalogPath -Directory $catalogs) -Scheduler Systemd -LogPath $log } |
            Should -Throw -ErrorId "SchedulerFailed,$register" -ExpectedMessage '*systemd is not running*Cron*'
        Get-ScanSchedule -Name $name -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        Test-Path -LiteralPath $log | Should -BeFalse -Because 'the check that the log can be written left an empty one (newcomer test 75)'
    }

    It 'refuses launchd off macOS, saying what to use, and leaves nothing behind' -Skip:$IsMacOS {
        $name = New-ScheduleName 'nolaunchd'

        { Register-ScanSchedule -Name $name -Path $trees -Database (New-CatalogPath -Directory $catalogs) -Scheduler Launchd } |
            Should -Throw -ErrorId "SchedulerFailed,$register" -ExpectedMessage '*only on macOS*'
        Get-ScanSchedule -Name $name -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        Test-Path -LiteralPath (Join-Path $HOME "Library/LaunchAgents/org.scantools.schedule.$name.plist") | Should -BeFalse
    }

    It 'describes the launchd agent with -WhatIf' {
        $text = Get-WhatIfText "-Name $(New-ScheduleName 'launchd') -Path '$trees' -Database '$(New-CatalogPath -Directory $catalogs)' -Scheduler Launchd -At 06:45"

        $text | Should -Match '<key>Hour</key><integer>6</integer><key>Minute</key><integer>45</integer>'
        $text | Should -Match 'org\.scantools\.schedule\.'
    }
}

Describe 'Register-ScanSchedule with the Windows Task Scheduler (Windows)' -Skip:(-not $IsWindows) {
    It 'registers a task under \ScanTools\ that runs pwsh with the script, and unregisters it' {
        $name = New-ScheduleName 'task'
        $db = New-CatalogPath -Directory $catalogs

        $schedule = Register-ScanSchedule -Name $name -Path $trees -Database $db -At '02:00'

        $task = Get-ScheduledTask -TaskName $name -TaskPath '\ScanTools\'
        $task.Actions[0].Execute | Should -Be $schedule.PowerShell[0]
        $task.Actions[0].Arguments | Should -Match ([regex]::Escape($schedule.ScriptPath))
        Unregister-ScanSchedule -Name $name -Confirm:$false
        Get-ScheduledTask -TaskName $name -TaskPath '\ScanTools\' -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
    }
}

Describe 'Register-ScanSchedule parameters' {
    It 'refuses a name that cannot name files and tasks (<_>)' -ForEach @('a b', '../x', '-x', 'x;y') {
        { Register-ScanSchedule -Name $_ -Path $trees -Database (New-CatalogPath -Directory $catalogs) -WhatIf } |
            Should -Throw -ErrorId "InvalidSchedule,$register"
    }

    It 'refuses an -At that is no time of day (<_>), saying what -At takes (newcomer test 80)' -ForEach @('25:99', '0 2 * * *', 5) {
        { Register-ScanSchedule -Name at-check -Path $trees -At $_ -Database (New-CatalogPath -Directory $catalogs) -WhatIf } |
            Should -Throw -ErrorId "ParameterArgumentTransformationError,$register" -ExpectedMessage "*-At takes a time of day, such as 02:00*'$_' is not one*-DaysOfWeek*cron expression is not taken*"
    }

    It 'warns that seconds of -At are dropped, as schedulers start at whole minutes (newcomer test 82)' {
        $null = Register-ScanSchedule -Name at-check -Path $trees -At '2:30:45' -Database (New-CatalogPath -Directory $catalogs) -WhatIf -WarningVariable w -WarningAction SilentlyContinue 6>$null
        "$w" | Should -BeLike '*whole minutes: -At 02:30:45 is registered as 02:30*'
    }

    It 'takes an -At of <_> as the time 21:30' -ForEach @('21:30', '9:30PM', '2020-01-01 21:30') {
        if (-not $haveCron) { Set-ItResult -Skipped -Because 'crontab is not installed'; return }
        $plan = Get-WhatIfText "-Name at-check -Path '$trees' -At '$_' -Scheduler Cron -Database '$(New-CatalogPath -Directory $catalogs)'"
        $plan | Should -Match '(?m)^30 21 \* \* \* '
    }

    It 'refuses a folder as -LogPath, and warns of a catalog folder that does not exist' {
        $name = New-ScheduleName 'logpath'
        { Register-ScanSchedule -Name $name -Path $trees -Database (New-CatalogPath -Directory $catalogs) -LogPath $trees -WhatIf } |
            Should -Throw -ErrorId "InvalidSchedule,$register" -ExpectedMessage '*is a folder*'
        $null = Register-ScanSchedule -Name $name -Path $trees -Database (Join-Path $TestDrive 'no-such-folder/c.db') -WhatIf -WarningVariable warned -WarningAction SilentlyContinue
        "$warned" | Should -BeLike '*does not exist now*'
    }

    It 'refuses as -LogPath the catalog or its -wal or lock file, another catalog, or a file of the schedules themselves' {
        $name = New-ScheduleName 'logguard'
        $db = New-CatalogPath -Directory $catalogs
        $null = Start-Scan -Path $trees -Database $db -MaxDepth 0
        $other = New-CatalogPath -Directory $catalogs
        $null = Start-Scan -Path $trees -Database $other -MaxDepth 0
        $ownScript = [ScanTools.Scheduling.ScheduleStore]::ForCurrentUser().ScriptPath($name)
        $fifo = Join-Path $TestDrive "log-fifo-$name"
        if (-not $IsWindows) { mkfifo $fifo } else { $fifo = $ownScript }
        $null = New-Item -ItemType Directory -Force -Path (Split-Path -Parent $ownScript)
        foreach ($case in @(
                @{ Log = $db; Message = '*is a ScanTools catalog*' }
                @{ Log = "$db-wal"; Message = '*catalog*' }
                @{ Log = "$db-scantools.lock"; Message = '*catalog*' }
                @{ Log = $other; Message = '*is a ScanTools catalog*' }
                @{ Log = $ownScript; Message = '*own script*' }
                @{ Log = $fifo; Message = '*not a regular file*or /dev/null*' })) {
            { Register-ScanSchedule -Name $name -Path $trees -Database $db -LogPath $case.Log -WhatIf } |
                Should -Throw -ErrorId "InvalidSchedule,$register" -ExpectedMessage $case.Message
        }
        (Get-Item -LiteralPath $db).Length | Should -BeGreaterThan 0
        if (-not $IsWindows) {
            $null = Register-ScanSchedule -Name $name -Path $trees -Database $db -LogPath /dev/null -WhatIf # discarding the log is allowed
        }
    }

    It 'warns of a folder that does not exist as the scheduled run will treat it: the only folder, or one of several' {
        $name = New-ScheduleName 'missing-root'
        $gone = Join-Path $TestDrive 'not-there'
        $null = Register-ScanSchedule -Name $name -Path $gone -Database (New-CatalogPath -Directory $catalogs) -WhatIf -WarningVariable alone -WarningAction SilentlyContinue
        "$alone" | Should -BeLike '*NoFolderToScan (exit code 2)*'
        $null = Register-ScanSchedule -Name $name -Path $trees, $gone -Database (New-CatalogPath -Directory $catalogs) -WhatIf -WarningVariable several -WarningAction SilentlyContinue
        "$several" | Should -BeLike '*scans the other folders*RootNotFound*(exit code 3)*'
        "$several" | Should -Not -BeLike '*NoFolderToScan*'
        "$several" | Should -Not -BeLike '*Resolve-Path*'
        $null = Register-ScanSchedule -Name $name -Path (Join-Path $trees '*') -Database (New-CatalogPath -Directory $catalogs) -WhatIf -WarningVariable wild -WarningAction SilentlyContinue
        "$wild" | Should -BeLike "*stored as written, wildcards included*-Path (Resolve-Path '$(Join-Path $trees '*')').Path*" -Because 'Start-Scan expands the same pattern, so the job failed every night'
    }

    It 'warns of a -Database that is not a catalog now' {
        $notCatalog = Join-Path $TestDrive 'notes.db'
        'plain text' | Set-Content -LiteralPath $notCatalog
        $null = Register-ScanSchedule -Name (New-ScheduleName 'notcat') -Path $trees -Database $notCatalog -WhatIf -WarningVariable warned -WarningAction SilentlyContinue
        "$warned" | Should -BeLike '*is not a ScanTools catalog now*CatalogNotACatalog (exit code 6)*'
        $folder = New-TestDirectory -Parent $TestDrive -Name 'catalog-folder'
        $null = Register-ScanSchedule -Name (New-ScheduleName 'folder') -Path $trees -Database $folder -WhatIf -WarningVariable folderWarned -WarningAction SilentlyContinue
        "$folderWarned" | Should -BeLike '*is a folder, not a catalog file*CatalogNotACatalog (exit code 6)*'
    }

    It 'reports an unknown schedule as ScheduleNotFound' {
        Get-ScanSchedule -Name "$prefix-none" -ErrorAction SilentlyContinue -ErrorVariable e
        $e[0].FullyQualifiedErrorId | Should -Be 'ScheduleNotFound,ScanTools.Commands.GetScanScheduleCommand'
        Unregister-ScanSchedule -Name "$prefix-none" -ErrorAction SilentlyContinue -ErrorVariable u -Confirm:$false
        $u[0].FullyQualifiedErrorId | Should -Be 'ScheduleNotFound,ScanTools.Commands.UnregisterScanScheduleCommand'
    }
}

Describe 'The README''s hand-written crontab line (Linux/macOS)' -Skip:$IsWindows {
    BeforeAll {
        # The line as the README prints it, with this machine's pwsh and the test's folders put in.
        $readme = Get-Content -Raw -LiteralPath (Join-Path $PSScriptRoot '../../README.md')
        $line = ([regex]::Match($readme, '(?m)^0 2 \* \* \* /usr/bin/pwsh .*$')).Value
        $modules = Split-Path -Parent (Split-Path -Parent $modulePath) # the folder that holds ScanTools/
        function Invoke-ReadmeLine([string] $Folder, [string] $Database, [string] $ModulePath = $modules) {
            $command = ($line -split ' ', 6)[5] -replace '^/usr/bin/pwsh', ("'" + (Get-PwshPath) + "'")
            $command = $command.Replace('/var/lib/scantools/srv.db', $Database).Replace('-Path /srv ', "-Path $Folder ").Replace('/var/log/scantools.log', (Join-Path $TestDrive 'readme-cron.log'))
            & /usr/bin/env -i "HOME=$HOME" 'PATH=/usr/bin:/bin' "PSModulePath=$ModulePath" /bin/sh -c $command
            $LASTEXITCODE
        }
    }

    It 'is in the README' {
        $line | Should -Not -BeNullOrEmpty
    }

    It 'exits 0 for a clean scan, 2 for a missing folder, 6 for a file that is not a catalog' {
        $tree = Join-Path $trees 'readme-line'
        $null = New-TestTree -Path $tree -Folders 1 -FilesPerFolder 2
        $db = New-CatalogPath -Directory $catalogs
        $notCatalog = New-CatalogPath -Directory $catalogs
        Set-Content -LiteralPath $notCatalog -Value 'text'

        Invoke-ReadmeLine -Folder $tree -Database $db | Should -Be 0
        (Get-ScanRun -Database $db -Last 1).Status | Should -Be 'Completed'
        Invoke-ReadmeLine -Folder (Join-Path $trees 'readme-missing') -Database $db | Should -Be 2
        Invoke-ReadmeLine -Folder $tree -Database $notCatalog | Should -Be 6
    }

    It 'exits 5 and says the module was not found where cron''s user cannot load it, running nothing' {
        # Before, Import-Module's error did not stop the line: Start-Scan was 'not recognized', and the trap's own
        # [ScanTools.Hosting.ScanExitCodes] failed as well.
        $tree = Join-Path $trees 'readme-nomodule'
        $null = New-TestTree -Path $tree -Folders 1 -FilesPerFolder 1
        $db = New-CatalogPath -Directory $catalogs
        $log = Join-Path $TestDrive 'readme-cron.log'
        Remove-Item -LiteralPath $log -ErrorAction SilentlyContinue
        Invoke-ReadmeLine -Folder $tree -Database $db -ModulePath (Join-Path $TestDrive 'no-modules-here') | Should -Be 5
        $text = Get-Content -Raw -LiteralPath $log
        $text | Should -Match "module 'ScanTools' was not loaded"
        $text | Should -Not -Match 'not recognized|Unable to find type'
        Test-Path -LiteralPath $db | Should -BeFalse
    }
}

Describe 'build.ps1 -Task Install' {
    It 'puts the module where Import-Module ScanTools finds it, for the current user (Linux/macOS)' -Skip:$IsWindows {
        # The child's per-user folders point into the test drive, so the real module folder is untouched.
        $saved = $env:XDG_DATA_HOME
        $env:XDG_DATA_HOME = Join-Path $TestDrive 'xdg'
        try {
            $result = Invoke-TestPwsh -Script "& '$(Join-Path $PSScriptRoot '../../build.ps1')' -Task Install -Scope CurrentUser | Out-Null; Import-Module ScanTools -ErrorAction Stop; (Get-Module ScanTools).ModuleBase; (Get-Command Start-Scan).Source" -TimeoutSeconds 600
        }
        finally {
            $env:XDG_DATA_HOME = $saved
        }

        $result.ExitCode | Should -Be 0 -Because ($result.Output -join "`n")
        $result.Output[-2] | Should -BeLike (Join-Path $TestDrive 'xdg/powershell/Modules/ScanTools/*')
        $result.Output[-1] | Should -Be 'ScanTools'
    }
}
