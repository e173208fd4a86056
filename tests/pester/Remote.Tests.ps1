# Remote catalogs through a real redis-server that the tests start on 127.0.0.1 and a free port, without
# persistence: Start-Scan -Database redis://... on "scanning hosts" (child pwsh processes), and
# Start-ScanConsumer committing into the catalog file here.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $modulePath = Get-ScanToolsTestModulePath
    Import-Module $modulePath -Force
    $catalogs = Join-Path $TestDrive 'catalogs'
    $trees = Join-Path $TestDrive 'trees'
    $null = New-Item -ItemType Directory -Path $catalogs, $trees -Force

    function Start-TestRedis([string] $Password) {
        $listener = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
        $listener.Start(); $port = $listener.LocalEndpoint.Port; $listener.Stop()
        $arguments = @('--port', $port, '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no')
        if ($Password) { $arguments += @('--requirepass', $Password) }
        $process = Start-Process -FilePath (Get-Command redis-server).Source -ArgumentList ($arguments | ForEach-Object { if ($_ -eq '') { "''" } else { "$_" } }) -PassThru -RedirectStandardOutput (Join-Path $TestDrive "redis-$port.log")
        $deadline = [datetime]::UtcNow.AddSeconds(20)
        while ([datetime]::UtcNow -lt $deadline) {
            try { $c = [System.Net.Sockets.TcpClient]::new('127.0.0.1', $port); $c.Dispose(); break } catch { Start-Sleep -Milliseconds 20 } # polling a port: no event to wait on
        }
        [pscustomobject]@{ Process = $process; Port = $port }
    }
}

