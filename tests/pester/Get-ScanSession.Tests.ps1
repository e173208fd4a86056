# Get-ScanSession: the writer sessions open in this PowerShell process, and their role among processes.
# Sessions close when their last holder finishes, so the tests hold one open through the engine API:
#   [ScanTools.Sessions.WriterSessionRegistry]::Shared.Acquire($db, $null, $null)
# and release every hold in AfterEach, so no test sees another's session. The cross-process tests run a
# Start-Job job (another pwsh process) that holds the writer, and talk to it through signal files.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $modulePath = Get-ScanToolsTestModulePath
    # Every test file releases the sessions it opens, so none is open here. (-Force no longer closes
    # sessions when other runspaces of this process have imported the module too.)
    Import-Module $modulePath -Force

    $catalogs = Join-Path $TestDrive 'catalogs'
    $trees = Join-Path $TestDrive 'trees'
    $null = New-Item -ItemType Directory -Path $catalogs, $trees -Force
    $cmdlet = 'ScanTools.Commands.GetScanSessionCommand'
    $registry = [ScanTools.Sessions.WriterSessionRegistry]::Shared
}

Describe 'Get-ScanSession' {

    BeforeEach {
        $leases = [System.Collections.Generic.List[object]]::new()
    }

    AfterEach {
        foreach ($l in $leases) {
            if ($null -ne $l) {
                $l.Dispose()
            }
        }
    }

    It 'returns nothing when no session is open' {
        Get-ScanSession | Should -BeNullOrEmpty
    }

    It 'shows a session held open through the engine API' {
        $db = New-CatalogPath -Directory $catalogs
        $openedAfter = [datetime]::UtcNow
        $leases.Add($registry.Acquire($db, $null, $null))

        $sessions = @(Get-ScanSession)

        $sessions | Should -HaveCount 1
        $s = $sessions[0]
        $s | Should -BeOfType ScanTools.Sessions.SessionStatistics
        $s.DatabasePath | Should -Be (Get-RealPath -Path $db)
        $s.Database | Should -Be $s.DatabasePath -Because 'the name the other commands bind by (newcomer test 75)'
        $s.Role | Should -Be 'Writer'
        $s.References | Should -Be 1
        $s.WriterProcessId | Should -Be $PID
        @($s.ClientProcessIds) | Should -HaveCount 0
        $s.IsFaulted | Should -BeFalse
        $s.LastError | Should -BeNullOrEmpty
        $s.OpenedUtc | Should -BeGreaterOrEqual $openedAfter.AddSeconds(-2)
        $s.OpenedUtc | Should -BeLessOrEqual ([datetime]::UtcNow.AddSeconds(2))
        $s.RoleSinceUtc | Should -BeGreaterOrEqual $s.OpenedUtc.AddSeconds(-1)
        $s.RoleSinceUtc | Should -BeLessOrEqual ([datetime]::UtcNow.AddSeconds(2))
    }

    It 'names the local endpoint the catalog''s writer serves' {
        $db = New-CatalogPath -Directory $catalogs
        $leases.Add($registry.Acquire($db, $null, $null))

        $s = @(Get-ScanSession -Database $db)[0]

        $s.Endpoint | Should -Not -BeNullOrEmpty
        # A socket file (Linux, macOS) or a pipe name (Windows), named after the catalog.
        $s.Endpoint | Should -Match 'scantools-[0-9a-f]{20}'
        if ($IsWindows) {
            $s.Endpoint | Should -BeLike '\\.\pipe\*'
        }
        else {
            $s.Endpoint | Should -BeLike '*.sock'
            Test-Path -LiteralPath $s.Endpoint | Should -BeTrue
        }
    }

    It 'gives another catalog another endpoint' {
        $first = New-CatalogPath -Directory $catalogs
        $second = New-CatalogPath -Directory $catalogs
        $leases.Add($registry.Acquire($first, $null, $null))
        $leases.Add($registry.Acquire($second, $null, $null))

        @(Get-ScanSession -Database $first)[0].Endpoint | Should -Not -Be @(Get-ScanSession -Database $second)[0].Endpoint
    }

    It 'creates the writer lock file next to the catalog and keeps it after the session closed' {
        $db = New-CatalogPath -Directory $catalogs
        $lease = $registry.Acquire($db, $null, $null)
        $leases.Add($lease)

        Test-Path -LiteralPath "$db-scantools.lock" | Should -BeTrue
        $lease.Dispose()

        Get-ScanSession -Database $db | Should -BeNullOrEmpty
        Test-Path -LiteralPath "$db-scantools.lock" | Should -BeTrue -Because 'the lock file is never deleted'
    }

    It 'has the property <_>' -ForEach @(
        'DatabasePath', 'Role', 'RoleSinceUtc', 'WriterProcessId', 'ClientProcessIds', 'Endpoint', 'References', 'OpenedUtc',
        'AcceptedRows', 'CommittedRows', 'PendingRows', 'FailedRows', 'Transactions', 'RowsPerSecond', 'LastCommitUtc',
        'LastError', 'IsFaulted', 'ForwardedBatches', 'AcknowledgedBatches', 'ResentBatches', 'ReceivedBatches'
    ) {
        $db = New-CatalogPath -Directory $catalogs
        $leases.Add($registry.Acquire($db, $null, $null))

        @(Get-ScanSession)[0].PSObject.Properties.Name | Should -Contain $_
    }

    It 'starts with zero counters while nothing was written' {
        $db = New-CatalogPath -Directory $catalogs
        $leases.Add($registry.Acquire($db, $null, $null))

        $s = @(Get-ScanSession -Database $db)[0]

        $s.AcceptedRows | Should -Be 0
        $s.CommittedRows | Should -Be 0
        $s.PendingRows | Should -Be 0
        $s.FailedRows | Should -Be 0
        $s.ForwardedBatches | Should -Be 0
        $s.AcknowledgedBatches | Should -Be 0
        $s.ResentBatches | Should -Be 0
        $s.ReceivedBatches | Should -Be 0
    }

    It 'counts the rows a scan commits through the held session' {
        $root = New-TestDirectory -Parent $trees
        $null = New-TestTree -Path $root -Folders 2 -FilesPerFolder 5
        $files = Get-TestFileCount -LiteralPath $root
        $db = New-CatalogPath -Directory $catalogs
        $leases.Add($registry.Acquire($db, $null, $null))

        $run = Start-Scan -Path $root -Database $db

        $run.Files | Should -Be $files
        $sessions = @(Get-ScanSession -Database $db)
        $sessions | Should -HaveCount 1
        $s = $sessions[0]
        $s.References | Should -Be 1 -Because 'the scan released its hold; only the test''s lease remains'
        $s.CommittedRows | Should -BeGreaterOrEqual $files
        $s.AcceptedRows | Should -Be ($s.CommittedRows + $s.FailedRows + $s.PendingRows)
        $s.PendingRows | Should -Be 0
        $s.FailedRows | Should -Be 0
        $s.Transactions | Should -BeGreaterOrEqual 1
        $s.LastCommitUtc | Should -Not -BeNullOrEmpty
    }

    It 'counts every holder of one catalog''s single session' {
        $db = New-CatalogPath -Directory $catalogs
        $leases.Add($registry.Acquire($db, $null, $null))
        $leases.Add($registry.Acquire($db, $null, $null))

        $sessions = @(Get-ScanSession -Database $db)

        $sessions | Should -HaveCount 1
        $sessions[0].References | Should -Be 2
    }

    It 'shows one session per catalog' {
        $first = New-CatalogPath -Directory $catalogs
        $second = New-CatalogPath -Directory $catalogs
        $leases.Add($registry.Acquire($first, $null, $null))
        $leases.Add($registry.Acquire($second, $null, $null))

        $sessions = @(Get-ScanSession)

        $sessions | Should -HaveCount 2
        Join-Sorted ($sessions | ForEach-Object { $_.DatabasePath }) | Should -Be (Join-Sorted @((Get-RealPath -Path $first), (Get-RealPath -Path $second)))
    }

    It 'shows a session opened in another runspace' {
        $db = New-CatalogPath -Directory $catalogs

        $lease = 1 | ForEach-Object -Parallel {
            Import-Module $using:modulePath
            [ScanTools.Sessions.WriterSessionRegistry]::Shared.Acquire($using:db, $null, $null)
        }
        $leases.Add($lease)

        $lease | Should -Not -BeNullOrEmpty
        @(Get-ScanSession -Database $db) | Should -HaveCount 1
    }

    It 'no longer shows a session once its last holder released it' {
        $db = New-CatalogPath -Directory $catalogs
        $lease = $registry.Acquire($db, $null, $null)
        $leases.Add($lease) # released by AfterEach too if an assertion fails first (Dispose is idempotent)
        @(Get-ScanSession -Database $db) | Should -HaveCount 1

        $lease.Dispose()

        Get-ScanSession -Database $db | Should -BeNullOrEmpty
        Test-Path -LiteralPath $db | Should -BeTrue -Because 'opening the session created the catalog'
    }

    Context '-Database' {
        It 'matches the catalog by its full path' {
            $db = New-CatalogPath -Directory $catalogs
            $leases.Add($registry.Acquire($db, $null, $null))

            $sessions = @(Get-ScanSession -Database $db)

            $sessions | Should -HaveCount 1
            $sessions[0].DatabasePath | Should -Be (Get-RealPath -Path $db)
        }

        It 'takes -Database by position' {
            $db = New-CatalogPath -Directory $catalogs
            $leases.Add($registry.Acquire($db, $null, $null))

            @(Get-ScanSession $db) | Should -HaveCount 1
        }

        It 'matches a relative spelling resolved against the PowerShell location' {
            $db = New-CatalogPath -Directory $catalogs
            $leases.Add($registry.Acquire($db, $null, $null))
            $savedProcessDirectory = [Environment]::CurrentDirectory

            Push-Location -LiteralPath (Split-Path -Parent $db)
            try {
                [Environment]::CurrentDirectory = $trees
                $byName = @(Get-ScanSession -Database (Split-Path -Leaf $db))
                $byDotPath = @(Get-ScanSession -Database ('./' + (Split-Path -Leaf $db)))
            }
            finally {
                [Environment]::CurrentDirectory = $savedProcessDirectory
                Pop-Location
            }

            $byName | Should -HaveCount 1
            $byDotPath | Should -HaveCount 1
        }

        It 'matches a spelling with ..' {
            $db = New-CatalogPath -Directory $catalogs
            $null = New-TestDirectory -Parent $catalogs -Name 'detour'
            $leases.Add($registry.Acquire($db, $null, $null))
            $spelled = [IO.Path]::Combine((Split-Path -Parent $db), 'detour', '..', (Split-Path -Leaf $db))

            @(Get-ScanSession -Database $spelled) | Should -HaveCount 1
        }

        It 'matches a spelling through a folder link (Linux/macOS)' -Skip:$IsWindows {
            $db = New-CatalogPath -Directory $catalogs
            $leases.Add($registry.Acquire($db, $null, $null))
            $alias = Join-Path $trees ('alias-' + [guid]::NewGuid().ToString('N').Substring(0, 8))
            $null = New-Item -ItemType SymbolicLink -Path $alias -Target (Split-Path -Parent $db)
            try {
                $sessions = @(Get-ScanSession -Database (Join-Path $alias (Split-Path -Leaf $db)))
            }
            finally {
                # Pester's TestDrive cleanup enumerates recursively and .NET follows folder links: remove it.
                [IO.File]::Delete($alias)
            }

            $sessions | Should -HaveCount 1
        }

        It 'does not match a different catalog' {
            $db = New-CatalogPath -Directory $catalogs
            $other = New-CatalogPath -Directory $catalogs
            $leases.Add($registry.Acquire($db, $null, $null))

            Get-ScanSession -Database $other | Should -BeNullOrEmpty
            @(Get-ScanSession) | Should -HaveCount 1
        }

        It 'rejects an empty -Database by validation' {
            { Get-ScanSession -Database '' } | Should -Throw -ErrorId "ParameterArgumentValidationError,$cmdlet"
        }

        It 'calls a mistyped broker address <_> an invalid catalog path, as the other commands do' -ForEach @('redis:/host/x', 'rediss:/b/e', 'redis:x') {
            { Get-ScanSession -Database $_ } | Should -Throw -ErrorId "InvalidCatalogPath,$cmdlet" -ExpectedMessage '*redis://host*'
        }
    }

    Context 'a writer in another process' {
        BeforeAll {
            # Runs in a Start-Job process: holds the catalog's session (and so the writer lock) until the test
            # sends 'release'; sends 'ready' with its process id and role, and on 'ask' a report of its session.
            $writerScript = {
                param([string] $ModulePath, [string] $Database, [string] $Signals)
                $ErrorActionPreference = 'Stop'
                $ProgressPreference = 'SilentlyContinue'
                function Send-Signal([string] $Name, [string] $Text) {
                    $path = Join-Path $Signals $Name
                    [IO.File]::WriteAllText("$path.tmp", $Text)
                    [IO.File]::Move("$path.tmp", $path, $true)
                }
                Import-Module $ModulePath
                $held = [ScanTools.Sessions.WriterSessionRegistry]::Shared.Acquire($Database, $null, $null)
                try {
                    $mine = @(Get-ScanSession -Database $Database)[0]
                    Send-Signal 'ready' ('{0} {1}' -f $PID, $mine.Role)
                    $reported = $false
                    $deadline = [datetime]::UtcNow.AddSeconds(240)
                    while (-not [IO.File]::Exists((Join-Path $Signals 'release'))) {
                        if (-not $reported -and [IO.File]::Exists((Join-Path $Signals 'ask'))) {
                            $mine = @(Get-ScanSession -Database $Database)[0]
                            Send-Signal 'report' (ConvertTo-Json -Compress -InputObject @{
                                    Role             = [string]$mine.Role
                                    WriterProcessId  = $mine.WriterProcessId
                                    ClientProcessIds = @($mine.ClientProcessIds)
                                    ReceivedBatches  = $mine.ReceivedBatches
                                })
                            $reported = $true
                        }
                        if ([datetime]::UtcNow -gt $deadline) {
                            throw 'The test never sent release.'
                        }
                        Start-Sleep -Milliseconds 20
                    }
                }
                finally {
                    $held.Dispose()
                }
                'released'
            }
        }

        BeforeEach {
            $job = $null
            $signals = New-TestDirectory -Parent $TestDrive
        }

        AfterEach {
            # Let go here first, so the job's writer does not hand over to this process on its way out.
            foreach ($l in $leases) {
                if ($null -ne $l) {
                    $l.Dispose()
                }
            }
            if ($null -ne $job) {
                Send-TestSignal -Path (Join-Path $signals 'release')
                $null = Wait-Job -Job $job -Timeout 60
                Remove-Job -Job $job -Force
            }
        }

        It 'shows a Forwarder whose WriterProcessId is the job''s process, and that writer lists this process as its client' {
            $db = New-CatalogPath -Directory $catalogs
            $job = Start-Job -ScriptBlock $writerScript -ArgumentList $modulePath, $db, $signals
            $ready = (Wait-TestSignal -Path (Join-Path $signals 'ready') -Job $job -TimeoutSeconds 120).Split(' ')
            $writerPid = [int]$ready[0]
            $ready[1] | Should -Be 'Writer' -Because 'the job opened the catalog first'
            $writerPid | Should -Not -Be $PID

            $leases.Add($registry.Acquire($db, $null, $null))
            $sessions = @(Get-ScanSession -Database $db)

            $sessions | Should -HaveCount 1
            $s = $sessions[0]
            $s.Role | Should -Be 'Forwarder'
            $s.WriterProcessId | Should -Be $writerPid
            @($s.ClientProcessIds) | Should -HaveCount 0
            $s.Endpoint | Should -Match 'scantools-[0-9a-f]{20}'
            $s.IsFaulted | Should -BeFalse

            # A scan here goes through the writer in the job's process.
            $root = New-TestDirectory -Parent $trees
            $null = New-TestTree -Path $root -Folders 2 -FilesPerFolder 5
            $files = Get-TestFileCount -LiteralPath $root
            $run = Start-Scan -Path $root -Database $db

            $run.Status | Should -Be 'Completed'
            $run.Files | Should -Be $files
            $run.ProcessId | Should -Be $PID -Because 'a run records the process that ran it, not the writer'
            @(Get-Finding -Database $db) | Should -HaveCount $files
            $after = @(Get-ScanSession -Database $db)[0]
            $after.Role | Should -Be 'Forwarder'
            $after.References | Should -Be 1
            $after.ForwardedBatches | Should -BeGreaterThan 0
            $after.AcknowledgedBatches | Should -BeGreaterThan 0
            $after.PendingRows | Should -Be 0
            $after.FailedRows | Should -Be 0
            $after.CommittedRows | Should -BeGreaterOrEqual $files
            $after.AcceptedRows | Should -Be ($after.CommittedRows + $after.FailedRows + $after.PendingRows)

            Send-TestSignal -Path (Join-Path $signals 'ask')
            $report = Wait-TestSignal -Path (Join-Path $signals 'report') -Job $job -TimeoutSeconds 60 | ConvertFrom-Json

            $report.Role | Should -Be 'Writer'
            $report.WriterProcessId | Should -Be $writerPid
            @($report.ClientProcessIds) | Should -Contain $PID
            $report.ReceivedBatches | Should -BeGreaterThan 0
        }

        It 'takes over as the Writer when the job''s process lets go of the catalog' {
            $db = New-CatalogPath -Directory $catalogs
            $job = Start-Job -ScriptBlock $writerScript -ArgumentList $modulePath, $db, $signals
            $writerPid = [int](Wait-TestSignal -Path (Join-Path $signals 'ready') -Job $job -TimeoutSeconds 120).Split(' ')[0]
            $leases.Add($registry.Acquire($db, $null, $null))
            @(Get-ScanSession -Database $db)[0].Role | Should -Be 'Forwarder'
            @(Get-ScanSession -Database $db)[0].WriterProcessId | Should -Be $writerPid
            $releasedAfter = [datetime]::UtcNow

            Send-TestSignal -Path (Join-Path $signals 'release')
            $null = Wait-Job -Job $job -Timeout 60
            $job.State | Should -Be 'Completed' -Because (Get-TestJobFailure -Job $job)
            # The election follows the writer's goodbye within about a second; allow much more on a busy machine.
            $deadline = [datetime]::UtcNow.AddSeconds(30)
            do {
                $s = @(Get-ScanSession -Database $db)[0]
                if ($s.Role -eq 'Writer') {
                    break
                }
                Start-Sleep -Milliseconds 20
            } while ([datetime]::UtcNow -lt $deadline)

            $s.Role | Should -Be 'Writer'
            $s.WriterProcessId | Should -Be $PID
            $s.RoleSinceUtc | Should -BeGreaterOrEqual $releasedAfter.AddSeconds(-1)
            $s.IsFaulted | Should -BeFalse
            $root = New-TestDirectory -Parent $trees
            $null = New-TestTree -Path $root -Folders 1 -FilesPerFolder 3
            $run = Start-Scan -Path $root -Database $db
            $run.Status | Should -Be 'Completed'
            $run.Files | Should -Be (Get-TestFileCount -LiteralPath $root)
            @(Get-ScanSession -Database $db)[0].Transactions | Should -BeGreaterThan 0
        }
    }
}
