# Get-ScanRun: the history of scan and record runs in a catalog.
# Error ids are compared as full FullyQualifiedErrorIds ("<id>,<cmdlet class>"): Pester 5's -ErrorId
# matches with -like against the whole FullyQualifiedErrorId.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $modulePath = Get-ScanToolsTestModulePath
    Import-Module $modulePath -Force

    $catalogs = Join-Path $TestDrive 'catalogs'
    $trees = Join-Path $TestDrive 'trees'
    $null = New-Item -ItemType Directory -Path $catalogs, $trees -Force
    $cmdlet = 'ScanTools.Commands.GetScanRunCommand'

    # One catalog with four runs, oldest first: a scan, a hashed scan, a Records run, a cancelled Records run.
    $folderA = Join-Path $trees 'a'
    $folderB = Join-Path $trees 'b'
    $null = New-TestTree -Path $folderA -Folders 2 -FilesPerFolder 2
    $null = New-TestTree -Path $folderB -Folders 1 -FilesPerFolder 3
    $db = New-CatalogPath -Directory $catalogs
    $runA = Start-Scan -Path $folderA -Database $db
    $runB = Start-Scan -Path $folderB -Hash -Database $db
    Get-ChildItem -LiteralPath $folderA -File -Force | Write-Finding -Database $db
    $null = Get-ChildItem -LiteralPath $folderB -File -Force | Write-Finding -PassThru -Database $db | Select-Object -First 1
    $allRuns = @(Get-ScanRun -Database $db)
}