Describe 'Start-Scan into a remote catalog, and Start-ScanConsumer' -Skip:(-not (Get-Command redis-server -ErrorAction SilentlyContinue)) {
    BeforeAll {
        $redis = Start-TestRedis
        $address = "redis://127.0.0.1:$($redis.Port)/estate"
    }
    AfterAll {
        if ($redis.Process -and -not $redis.Process.HasExited) { $redis.Process.Kill(); $redis.Process.WaitForExit() }
    }

    It 'lands the scans of two hosts in the catalog, once each, with their runs Completed' {
        $counts = @{}
        $roots = foreach ($h in 'hostA', 'hostB') {
            $r = New-TestDirectory -Parent $trees -Name $h
            $counts[$r] = New-TestTree -Path $r -Folders 3 -FilesPerFolder 40
            $r
        }
        $db = New-CatalogPath -Directory $catalogs
        # Each host is another pwsh process (a job) that sends its scan to the broker. The consumer starts once both are
        # about to scan: on a loaded host a job's pwsh took longer to start than -IdleTimeout, the consumer stopped before
        # anything arrived, and the scans waited for one at their end. From their start on, their signs of life hold it.
        $jobs = foreach ($r in $roots) {
            $ready = Join-Path $TestDrive ("ready-" + [guid]::NewGuid().ToString('N'))
            Start-Job -ScriptBlock { param($m, $a, $r, $p) Import-Module $m; [IO.File]::WriteAllText($p, ''); $run = Start-Scan -Path $r -Database $a -ErrorAction Stop; "STATUS=$($run.Status) FILES=$($run.Files)" } -ArgumentList $modulePath, $address, $r, $ready
            $null = Wait-TestSignal -Path $ready -TimeoutSeconds 120
        }
        $status = Start-ScanConsumer -Broker $address -Database $db -IdleTimeout '00:00:04'
        $results = @($jobs | Receive-Job -Wait -AutoRemoveJob)

        Join-Sorted $results | Should -Be (Join-Sorted @($roots | ForEach-Object { "STATUS=Completed FILES=$($counts[$_])" }))
        $status | Should -BeOfType ScanTools.Remote.RemoteConsumerStatus
        $status.RejectedEntries | Should -Be 0
        $status.State | Should -Be 'Stopped'
        $expected = @($roots | ForEach-Object { Get-ChildItem -LiteralPath $_ -File -Recurse -Force }).FullName
        Join-Sorted @(Get-Finding -Database $db).FullName | Should -Be (Join-Sorted $expected)
        $runs = @(Get-ScanRun -Database $db)
        $runs | Should -HaveCount 2
        $runs.Status | Sort-Object -Unique | Should -Be 'Completed'
        Join-Sorted $runs.Files | Should -Be (Join-Sorted $counts.Values)
    }

    It 'shows this process''s publisher in Get-ScanSession: broker, published, acknowledged and resent batches, backlog' {
        $lease = [ScanTools.Sessions.WriterSessionRegistry]::Shared.AcquireSink($address, $null, $null)
        try {
            $start = [ScanTools.Storage.Writes.ScanRunStart]@{ RunKey = [guid]::NewGuid(); StartedUtc = [datetime]::UtcNow }
            $lease.Write($start, [System.Threading.CancellationToken]::None)
            $deadline = [datetime]::UtcNow.AddSeconds(30)
            while (@(Get-ScanSession -Database $address | Where-Object PublishedBatches -ge 1).Count -eq 0 -and [datetime]::UtcNow -lt $deadline) { }
            $sent = @(Get-ScanSession -Database $address)[0]
            $sent.AcceptedRows | Should -Be 1
            $sent.CommittedRows | Should -Be 0 -Because 'on the broker, before any consumer ran, nothing is committed'
            $sent.PendingRows | Should -Be 1
            $db = New-CatalogPath -Directory $catalogs
            $job = Start-Job -ScriptBlock { param($m, $a, $d) Import-Module $m; Start-ScanConsumer -Broker $a -Database $d -IdleTimeout '00:00:03' | Out-Null } -ArgumentList $modulePath, $address, $db
            $lease.Flush([System.Threading.CancellationToken]::None)   # committed by the consumer in the job
            $all = @(Get-ScanSession -Database $address)
            $all | Should -HaveCount 2
            $all[0] | Should -BeOfType ScanTools.Sessions.SessionStatistics # this process's session of the remote catalog
            $all[0].Role | Should -Be 'Writer' # the one process here: it publishes for the computer
            $all[0].DatabasePath | Should -Be $address
            $all[0].CommittedRows | Should -Be $all[0].AcceptedRows -Because 'the consumer committed it'
            $all[0].PendingRows | Should -Be 0
            $s = @($all | Where-Object { $_ -is [ScanTools.Remote.RemoteStatistics] })
            $s | Should -HaveCount 1
            $s[0].Broker | Should -Be $address
            $s[0].PublishedBatches | Should -BeGreaterOrEqual 1
            $s[0].AcknowledgedBatches | Should -Be $s[0].PublishedBatches
            $s[0].UnacknowledgedBatches | Should -Be 0
            $s[0].Backlog | Should -BeGreaterOrEqual 0
            @(Get-ScanSession) | Where-Object { $_ -is [ScanTools.Remote.RemoteStatistics] } | Should -HaveCount 1
            # The publisher tells the broker it lives while it is open, and a consumer with -IdleTimeout waits for it: close it first.
            $lease.Dispose()
            $lease = $null
            $job | Receive-Job -Wait -AutoRemoveJob
            $job = $null
            @(Get-ScanRun -Database $db) | Should -HaveCount 1
        }
        finally {
            if ($lease) { $lease.Dispose() }
            # A failed assertion must not leave this consumer running into the next test's batches.
            if ($job) { $job | Stop-Job -PassThru | Remove-Job -Force }
        }
        @(Get-ScanSession -Database $address) | Should -BeNullOrEmpty -Because 'the publisher closes with its last holder'
    }

    It 'lets an explicit -Database win over a broker address in $env:SCANTOOLS_DATABASE' {
        $root = New-TestDirectory -Parent $trees -Name 'envwins'
        $count = New-TestTree -Path $root -Folders 1 -FilesPerFolder 4
        $db = New-CatalogPath -Directory $catalogs
        $saved = $env:SCANTOOLS_DATABASE
        try {
            $env:SCANTOOLS_DATABASE = $address
            (Start-Scan -Path $root -Database $db).Files | Should -Be $count
            @(Get-Finding -Database $db) | Should -HaveCount $count
            { Start-ScanConsumer -Broker $address -WhatIf } | Should -Throw -ErrorId 'InvalidCatalogPath*' -ExpectedMessage '*give its path with -Database*'
        }
        finally { $env:SCANTOOLS_DATABASE = $saved }
    }

    It 'ends a remote scan stopped by SIGTERM Cancelled in the catalog, its end sent before the process exits (143)' -Skip:$IsWindows {
        $slow = New-TestDirectory -Parent $trees -Name 'slow-remote'
        $null = New-TestTree -Path $slow -Folders 5 -FilesPerFolder 20
        $big = [IO.File]::Create((Join-Path $slow 'd1/huge-sparse.bin')); $big.SetLength(64GB); $big.Dispose() # tens of seconds to hash
        $db = New-CatalogPath -Directory $catalogs
        $remote = "redis://127.0.0.1:$($redis.Port)/sigterm"
        $consumer = Start-Job -ScriptBlock { param($m, $a, $d) Import-Module $m; Start-ScanConsumer -Broker $a -Database $d -IdleTimeout '00:00:05' } -ArgumentList $modulePath, $remote, $db
        $pidFile = Join-Path $TestDrive 'sigterm-remote.pid'
        $script = { param($m, $t, $a, $p) Import-Module $m; [IO.File]::WriteAllText("$p.tmp", [string]$PID); [IO.File]::Move("$p.tmp", $p, $true); Start-Scan -Path $t -Database $a -Hash }.ToString()
        $launcher = Start-TestPwsh -Script "& { $script } @args" -OutputPath (Join-Path $TestDrive 'sigterm-remote.txt') -ArgumentList $modulePath, $slow, $remote, $pidFile
        $scanPid = [int](Wait-TestSignal -Path $pidFile -TimeoutSeconds 120)
        # Signalled once the run is under way in the catalog, its counts committed by the consumer.
        $deadline = [datetime]::UtcNow.AddSeconds(120)
        do {
            $running = try { Get-ScanRun -Database $db | Where-Object { $_.Status -eq 'Running' -and $_.Files -gt 0 } } catch { $null } # the consumer has not created the catalog yet
            if (-not $running) { Start-Sleep -Milliseconds 100 }
        } until ($running -or [datetime]::UtcNow -gt $deadline)
        $running | Should -Not -BeNullOrEmpty -Because 'the scan must be running in the catalog before it is signalled'

        $scanPid | Should -BeGreaterThan 1 -Because 'a signal to PID 0 reaches the whole process group'
        & kill -TERM $scanPid
        $launcher.WaitForExit(60000) | Should -BeTrue
        $launcher.ExitCode | Should -Be 143
        $null = $consumer | Receive-Job -Wait -AutoRemoveJob # ends 5 s after the last commit

        $run = Get-ScanRun -Database $db -Last 1
        $run.Status | Should -Be 'Cancelled' -Because 'the end was sent before the process ended (not Failed later, for a producer gone silent)'
        $run.Message | Should -Match 'SIGTERM'
        $run.Files | Should -Be @(Get-Finding -Database $db).Count
    }

    It 'says on the error stream what became of a remote scan stopped by SIGTERM while no consumer runs, and exits 143' -Skip:$IsWindows {
        # Newcomer test 83: the process ended 143 after 10-27 s without a word, in a cron log the only trace of the stop.
        $remote = "redis://127.0.0.1:$($redis.Port)/sigterm-noconsumer"
        $root = New-TestDirectory -Parent $trees -Name 'sigterm-noconsumer'
        $null = New-TestTree -Path $root -Folders 2 -FilesPerFolder 3
        $pidFile = Join-Path $TestDrive 'sigterm-noconsumer.pid'
        $output = Join-Path $TestDrive 'sigterm-noconsumer.txt'
        # A shorter grace than the 20 s of a real stop, so the test waits less; the path it takes is the same.
        $script = { param($m, $t, $a, $p) Import-Module $m; [ScanTools.Scanning.ProcessShutdown]::GracePeriod = [timespan]::FromSeconds(6); [IO.File]::WriteAllText("$p.tmp", [string]$PID); [IO.File]::Move("$p.tmp", $p, $true); Start-Scan -Path $t -Database $a }.ToString()
        $launcher = Start-TestPwsh -Script "& { $script } @args 2>&1" -OutputPath $output -ArgumentList $modulePath, $root, $remote, $pidFile
        $scanPid = [int](Wait-TestSignal -Path $pidFile -TimeoutSeconds 120)
        # Signalled once it has warned that no consumer reads the stream: its scan is done and waits for one.
        $deadline = [datetime]::UtcNow.AddSeconds(120)
        while (-not ((Get-Content -LiteralPath $output -Raw -ErrorAction SilentlyContinue) -match 'No consumer has read') -and [datetime]::UtcNow -lt $deadline) {
            Start-Sleep -Milliseconds 100 # polling the child's output file: no event to wait on
        }
        $scanPid | Should -BeGreaterThan 1 -Because 'a signal to PID 0 reaches the whole process group'
        & kill -TERM $scanPid
        $launcher.WaitForExit(60000) | Should -BeTrue
        $launcher.ExitCode | Should -Be 143
        $text = Get-Content -LiteralPath $output -Raw
        $text | Should -Match 'Scan [0-9a-f]{8}-[0-9a-f-]{27}[^\n]*Stopped by SIGTERM'
        $text | Should -Match 'Start-ScanConsumer'
        $text | Should -Not -Match 'Scan 0 '
    }

    It 'stops a consumer on SIGTERM as Ctrl+C does, saying on the error stream what it committed, and exits 143' -Skip:$IsWindows {
        # Before, SIGTERM (systemd stopping the service) ended the consumer at once, exit code 143 and not a word.
        $db = New-CatalogPath -Directory $catalogs
        $remote = "redis://127.0.0.1:$($redis.Port)/sigterm-consumer"
        $root = New-TestDirectory -Parent $trees -Name 'sigterm-consumer'
        $files = New-TestTree -Path $root -Folders 2 -FilesPerFolder 5
        $pidFile = Join-Path $TestDrive 'sigterm-consumer.pid'
        $output = Join-Path $TestDrive 'sigterm-consumer.txt'
        $script = { param($m, $a, $d, $p) Import-Module $m; [IO.File]::WriteAllText("$p.tmp", [string]$PID); [IO.File]::Move("$p.tmp", $p, $true); Start-ScanConsumer -Broker $a -Database $d }.ToString()
        $launcher = Start-TestPwsh -Script "& { $script } @args 2>&1" -OutputPath $output -ArgumentList $modulePath, $remote, $db, $pidFile
        $consumerPid = [int](Wait-TestSignal -Path $pidFile -TimeoutSeconds 120)
        $run = Start-Scan -Path $root -Database $remote -ErrorAction Stop # returns once the consumer has committed it
        $run.Status | Should -Be 'Completed'

        $consumerPid | Should -BeGreaterThan 1 -Because 'a signal to PID 0 reaches the whole process group'
        & kill -TERM $consumerPid
        $launcher.WaitForExit(60000) | Should -BeTrue
        $launcher.ExitCode | Should -Be 143
        $text = Get-Content -LiteralPath $output -Raw
        $text | Should -Match 'Start-ScanConsumer: Stopped by SIGTERM[^\n]*\. [1-9][0-9,]* batches \([0-9,]+ rows\) were committed into'
        $text | Should -Match 'start it again to go on'
        @(Get-Finding -Database $db).Count | Should -Be $files
    }

    It 'records with Write-Finding into a remote catalog, and the run arrives' {
        $db = New-CatalogPath -Directory $catalogs
        $file = New-TestFile -Path (Join-Path $TestDrive 'remote-record.txt') -Content 'r'
        $job = Start-Job -ScriptBlock { param($m, $a, $d) Import-Module $m; Start-ScanConsumer -Broker $a -Database $d -IdleTimeout '00:00:03' | Out-Null } -ArgumentList $modulePath, $address, $db
        Get-Item -LiteralPath $file | Write-Finding -Database $address -ErrorVariable problems
        $problems | Should -BeNullOrEmpty
        $job | Receive-Job -Wait -AutoRemoveJob
        (Get-ScanRun -Database $db -Last 1).Kind | Should -Be 'Records'
        (Get-Finding -Database $db).FullName | Should -Be (Get-Item -LiteralPath $file).FullName
    }

    It 'keeps a consumer with -IdleTimeout running while a scanning process is alive but sends nothing for longer' {
        $db = New-CatalogPath -Directory $catalogs
        $first = New-TestFile -Path (Join-Path $TestDrive 'paused-1.txt') -Content 'a'
        $second = New-TestFile -Path (Join-Path $TestDrive 'paused-2.txt') -Content 'b'
        $ready = Join-Path $TestDrive 'paused-ready'
        # A producer that pauses (a slow share, a pipeline that waits on another command): the pause is the case
        # under test, not a wait for something. Its process tells the broker it lives every second meanwhile.
        $producer = Start-Job -ScriptBlock {
            param($m, $a, $f1, $f2, $p)
            Import-Module $m
            & { Get-Item -LiteralPath $f1; [IO.File]::WriteAllText($p, ''); Start-Sleep -Seconds 8; Get-Item -LiteralPath $f2 } | Write-Finding -Database $a -ErrorAction Stop
            'DONE'
        } -ArgumentList $modulePath, $address, $first, $second, $ready
        $null = Wait-TestSignal -Path $ready -Job $producer -TimeoutSeconds 120

        try {
            $status = Start-ScanConsumer -Broker $address -Database $db -IdleTimeout '00:00:03'
            $producer | Wait-Job -Timeout 60 | Out-Null
            $producer.State | Should -Be 'Completed' -Because 'the consumer ran until the producer''s run was committed (before, it stopped 3 s into the pause and the producer waited for one)'
            $producer | Receive-Job | Should -Be 'DONE'
        }
        finally {
            $producer | Remove-Job -Force
        }
        $status.LastPublisherSignUtc | Should -Not -BeNullOrEmpty
        Join-Sorted @(Get-Finding -Database $db).FullName | Should -Be (Join-Sorted @((Get-Item -LiteralPath $first).FullName, (Get-Item -LiteralPath $second).FullName))
        (Get-ScanRun -Database $db -Last 1).Status | Should -Be 'Completed'
    }

    It 'warns when no consumer reads the stream, and keeps one copy of each batch on it meanwhile' {
        $lonely = "redis://127.0.0.1:$($redis.Port)/lonely"
        $root = New-TestDirectory -Parent $trees -Name 'lonely'
        $null = New-TestTree -Path $root -Folders 1 -FilesPerFolder 3
        $db = New-CatalogPath -Directory $catalogs
        $job = Start-Job -ScriptBlock { param($m, $a, $r) Import-Module $m; Start-Scan -Path $r -Database $a 3>&1 | Where-Object { $_ -is [System.Management.Automation.WarningRecord] } | ForEach-Object Message } -ArgumentList $modulePath, $lonely, $root
        $key = 'scantools:{lonely}:writes'
        # Poll the broker (its entries and its clock, not a sleep) until the batch has sat there unread for longer
        # than a sender's resend period (3 s): a sender that copied it would have added a second entry by then.
        $deadline = [datetime]::UtcNow.AddSeconds(60)
        $age = 0
        while ([datetime]::UtcNow -lt $deadline -and $age -lt 3500) {
            $entry = @(redis-cli -p $redis.Port XRANGE $key - + COUNT 1)
            if ($entry.Count -gt 0 -and $entry[0] -match '^(\d+)-') {
                $now = @(redis-cli -p $redis.Port TIME)
                $age = [long]$now[0] * 1000 + [long]$now[1] / 1000 - [long]$Matches[1]
            }
            if ($age -lt 3500) { Start-Sleep -Milliseconds 50 }
        }
        $age | Should -BeGreaterOrEqual 3500
        # Each batch once: no (client, sequence) twice on the stream (the scan may seal its writes in one batch or two).
        $fields = @(redis-cli -p $redis.Port XRANGE $key - +)
        $batches = for ($i = 0; $i -lt $fields.Count - 1; $i++) { if ($fields[$i] -eq 'client') { $client = $fields[$i + 1] } elseif ($fields[$i] -eq 'seq') { "$client/$($fields[$i + 1])" } }
        @($batches).Count | Should -BeGreaterThan 0
        @($batches | Sort-Object -Unique).Count | Should -Be @($batches).Count -Because 'each batch sent once while nobody read it'
        $status = Start-ScanConsumer -Broker $lonely -Database $db -IdleTimeout '00:00:04'
        $warnings = $job | Receive-Job -Wait -AutoRemoveJob
        ($warnings -join ' ') | Should -Match 'No consumer has read'
        $status.DuplicateBatches | Should -Be 0
        (Get-ScanRun -Database $db).Status | Should -Be 'Completed'
    }

    It 'does not warn of a missing consumer while one runs, however long the stream was idle (Redis 7.0 keeps idle readers idle)' {
        $watched = "redis://127.0.0.1:$($redis.Port)/watched"
        $root = New-TestDirectory -Parent $trees -Name 'watched'
        $null = New-TestTree -Path $root -Folders 1 -FilesPerFolder 3
        $db = New-CatalogPath -Directory $catalogs
        $consumer = Start-Job -ScriptBlock { param($m, $a, $d) Import-Module $m; Start-ScanConsumer -Broker $a -Database $d -IdleTimeout '00:00:04' } -ArgumentList $modulePath, $watched, $db
        # The consumer runs once it tells the broker so (every second, under the catalog's alive hash); nothing is on the stream.
        $deadline = [datetime]::UtcNow.AddSeconds(60)
        while ([datetime]::UtcNow -lt $deadline -and -not (@(redis-cli -p $redis.Port HKEYS 'scantools:{watched}:alive') -like 'consumer:*')) {
            Start-Sleep -Milliseconds 50 # polling the broker: no event to wait on
        }
        @(redis-cli -p $redis.Port HKEYS 'scantools:{watched}:alive') -like 'consumer:*' | Should -Not -BeNullOrEmpty

        $run = Start-Scan -Path $root -Database $watched -WarningVariable warned -WarningAction SilentlyContinue
        $null = $consumer | Receive-Job -Wait -AutoRemoveJob

        ($warned -join ' ') | Should -Not -Match 'No consumer'
        $run.Status | Should -Be 'Completed'
        (Get-ScanRun -Database $db).Status | Should -Be 'Completed'
    }

    It 'scans and consumes as an ACL user made with the command about_ScanTools gives, word for word' {
        # The command as the help prints it: a permission ScanTools needs and the help leaves out fails here.
        $about = Get-Content -LiteralPath (Join-Path $PSScriptRoot '../../docs/help/about_ScanTools.md') -Raw
        $documented = [regex]::Match($about, "redis-cli ACL SETUSER scanner (?<rules>(?:[^\n]*\\\n)*[^\n]*)").Groups['rules'].Value
        $documented | Should -Not -BeNullOrEmpty
        $rules = @([regex]::Matches(($documented -replace '\\\n', ' '), "'[^']*'|\S+") | ForEach-Object { $_.Value.Trim("'") }) -replace '^>PASSWORD$', '>acl-secret-7'
        redis-cli -p $redis.Port ACL SETUSER scanner @rules | Should -Be 'OK'
        $null = redis-cli -p $redis.Port ACL LOG RESET
        $acl = "redis://scanner@127.0.0.1:$($redis.Port)/acl"
        $root = New-TestDirectory -Parent $trees -Name 'acl'
        $files = New-TestTree -Path $root -Folders 2 -FilesPerFolder 5
        $db = New-CatalogPath -Directory $catalogs
        $env:SCANTOOLS_REDIS_PASSWORD = 'acl-secret-7'
        try {
            $consumer = Start-Job -ScriptBlock { param($m, $a, $d) $env:SCANTOOLS_REDIS_PASSWORD = 'acl-secret-7'; Import-Module $m; Start-ScanConsumer -Broker $a -Database $d -IdleTimeout '00:00:04' } -ArgumentList $modulePath, $acl, $db
            $run = Start-Scan -Path $root -Database $acl -WarningAction SilentlyContinue -ErrorAction Stop
            $status = $consumer | Receive-Job -Wait -AutoRemoveJob
        }
        finally {
            Remove-Item Env:SCANTOOLS_REDIS_PASSWORD
        }
        $run.Status | Should -Be 'Completed'
        $status.LastError | Should -BeNullOrEmpty
        (Get-ScanRun -Database $db).Status | Should -Be 'Completed'
        @(Get-Finding -Database $db).Count | Should -Be $files
        # What the broker refused: only what the help says the client library tries on connecting.
        $refused = @(redis-cli -p $redis.Port ACL LOG 100) | Select-String -Pattern '^(?i)(h\w+|x\w+|ping|echo|info|acl\|whoami)$'
        $refused | Should -BeNullOrEmpty
    }

    It 'stops a consumer and a scan that meet a key of the wrong type, saying which keys and what to do, instead of retrying' {
        $bad = "redis://127.0.0.1:$($redis.Port)/wrongtype"
        $root = New-TestDirectory -Parent $trees -Name 'wrongtype'
        $null = New-TestTree -Path $root -Folders 1 -FilesPerFolder 3
        $db = New-CatalogPath -Directory $catalogs
        $null = redis-cli -p $redis.Port SET 'scantools:{wrongtype}:writes' 'not a stream'

        $failure = $null
        try { Start-Scan -Path $root -Database $bad -ErrorAction Stop -WarningAction SilentlyContinue } catch { $failure = $_ }
        $failure | Should -Not -BeNullOrEmpty
        $failure.FullyQualifiedErrorId | Should -BeLike 'CatalogWriteFailed*'
        $failure.Exception.Message | Should -BeLike '*WRONGTYPE*scantools:{wrongtype}:writes*DEL*'

        $null = redis-cli -p $redis.Port DEL 'scantools:{wrongtype}:writes'
        $null = redis-cli -p $redis.Port SET 'scantools:{wrongtype}:committed' 'not a hash'
        $scan = Start-Job -ScriptBlock { param($m, $a, $r) Import-Module $m; try { Start-Scan -Path $r -Database $a -ErrorAction Stop -WarningAction SilentlyContinue } catch { "FAILED $($_.FullyQualifiedErrorId)" } } -ArgumentList $modulePath, $bad, $root
        $consumerFailure = $null
        try { Start-ScanConsumer -Broker $bad -Database $db -IdleTimeout '00:00:30' -ErrorAction Stop } catch { $consumerFailure = $_ }
        $consumerFailure.FullyQualifiedErrorId | Should -BeLike 'ConsumerFailed*'
        $consumerFailure.Exception.Message | Should -BeLike '*WRONGTYPE*'
        $scanResult = $scan | Receive-Job -Wait -AutoRemoveJob
        "$scanResult" | Should -BeLike 'FAILED CatalogWriteFailed*'

        # The alive hash, which scans and consumers tell each second that they run.
        $null = redis-cli -p $redis.Port DEL 'scantools:{wrongtype}:committed' 'scantools:{wrongtype}:alive'
        $null = redis-cli -p $redis.Port LPUSH 'scantools:{wrongtype}:alive' 'not a hash'
        redis-cli -p $redis.Port TYPE 'scantools:{wrongtype}:alive' | Should -Be 'list'
        $failure = $null
        try { Start-Scan -Path $root -Database $bad -ErrorAction Stop -WarningAction SilentlyContinue } catch { $failure = $_ }
        $failure.FullyQualifiedErrorId | Should -BeLike 'CatalogWriteFailed*'
        $failure.Exception.Message | Should -BeLike '*WRONGTYPE*:alive*'
        $consumerFailure = $null
        try { Start-ScanConsumer -Broker $bad -Database $db -IdleTimeout '00:00:30' -ErrorAction Stop } catch { $consumerFailure = $_ }
        $consumerFailure.FullyQualifiedErrorId | Should -BeLike 'ConsumerFailed*'
    }

    It 'refuses an -IdleTimeout under a second, which a bare number gives (ticks), saying how to write one' -ForEach @(90, '-00:00:05') {
        { Start-ScanConsumer -Broker $address -Database (New-CatalogPath -Directory $catalogs) -IdleTimeout $_ } | Should -Throw -ErrorId 'InvalidIdleTimeout*' -ExpectedMessage '*00:01:30*'
    }

    It 'refuses a URL of another scheme, or a mistyped broker address, saying what addresses are' -ForEach @('http://127.0.0.1/x', 'redis:/127.0.0.1/x') {
        { Start-Scan -Path $TestDrive -Database $_ -MaxDepth 0 } | Should -Throw -ErrorId 'InvalidCatalogPath*' -ExpectedMessage '*redis://host*'
    }

    It 'refuses a broker address in a reading command, saying where the catalog is read' {
        { Get-Finding -Database $address } | Should -Throw -ErrorId 'InvalidCatalogPath,ScanTools.Commands.GetFindingCommand' -ExpectedMessage '*broker address*'
    }

    It 'warns of a password in the address, and never stores or shows it' {
        $secret = 'pw-' + [guid]::NewGuid().ToString('N')
        $withPassword = "redis://default:$secret@127.0.0.1:$($redis.Port)/estate"
        $root = New-TestDirectory -Parent $trees -Name 'pw'
        $null = New-TestTree -Path $root -Folders 1 -FilesPerFolder 5
        $db = New-CatalogPath -Directory $catalogs
        $job = Start-Job -ScriptBlock { param($m, $a, $r) Import-Module $m; Start-Scan -Path $r -Database $a -WarningVariable w 3>$null | Out-Null; $w } -ArgumentList $modulePath, $withPassword, $root
        $status = Start-ScanConsumer -Broker $address -Database $db -IdleTimeout '00:00:04'
        $warnings = $job | Receive-Job -Wait -AutoRemoveJob
        ($warnings -join ' ') | Should -Match 'holds a password'
        ($warnings -join ' ') | Should -Not -Match $secret
        (Get-ScanRun -Database $db -Last 1).Options | Should -Not -Match $secret
        [IO.File]::ReadAllText($db) | Should -Not -Match $secret
        $status.CommittedBatches | Should -BeGreaterThan 0
    }

    It 'refuses an address it cannot parse as InvalidBroker, without the password' {
        { Start-ScanConsumer -Broker 'redis://u:hunter22@broker' -Database (New-CatalogPath -Directory $catalogs) } |
            Should -Throw -ErrorId 'InvalidBroker,ScanTools.Commands.StartScanConsumerCommand' -ExpectedMessage '*redis://host*'
        try { Start-ScanConsumer -Broker 'redis://u:hunter22@broker' -Database (New-CatalogPath -Directory $catalogs) } catch { $_.Exception.Message | Should -Not -Match 'hunter22' }
    }

    It 'refuses a catalog whose folder is missing as Start-Scan does (CatalogFolderNotFound, exit code 6), creating nothing' {
        $missing = Join-Path $catalogs "no-such-$([guid]::NewGuid().ToString('N'))"
        $err = $null
        try { Start-ScanConsumer -Broker $address -Database (Join-Path $missing 'central.db') -IdleTimeout '00:00:01' } catch { $err = $_ }
        $err.FullyQualifiedErrorId | Should -BeLike 'CatalogFolderNotFound*'
        $err.Exception.Message | Should -BeLike '*does not exist. Create it*'
        [ScanTools.Hosting.ScanExitCodes]::ForException($err.Exception) | Should -Be 6
        Test-Path -LiteralPath $missing | Should -BeFalse
    }

    It 'says the broker does not answer, naming host and port, when nothing listens there' {
        $closed = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0); $closed.Start(); $port = $closed.LocalEndpoint.Port; $closed.Stop()
        { Start-ScanConsumer -Broker "redis://127.0.0.1:$port/x" -Database (New-CatalogPath -Directory $catalogs) } | Should -Throw -ExpectedMessage "*127.0.0.1:$port*"
    }
}

Describe 'A broker that wants a password' -Skip:(-not (Get-Command redis-server -ErrorAction SilentlyContinue)) {
    BeforeAll {
        $password = 'pw-' + [guid]::NewGuid().ToString('N')
        $redis = Start-TestRedis -Password $password
        $address = "redis://127.0.0.1:$($redis.Port)/secured"
    }
    AfterAll {
        if ($redis.Process -and -not $redis.Process.HasExited) { $redis.Process.Kill(); $redis.Process.WaitForExit() }
    }

    It 'takes the password from -Credential, and says when it is refused' {
        $db = New-CatalogPath -Directory $catalogs
        $wrong = [pscredential]::new('default', (ConvertTo-SecureString 'wrong' -AsPlainText -Force))
        { Start-ScanConsumer -Broker $address -Database $db -Credential $wrong -IdleTimeout '00:00:01' } | Should -Throw -ExpectedMessage '*refused the credentials*'
        $root = New-TestDirectory -Parent $trees -Name 'secured'
        $count = New-TestTree -Path $root -Folders 1 -FilesPerFolder 3
        $job = Start-Job -ScriptBlock { param($m, $a, $r, $p) Import-Module $m; $env:SCANTOOLS_REDIS_PASSWORD = $p; "$((Start-Scan -Path $r -Database $a).Status)" } -ArgumentList $modulePath, $address, $root, $password
        $right = [pscredential]::new('default', (ConvertTo-SecureString $password -AsPlainText -Force))
        $null = Start-ScanConsumer -Broker $address -Database $db -Credential $right -IdleTimeout '00:00:04'
        $job | Receive-Job -Wait -AutoRemoveJob | Should -Be 'Completed'
        @(Get-Finding -Database $db) | Should -HaveCount $count
    }
}