Describe 'Get-ScanRun' {

    Context 'listing' {
        It 'answers once for several piped objects that select the same runs (files piped in), as Get-ScanError does' {
            $files = @(Get-Finding -Database $db)
            $files.Count | Should -BeGreaterThan 2
            @($files | Get-ScanRun).Id | Should -Be @($allRuns.Id) -Because 'each file asked for every run of its catalog: once is the answer'
            @($files | Get-ScanError).Count | Should -Be @(Get-ScanError -Database $db).Count
            @($allRuns | Get-ScanRun).Id | Should -Be @($allRuns.Id) -Because 'piped runs each select their own'
        }

        It 'lists every run, newest first' {
            $allRuns | Should -HaveCount 4
            $ids = @($allRuns | ForEach-Object { $_.Id })
            ($ids -join ',') | Should -Be (($ids | Sort-Object -Descending) -join ',')
            $allRuns[3].Id | Should -Be $runA.Id
            $allRuns[2].Id | Should -Be $runB.Id
        }

        It 'emits ScanTools.Storage.ScanRun objects' {
            @($allRuns | Where-Object { $_ -isnot [ScanTools.Storage.ScanRun] }) | Should -BeNullOrEmpty
        }

        It 'has the property <_>' -ForEach @(
            'Id', 'RunKey', 'Kind', 'Status', 'StartedUtc', 'EndedUtc', 'Duration', 'Host', 'User', 'ProcessId', 'Roots',
            'Options', 'Files', 'Bytes', 'Directories', 'Errors', 'Removed', 'Message', 'FilesPerSecond'
        ) {
            $allRuns[0].PSObject.Properties.Name | Should -Contain $_
        }

        It 'tells scans from Records runs by Kind' {
            ($allRuns | ForEach-Object { $_.Kind }) -join ',' | Should -Be 'Records,Records,Scan,Scan'
        }

        It 'describes a scan run as Start-Scan returned it' {
            $stored = @(Get-ScanRun -Database $db -Id $runA.Id)

            $stored | Should -HaveCount 1
            $s = $stored[0]
            $s.Id | Should -Be $runA.Id
            $s.RunKey | Should -Be $runA.RunKey
            $s.Kind | Should -Be 'Scan'
            $s.Status | Should -Be 'Completed'
            $s.StartedUtc | Should -Be $runA.StartedUtc
            $s.EndedUtc | Should -Be $runA.EndedUtc
            $s.Duration | Should -Be ($s.EndedUtc - $s.StartedUtc)
            $s.Host | Should -Be ([Environment]::MachineName)
            $s.User | Should -Be ([Environment]::UserName)
            $s.ProcessId | Should -Be $PID
            $s.Roots | Should -Be @($folderA)
            $s.Files | Should -Be (Get-TestFileCount -LiteralPath $folderA)
            $s.Bytes | Should -Be ([long](Get-ChildItem -LiteralPath $folderA -Recurse -File -Force | Measure-Object -Property Length -Sum).Sum)
            $s.Directories | Should -Be (1 + @(Get-ChildItem -LiteralPath $folderA -Recurse -Directory -Force).Count)
            $s.Errors | Should -Be 0
            $s.Removed | Should -Be 0
            $s.Message | Should -BeNullOrEmpty
            if ($s.Duration.TotalSeconds -gt 0) {
                $s.FilesPerSecond | Should -Be ($s.Files / $s.Duration.TotalSeconds)
            }
            else {
                $s.FilesPerSecond | Should -Be 0
            }
        }

        It 'keeps the options of each scan' {
            ((Get-ScanRun -Database $db -Id $runA.Id).Options | ConvertFrom-Json).Hash | Should -BeFalse
            ((Get-ScanRun -Database $db -Id $runB.Id).Options | ConvertFrom-Json).Hash | Should -BeTrue
        }
    }

    Context '-Id' {
        It 'takes -Id by position' {
            $result = @(Get-ScanRun $runB.Id -Database $db)

            $result | Should -HaveCount 1
            $result[0].Id | Should -Be $runB.Id
        }

        It 'returns several runs for several ids, newest first' {
            $result = @(Get-ScanRun -Id $runA.Id, $runB.Id -Database $db)

            ($result | ForEach-Object { $_.Id }) -join ',' | Should -Be "$($runB.Id),$($runA.Id)"
        }

        It 'reports an id the catalog does not have as ScanRunNotFound, on its own, and returns the runs of the other ids' {
            $result = @(Get-ScanRun -Id 99999, $runA.Id, -1 -Database $db -ErrorAction SilentlyContinue -ErrorVariable missing)

            $result.Id | Should -Be @($runA.Id)
            @($missing) | Should -HaveCount 2
            $missing.FullyQualifiedErrorId | Should -Be @('ScanRunNotFound,ScanTools.Commands.GetScanRunCommand', 'ScanRunNotFound,ScanTools.Commands.GetScanRunCommand')
            ($missing.TargetObject | Sort-Object) | Should -Be @(-1, 99999)
            $missing[0].Exception.Message | Should -BeLike '*holds no run*Get-ScanRun lists the runs*'
            { Get-ScanRun -Id 99999 -Database $db -ErrorAction Stop } | Should -Throw -ErrorId 'ScanRunNotFound*'
        }

        It 'binds Id by property name from piped runs' {
            $result = @($runA, $runB | Get-ScanRun -Database $db)

            Join-Sorted ($result | ForEach-Object { [string]$_.Id }) | Should -Be (Join-Sorted @([string]$runA.Id, [string]$runB.Id))
        }

        It 'binds Id from an object with a <Property> property' -ForEach @(
            @{ Property = 'Id' }
            @{ Property = 'ScanId' }
        ) {
            $piped = [pscustomobject]@{ $Property = $runB.Id }

            $result = @($piped | Get-ScanRun -Database $db)

            $result | Should -HaveCount 1
            $result[0].Id | Should -Be $runB.Id
        }
    }

    Context '-Status and -Last' {
        It 'returns only completed runs with -Status Completed' {
            $result = @(Get-ScanRun -Status Completed -Database $db)

            $result | Should -HaveCount 3
            @($result | Where-Object { $_.Status -ne 'Completed' }) | Should -BeNullOrEmpty
        }

        It 'returns the run stopped early with -Status Cancelled' {
            $result = @(Get-ScanRun -Status Cancelled -Database $db)

            $result | Should -HaveCount 1
            $result[0].Kind | Should -Be 'Records'
            $result[0].Id | Should -Be $allRuns[0].Id
            $result[0].Message | Should -Not -BeNullOrEmpty
        }

        It 'treats several states as alternatives' {
            @(Get-ScanRun -Status Completed, Cancelled -Database $db) | Should -HaveCount 4
        }

        It 'returns nothing for -Status <_> when no run is in that state' -ForEach @('Failed', 'Running') {
            Get-ScanRun -Status $_ -Database $db | Should -BeNullOrEmpty
        }

        It 'rejects a state that does not exist' {
            { Get-ScanRun -Status 'Bogus' -Database $db } |
                Should -Throw -ExceptionType ([System.Management.Automation.ParameterBindingException])
        }

        It 'returns the newest run with -Last 1' {
            $result = @(Get-ScanRun -Last 1 -Database $db)

            $result | Should -HaveCount 1
            $result[0].Id | Should -Be $allRuns[0].Id
        }

        It 'returns the newest N runs with -Last N' {
            $result = @(Get-ScanRun -Last 2 -Database $db)

            ($result | ForEach-Object { $_.Id }) -join ',' | Should -Be "$($allRuns[0].Id),$($allRuns[1].Id)"
        }

        It 'applies -Last after -Status' {
            $result = @(Get-ScanRun -Status Completed -Last 1 -Database $db)

            $result | Should -HaveCount 1
            $result[0].Id | Should -Be $allRuns[1].Id
        }

        It 'selects runs by -Kind, case ignored, and applies -Last after it (the latest scan, not a later Records run)' {
            @(Get-ScanRun -Kind Scan -Last 1 -Database $db).Id | Should -Be @($runB.Id) -Because 'Get-ScanRun -Last 1 gave the Records run after it'
            @(Get-ScanRun -Kind records -Database $db).Kind | Should -Be @('Records', 'Records')
            Join-Sorted @(Get-ScanRun -Kind Scan, Records -Database $db).Id | Should -Be (Join-Sorted $allRuns.Id)
            { Get-ScanRun -Kind Bogus -Database $db } | Should -Throw -ErrorId "ParameterArgumentValidationError,$cmdlet"
        }

        It 'shows the kind of a run that is not a scan where a scan shows its roots' {
            $table = Get-ScanRun -Database $db | Out-String -Width 200
            @($table -split "`r?`n" -match '\(Records\)') | Should -HaveCount 2 -Because 'a Records or Duplicates run looked like a scan of nothing'
            @($table -split "`r?`n" -match '\(Scan\)') | Should -BeNullOrEmpty
        }

        It 'gives the latest scan, not a later duplicate search, to Export-ScanReport by default' {
            $dupDb = New-CatalogPath -Directory $catalogs
            $dupTree = New-TestDirectory -Parent $trees -Name 'dups-for-report'
            foreach ($n in 'one.bin', 'two.bin') { $null = New-TestFile -Path (Join-Path $dupTree $n) -Content 'the same bytes' }
            $scan = Start-Scan -Path $dupTree -Database $dupDb
            $null = Find-DuplicateFile -Database $dupDb
            (Get-ScanRun -Database $dupDb -Last 1).Kind | Should -Be 'Duplicates'
            $page = Join-Path $TestDrive 'dups-report.html'

            Export-ScanReport -Database $dupDb -Path $page

            (Get-Content -LiteralPath $page -Raw) | Should -Match ('"run":\s*\{\s*"id":\s*' + $scan.Id + ',\s*"kind":\s*"Scan"') -Because 'the duplicate search became the report''s run, with no changes of its own'
        }

        It 'rejects -Last 0 by validation' {
            { Get-ScanRun -Last 0 -Database $db } | Should -Throw -ErrorId "ParameterArgumentValidationError,$cmdlet"
        }
    }

    Context 'catalog errors' {
        It 'reports a missing catalog as CatalogNotFound and does not create it' {
            $missing = New-CatalogPath -Directory $catalogs

            { Get-ScanRun -Database $missing } | Should -Throw -ErrorId "CatalogNotFound,$cmdlet"

            Test-Path -LiteralPath $missing | Should -BeFalse
        }

        It 'reports a -Database that is a loop of symbolic links as InvalidCatalogPath, naming it' -Skip:$IsWindows {
            $loop = Join-Path $TestDrive 'loop.db'
            $null = New-Item -ItemType SymbolicLink -Path $loop -Target $loop
            { Get-ScanRun -Database $loop } | Should -Throw -ErrorId 'InvalidCatalogPath,ScanTools.Commands.GetScanRunCommand' -ExpectedMessage "*symbolic links*$loop*"
        }

        It 'reports a file that is not a catalog as CatalogNotACatalog' {
            $notCatalog = New-CatalogPath -Directory $catalogs
            [IO.File]::WriteAllText($notCatalog, 'plain text')

            { Get-ScanRun -Database $notCatalog } | Should -Throw -ErrorId "CatalogNotACatalog,$cmdlet"
        }

        It 'resolves a relative -Database against the PowerShell location' {
            Push-Location -LiteralPath (Split-Path -Parent $db)
            try {
                $result = @(Get-ScanRun -Database (Split-Path -Leaf $db))
            }
            finally {
                Pop-Location
            }

            $result | Should -HaveCount 4
        }

        It 'reads the catalog named by $env:SCANTOOLS_DATABASE when -Database is not given' {
            $saved = $env:SCANTOOLS_DATABASE
            try {
                $env:SCANTOOLS_DATABASE = $db
                $result = @(Get-ScanRun)
            }
            finally {
                if ($null -eq $saved) {
                    Remove-Item -Path Env:SCANTOOLS_DATABASE -ErrorAction SilentlyContinue
                }
                else {
                    $env:SCANTOOLS_DATABASE = $saved
                }
            }

            $result | Should -HaveCount 4
        }

        It 'resolves ~ and PowerShell drives in -Database, and in $env:SCANTOOLS_DATABASE' {
            $home2 = Join-Path $HOME ("scantools-test-" + [guid]::NewGuid().ToString('N'))
            $null = New-Item -ItemType Directory -Path $home2
            try {
                Copy-Item -LiteralPath $db -Destination (Join-Path $home2 'c.db')
                $tilde = '~/' + (Split-Path -Leaf $home2) + '/c.db'
                $null = New-PSDrive -Name ScanToolsTestDrive -PSProvider FileSystem -Root $home2

                @(Get-ScanRun -Database $tilde) | Should -HaveCount 4
                @(Get-ScanRun -Database 'ScanToolsTestDrive:/c.db') | Should -HaveCount 4
                $saved = $env:SCANTOOLS_DATABASE
                try {
                    $env:SCANTOOLS_DATABASE = $tilde
                    @(Get-ScanRun) | Should -HaveCount 4
                }
                finally {
                    $env:SCANTOOLS_DATABASE = $saved
                }
                { Get-ScanRun -Database 'Env:/x.db' } | Should -Throw -ErrorId "InvalidCatalogPath,$cmdlet"
            }
            finally {
                Remove-PSDrive -Name ScanToolsTestDrive -ErrorAction SilentlyContinue
                Remove-Item -LiteralPath $home2 -Recurse -Force
            }
        }
    }

    Context 'what a run says about itself and its catalog' {
        It 'carries its catalog and exit code: Completed for a clean run, Cancelled for a stopped one' {
            $allRuns.Database | Select-Object -Unique | Should -Be $db
            ($allRuns | Where-Object Id -EQ $runA.Id).ExitCode | Should -Be 'Completed'
            [int]($allRuns | Where-Object Id -EQ $runA.Id).ExitCode | Should -Be 0
            [int]($allRuns | Where-Object Status -EQ 'Cancelled').ExitCode | Should -Be 4
        }

        It 'fits the default table in 80 columns with its roots still shown' {
            $lines = (Get-ScanRun -Database $db | Out-String -Width 80) -split "`r?`n"

            $lines | Where-Object { $_.Length -gt 80 } | Should -BeNullOrEmpty
            $lines[1] | Should -Match '^\s*Id\s+Status\s+Started\s+Duration\s+Files\s+Size\s+Errors\s+Roots\s*$'
            ($lines -match '^\s+\d+ (Completed|Cancelled)') | Should -HaveCount 4
            ($lines -match '…\d') | Should -BeNullOrEmpty -Because 'no number may be cut'
            $text = (Get-ScanRun -Database $db -Id $runA.Id | Out-String -Width 80) -replace '\s+', ''
            $text | Should -BeLike "*$($folderA -replace '\s+', '')*" -Because 'a long root wraps whole instead of being cut to /tmp/…'
        }

        It 'completes -Id with the catalog''s runs, newest first, with when, status and roots in the tooltip' {
            $line = "Get-ScanRun -Database '$db' -Id "
            $completions = (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches

            $completions.CompletionText | Should -Be @($allRuns.Id | ForEach-Object { [string]$_ })
            $completions[-1].ToolTip | Should -Match ([regex]::Escape($folderA))
            $completions[-1].ToolTip | Should -Match 'Completed'
            $completions[-1].ToolTip | Should -Match '\d{4}-\d\d-\d\d \d\d:\d\d'
        }

        It 'completes -Database with catalogs only, not their -wal, -shm or lock files, nor other files' {
            $folder = Split-Path -Parent $db
            $null = New-TestFile -Path (Join-Path $folder 'notes.txt') -Content 'not a catalog'
            $null = New-Item -ItemType File -Path "$db-wal", "$db-shm" -Force -ErrorAction SilentlyContinue
            $line = "Get-ScanRun -Database $folder/"
            $offered = (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText

            $offered | Should -Contain "$folder/$(Split-Path -Leaf $db)"
            $offered | Where-Object { $_ -match '(-wal|-shm|-scantools\.lock|notes\.txt)$' } | Should -BeNullOrEmpty
        }

        It 'completes -Database in a folder that holds a FIFO without opening it (Tab froze the shell, newcomer test 68)' -Skip:(-not $IsLinux) {
            $folder = Join-Path $TestDrive 'with-fifo'
            $null = New-Item -ItemType Directory -Path $folder
            $catalog = Join-Path $folder 'a.db'
            Copy-Item -LiteralPath $db -Destination $catalog
            mkfifo (Join-Path $folder 'pipe')
            $line = "Get-ScanRun -Database $folder/"
            $job = Start-ThreadJob {
                param($l, $module)
                Import-Module $module
                (TabExpansion2 -inputScript $l -cursorColumn $l.Length).CompletionMatches.CompletionText
            } -ArgumentList $line, (Get-ScanToolsTestModulePath)
            try {
                if (-not (Wait-Job $job -Timeout 60)) {
                    # Opening the FIFO waits for a writer: be one, so the job ends, and fail.
                    sh -c "exec 3>'$folder/pipe'; exec 3>&-"
                    throw 'completion was still waiting on the FIFO after 60 s'
                }
                Receive-Job $job | Should -Be @("$folder/a.db")
            }
            finally {
                Remove-Job $job -Force
            }
        }
    }
}
